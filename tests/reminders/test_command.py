"""The send_reminders command: the sweep and delivery run here, without Celery."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.support.reminders import day
from tracker.models import Reminder, SweepRun


def run_command(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_the_command_dry_run_lists_who_is_due_and_changes_nothing(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    item_factory(owner=owner, due_date=day(3))
    output = run_command("--dry-run", "--now", "2026-12-07T14:30:00Z")
    assert output == "ny-owner <ny-owner@example.org>: 2 item(s), 0 news: skipped (dry run)\n"
    assert not Reminder.objects.exists() and mail.outbox == []


def test_the_command_sends_and_prints_one_line_per_recipient(item_factory, owner, kr_owner):
    item_factory(owner=owner, co_owners=[kr_owner], due_date=day(-1))
    output = run_command("--now", "2026-12-07T09:30:00-05:00")
    assert output == "ny-owner <ny-owner@example.org>: 1 item(s): sent\n"
    assert len(mail.outbox) == 1
    assert run_command("--now", "2026-12-07T14:35:00+00:00") == ""


@pytest.mark.parametrize("bad", ["2026-12-07T14:30:00", "yesterday", "2026-13-01T00:00Z"])
def test_the_command_refuses_a_time_without_a_zone_or_not_iso(db, bad):
    with pytest.raises(CommandError, match="--now"):
        run_command("--now", bad)
    assert not SweepRun.objects.exists()

"""Requests for updates before a meeting, end to end: a real Celery worker, the configured broker,
the test database and an SMTP server started here (as tests/test_reminders_e2e.py). The worker
reads the real clock, so the meeting is placed relative to today: today is its first request.
"""

# ruff: noqa: F811  (pytest fixtures imported by name, then requested as arguments)

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from tests.test_reminders_e2e import (  # noqa: F401  (fixtures)
    any_time,
    processes,
    role_groups,
    sink,
    sweep_now,
    wait_until,
    worker,
)
from tracker import meetings, roles, workflow
from tracker.models import Forum, Meeting, Reminder
from tracker.reminders.sweep import sweep
from tracker.tasks import enqueue_sends

pytestmark = [pytest.mark.worker, pytest.mark.timeout(120)]
LEAD_DAYS = 14


@pytest.fixture
def agenda(user_factory, item_factory, us_org):
    """An owner in Seoul and one in New York on a DTICC item; the meeting's first request is today
    (in UTC, the meeting's zone)."""
    ny = user_factory("ny-owner", role=roles.OWNERS)
    seoul = user_factory(
        "seoul-owner", role=roles.OWNERS, country="KR", time_zone="Asia/Seoul", language="ko"
    )
    far = timezone.now() + dt.timedelta(days=60)
    item = item_factory("mou-revision", owner=ny, co_owners=[seoul], next_follow_up_at=far)
    forum = Forum.objects.create(
        key="dticc", short_name="DTICC", name_en="DTICC", update_lead_days=LEAD_DAYS
    )
    forum.items.add(item)
    today = timezone.now().astimezone(dt.UTC).date()
    meeting = Meeting.objects.create(
        forum=forum, key="next", date=today + dt.timedelta(days=LEAD_DAYS), time_zone="UTC"
    )
    return item, meeting, ny, seoul


def test_each_owner_gets_the_request_in_their_digest_once(
    transactional_db,
    tmp_path,
    celery_queue,
    processes,
    sink,
    agenda,
):
    item, meeting, _ny, _seoul = agenda
    work = worker(tmp_path, celery_queue, processes, sink.url)
    rows = sweep_now()
    assert len(rows) == 2
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 2, log=work)
    english = sink.to("ny-owner@example.org")[0].get_body(("plain",)).get_content()
    assert "== Update before the DTICC meeting on" in english and "mou-revision" in english
    assert f"/meetings/{meeting.pk}/" in english
    korean = sink.to("seoul-owner@example.org")[0].get_body(("plain",)).get_content()
    assert "DTICC" in korean and "mou-revision" in korean
    assert sweep_now() == []  # one digest a person a day
    time.sleep(1)
    assert len(sink.messages) == 2 and max(sink.message_ids().values()) == 1


def test_an_update_before_the_worker_sends_leaves_nothing_to_send(
    transactional_db,
    tmp_path,
    celery_queue,
    processes,
    sink,
    agenda,
):
    item, _meeting, ny, _seoul = agenda
    work = worker(tmp_path, celery_queue, processes, sink.url)
    claimed = sweep(now=timezone.now()).claimed_ids  # claimed, not yet handed to the worker
    workflow.post_update(item=item, by=ny, note="In before the meeting.", now=timezone.now())
    enqueue_sends(claimed)
    wait_until(lambda: not Reminder.objects.filter(state="pending").exists(), log=work)
    assert set(Reminder.objects.values_list("state", flat=True)) == {"skipped"}
    assert sink.messages == []


def test_after_a_postponement_today_is_no_request_day(
    transactional_db,
    tmp_path,
    celery_queue,
    processes,
    sink,
    agenda,
    user_factory,
):
    _item, meeting, _ny, _seoul = agenda
    coordinator = user_factory("coord", role=roles.COORDINATORS)
    meetings.postpone(
        meeting=meeting, to=meeting.date + dt.timedelta(days=30), by=coordinator, now=timezone.now()
    )
    worker(tmp_path, celery_queue, processes, sink.url)
    assert sweep_now() == []
    time.sleep(1)
    assert sink.messages == []

"""What the pages read of reminders: an item's log, the dashboard's pending and failed counts."""

from __future__ import annotations

import datetime as dt

from tests.support.reminders import NY_MON_MORNING, SEOUL_MON_MORNING, UTC, day
from tracker.models import Reminder, ReminderState
from tracker.reminders.sweep import sweep
from tracker.selectors import item_reminder_log, reminder_counts


def test_the_item_log_lists_the_digests_that_carried_it_newest_first(item_factory, owner):
    long_ago = dt.datetime(2026, 10, 1, tzinfo=UTC)
    item = item_factory(owner=owner, due_date=day(-1), cadence_days=1, next_follow_up_at=long_ago)
    sweep(now=NY_MON_MORNING)
    sweep(now=NY_MON_MORNING + dt.timedelta(days=1))
    log = item_reminder_log(item=item, limit=50)
    assert [e.reminder.local_date for e in log] == [day(1), day(0)]
    assert {e.reminder.recipient for e in log} == {owner}
    assert [e.reminder.local_date for e in item_reminder_log(item=item, limit=1)] == [day(1)]


def test_reminder_counts_reports_pending_and_failed(item_factory, owner, kr_owner, user_factory):
    item_factory(owner=owner, co_owners=[kr_owner], due_date=day(-1))
    sweep(now=NY_MON_MORNING)
    sweep(now=SEOUL_MON_MORNING + dt.timedelta(days=1))
    Reminder.objects.filter(recipient=kr_owner).update(state=ReminderState.FAILED)
    assert reminder_counts(user=owner) == {"pending": 1, "failed": 1}
    assert reminder_counts(user=user_factory()) == {"pending": 1, "failed": 1}

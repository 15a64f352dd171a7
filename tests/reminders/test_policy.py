"""Who hears of what, and why: the rules for one item (reminders/policy.py), `now` passed in."""

from __future__ import annotations

import datetime as dt

from tests.support.reminders import FAR, NY, NY_MON_MORNING, UTC, day
from tracker.models import ReminderKind, Status
from tracker.reminders import policy


def kind(item, today, last=None, now=NY_MON_MORNING):
    """What the item's owner hears of it on local day `today`, as the sweep decides it."""
    entries = policy.due_entries(
        recipient=item.owner,
        today=today,
        zone=NY,
        holdings=[policy.Holding(item=item, role=policy.OWNER)],
        last_reminded={item.pk: last} if last else {},
        now=now,
    )
    return entries[0][1] if entries else None


def test_an_item_needs_follow_up_once_its_follow_up_day_has_come(item_factory, owner):
    item = item_factory(owner=owner, next_follow_up_at=dt.datetime(2026, 12, 7, 20, tzinfo=UTC))
    assert kind(item, day(-1)) is None
    assert kind(item, day(0)) == ReminderKind.FOLLOW_UP


def test_a_follow_up_repeats_every_cadence_while_nothing_changes(item_factory, owner):
    item = item_factory(owner=owner, cadence_days=14, next_follow_up_at=NY_MON_MORNING)
    assert kind(item, day(1), last=day(0)) is None
    assert kind(item, day(13), last=day(0)) is None
    assert kind(item, day(14), last=day(0)) == ReminderKind.FOLLOW_UP


def test_an_update_after_a_reminder_restarts_the_cadence(item_factory, owner):
    from tracker import workflow

    item = item_factory(owner=owner, cadence_days=14, next_follow_up_at=NY_MON_MORNING)
    workflow.mark_on_track(item=item, by=owner, now=NY_MON_MORNING + dt.timedelta(days=1))
    assert kind(item, day(14), last=day(0)) is None
    assert kind(item, day(15), last=day(0)) == ReminderKind.FOLLOW_UP


def test_a_snooze_after_a_reminder_brings_the_item_back_when_it_ends(item_factory, owner):
    from tracker import workflow

    item = item_factory(owner=owner, cadence_days=14, next_follow_up_at=NY_MON_MORNING)
    workflow.snooze(item=item, by=owner, days=7, now=NY_MON_MORNING)
    later = NY_MON_MORNING + dt.timedelta(days=7, minutes=1)
    assert kind(item, day(3), last=day(0), now=NY_MON_MORNING + dt.timedelta(days=3)) is None
    assert kind(item, day(7), last=day(0), now=later) == ReminderKind.FOLLOW_UP


def test_an_item_is_due_soon_at_seven_days_and_at_one_day_only(item_factory, owner):
    item = item_factory(owner=owner, due_date=day(7), next_follow_up_at=FAR)
    assert kind(item, day(-1)) is None
    assert kind(item, day(0)) == ReminderKind.DUE_SOON
    assert kind(item, day(1), last=day(0)) is None
    assert kind(item, day(5), last=day(0)) is None
    assert kind(item, day(6), last=day(0)) == ReminderKind.DUE_SOON
    assert kind(item, day(7), last=day(6)) is None


def test_a_due_soon_mark_missed_on_a_day_off_is_reminded_the_next_working_day(item_factory, owner):
    item = item_factory(owner=owner, due_date=day(7), next_follow_up_at=FAR)
    assert kind(item, day(1), last=day(-3)) == ReminderKind.DUE_SOON


def test_an_overdue_item_reminds_once_it_is_late_then_every_cadence(item_factory, owner):
    long_ago = dt.datetime(2026, 10, 1, tzinfo=UTC)
    item = item_factory(owner=owner, due_date=day(-3), cadence_days=14, next_follow_up_at=long_ago)
    assert kind(item, day(0), last=day(-10)) == ReminderKind.OVERDUE
    assert kind(item, day(1), last=day(0)) is None
    assert kind(item, day(13), last=day(0)) is None
    assert kind(item, day(14), last=day(0)) == ReminderKind.OVERDUE


def test_snoozed_items_wait_and_closed_items_never_remind(item_factory, owner):
    snoozed = item_factory(
        owner=owner, due_date=day(-3), snoozed_until=NY_MON_MORNING + dt.timedelta(hours=1)
    )
    closed = item_factory(owner=owner, due_date=day(-3), status=Status.IMPLEMENTED)
    assert kind(snoozed, day(0)) is None
    assert kind(snoozed, day(1), now=NY_MON_MORNING + dt.timedelta(days=1)) == ReminderKind.OVERDUE
    assert kind(closed, day(0)) is None


def test_escalation_starts_after_the_configured_days_overdue_then_repeats(item_factory, settings):
    settings.REMINDER_ESCALATION_DAYS = 14
    item = item_factory(due_date=day(-14), cadence_days=14)

    def due(today, last=None):
        return policy.escalation_due(item=item, today=today, last=last)

    assert not due(day(-1))
    assert due(day(0))
    assert not due(day(7), last=day(0))
    assert due(day(14), last=day(0))


def test_an_item_whose_follow_up_is_tonight_is_already_due_this_morning(item_factory, owner):
    tonight = dt.datetime(2026, 12, 8, 2, tzinfo=UTC)  # 21:00 on Monday in New York
    item = item_factory(owner=owner, next_follow_up_at=tonight)
    assert kind(item, day(0)) == ReminderKind.FOLLOW_UP
    assert item.is_follow_up_due(day(0), NY) and not item.is_follow_up_due(day(-1), NY)


def test_an_owner_who_may_not_see_an_item_never_hears_of_it(item_factory, owner):
    from tracker.models import Marking

    item = item_factory(owner=owner, due_date=day(-3), marking=Marking.KR_ONLY)
    assert kind(item, day(0)) is None


def test_a_digest_lists_the_longest_overdue_first_then_the_soonest_due(item_factory, owner):
    late = item_factory("late", owner=owner, due_date=day(-2))
    later = item_factory("later", owner=owner, due_date=day(-9))
    soon = item_factory("soon", owner=owner, due_date=day(1))
    sooner = item_factory("sooner", owner=owner, due_date=day(0))
    undated = item_factory("undated", owner=owner, due_date=None)
    entries = [
        (undated, ReminderKind.FOLLOW_UP),
        (soon, ReminderKind.DUE_SOON),
        (late, ReminderKind.OVERDUE),
        (sooner, ReminderKind.DUE_SOON),
        (later, ReminderKind.OVERDUE),
    ]
    ordered = [item.key for item, _kind in policy.worst_first(entries)]
    assert ordered == ["later", "late", "sooner", "soon", "undated"]


def test_the_lead_coordinator_who_also_owns_an_item_hears_of_it_as_its_owner():
    roles = policy.roles_on(owner_id=1, co_owner_ids=[2], coordinator_ids=[1])
    assert roles == {1: policy.OWNER, 2: policy.OWNER}
    assert policy.roles_on(owner_id=None, co_owner_ids=[], coordinator_ids=[3, 4]) == {
        3: policy.COORDINATOR,
        4: policy.COORDINATOR,
    }

"""Who is due for a reminder, when, with which items: reminders.py, with `now` passed in."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.db import at_once, restore_role_groups
from tracker import delivery, reminders, roles
from tracker.models import (
    Marking,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderState,
    Status,
    SweepRun,
)

UTC = dt.UTC
NY = zoneinfo.ZoneInfo("America/New_York")
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
# An ordinary working week: Monday 7 to Friday 11 December 2026, no holiday in either country.
MON = dt.date(2026, 12, 7)
NY_MON_MORNING = dt.datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # 09:30 in New York
SEOUL_MON_MORNING = dt.datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 09:30 in Seoul
FAR = dt.datetime(2027, 6, 1, tzinfo=UTC)


def day(n: int) -> dt.date:
    return MON + dt.timedelta(days=n)


@pytest.fixture
def owner(user_factory):
    return user_factory("ny-owner", role=roles.OWNERS, time_zone="America/New_York")


@pytest.fixture
def kr_owner(user_factory):
    return user_factory(
        "seoul-owner", role=roles.OWNERS, country="KR", time_zone="Asia/Seoul", language="ko"
    )


def kind(item, today, last=None, now=NY_MON_MORNING):
    return reminders.owner_kind(item=item, today=today, zone=NY, last=last, now=now)


# --- The rules for one item -----------------------------------------------------------------------


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
        return reminders.escalation_due(item=item, today=today, last=last, now=NY_MON_MORNING)

    assert not due(day(-1))
    assert due(day(0))
    assert not due(day(7), last=day(0))
    assert due(day(14), last=day(0))


# --- The recipient's morning ----------------------------------------------------------------------


def at(year, month, dd, hour, minute=0):
    return dt.datetime(year, month, dd, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday before daylight saving begins (EST, UTC-5) and Monday after (EDT, UTC-4).
        (at(2026, 3, 6, 13, 59), None),
        (at(2026, 3, 6, 14, 0), dt.date(2026, 3, 6)),
        (at(2026, 3, 9, 12, 59), None),
        (at(2026, 3, 9, 13, 0), dt.date(2026, 3, 9)),
        (at(2026, 3, 9, 15, 59), dt.date(2026, 3, 9)),
        (at(2026, 3, 9, 16, 0), None),
        # Friday before it ends (EDT) and Monday after (EST).
        (at(2026, 10, 30, 13, 0), dt.date(2026, 10, 30)),
        (at(2026, 11, 2, 13, 0), None),
        (at(2026, 11, 2, 14, 0), dt.date(2026, 11, 2)),
        (at(2026, 11, 2, 16, 59), dt.date(2026, 11, 2)),
        (at(2026, 11, 2, 17, 0), None),
    ],
)
def test_new_york_mornings_follow_daylight_saving_both_ways(owner, now, expected):
    assert reminders.due_local_date(user=owner, now=now) == expected


def test_the_window_keeps_its_local_hours_on_the_days_the_clocks_change():
    assert reminders.window_end(day=dt.date(2026, 3, 8), zone=NY) == at(2026, 3, 8, 16)
    assert reminders.window_end(day=dt.date(2026, 11, 1), zone=NY) == at(2026, 11, 1, 17)
    spring = dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC).astimezone(NY)
    fall = dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC).astimezone(NY)
    assert reminders.in_morning_window(local=spring)  # 09:00 EDT
    assert not reminders.in_morning_window(local=fall)  # 08:00 EST


def test_seoul_mornings_are_the_previous_evening_in_utc(kr_owner):
    assert reminders.due_local_date(user=kr_owner, now=at(2026, 12, 6, 23, 59)) is None
    assert reminders.due_local_date(user=kr_owner, now=at(2026, 12, 7, 0, 0)) == MON
    assert reminders.due_local_date(user=kr_owner, now=at(2026, 12, 7, 2, 59)) == MON
    assert reminders.due_local_date(user=kr_owner, now=at(2026, 12, 7, 3, 0)) is None


def test_weekends_are_not_working_days(owner):
    saturday_morning = at(2026, 12, 12, 14, 30)
    assert reminders.due_local_date(user=owner, now=saturday_morning) is None


def test_the_window_hour_is_a_setting(owner, settings):
    settings.REMINDER_LOCAL_HOUR = 7
    assert reminders.due_local_date(user=owner, now=at(2026, 12, 7, 12, 0)) == MON


# --- Planning and claiming ------------------------------------------------------------------------


def planned(now):
    return {plan.recipient.username: plan for plan in reminders.plan_digests(now=now)}


def test_a_kr_holiday_moves_a_kr_owners_digest_and_not_a_us_owners(item_factory, owner, kr_owner):
    # Tuesday 5 May 2026 is Children's Day in Korea and an ordinary day in the United States.
    due = dt.date(2026, 5, 12)
    item_factory("shared", owner=owner, co_owners=[kr_owner], due_date=due, next_follow_up_at=FAR)
    seoul_holiday = at(2026, 5, 5, 0, 30)
    ny_same_day = at(2026, 5, 5, 13, 30)
    seoul_next_day = at(2026, 5, 6, 0, 30)
    assert "seoul-owner" not in planned(seoul_holiday)
    assert [e[1] for e in planned(ny_same_day)["ny-owner"].entries] == [ReminderKind.DUE_SOON]
    plan = planned(seoul_next_day)["seoul-owner"]
    assert plan.local_date == dt.date(2026, 5, 6)
    assert [(i.key, k) for i, k in plan.entries] == [("shared", ReminderKind.DUE_SOON)]


def test_a_digest_holds_only_the_items_its_recipient_may_see(item_factory, user_factory):
    cleared = user_factory("cleared", role=roles.OWNERS, clearances=("us-only",))
    uncleared = user_factory("uncleared", role=roles.OWNERS)
    item_factory("open-to-all", owner=cleared, co_owners=[uncleared], due_date=day(-1))
    item_factory("us-only", owner=cleared, co_owners=[uncleared], due_date=day(-1),
                 marking=Marking.US_ONLY)  # fmt: skip
    plans = planned(NY_MON_MORNING)
    assert {i.key for i, _k in plans["cleared"].entries} == {"open-to-all", "us-only"}
    assert {i.key for i, _k in plans["uncleared"].entries} == {"open-to-all"}


def test_escalation_copies_go_to_the_lead_coordinator_inside_their_one_digest(
    item_factory, owner, user_factory, us_org, settings
):
    settings.REMINDER_ESCALATION_DAYS = 14
    coordinator = user_factory("coord", role=roles.COORDINATORS)
    us_org.coordinator = coordinator
    us_org.save()
    item_factory("late", owner=owner, due_date=day(-20), next_follow_up_at=FAR)
    item_factory("secret", owner=owner, due_date=day(-20), marking=Marking.US_ONLY,
                 next_follow_up_at=FAR)  # fmt: skip
    item_factory("mine", owner=coordinator, due_date=day(-1), next_follow_up_at=FAR)
    plan = planned(NY_MON_MORNING)["coord"]
    assert [(i.key, k) for i, k in plan.entries] == [
        ("mine", ReminderKind.OVERDUE),
        ("late", ReminderKind.ESCALATION),
    ]


def test_nobody_is_planned_when_nothing_is_due(item_factory, owner):
    item_factory(owner=owner, due_date=day(60), next_follow_up_at=FAR)
    assert reminders.plan_digests(now=NY_MON_MORNING) == []


def test_a_sweep_claims_one_row_per_recipient_per_local_day_and_a_second_claims_none(
    item_factory, owner, kr_owner, django_capture_on_commit_callbacks
):
    item_factory("a", owner=owner, co_owners=[kr_owner], due_date=day(-1))
    item_factory("b", owner=owner, due_date=day(3))
    with django_capture_on_commit_callbacks() as callbacks:
        first = reminders.sweep(now=NY_MON_MORNING)
    assert [r.recipient.username for r in first.claimed] == ["ny-owner"]
    assert len(callbacks) == 1  # one send enqueued, on commit
    row = Reminder.objects.get()
    assert (row.local_date, row.state, row.send_before) == (MON, "pending", at(2026, 12, 7, 17))
    assert sorted(row.entries.values_list("item__key", "kind")) == [
        ("a", "overdue"),
        ("b", "due_soon"),
    ]
    second = reminders.sweep(now=NY_MON_MORNING + dt.timedelta(minutes=5))
    assert second.claimed == [] and Reminder.objects.count() == 1
    assert SweepRun.objects.count() == 2


def sweep_statements(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        reminders.sweep(now=now, enqueue=False)
    return len(queries)


def test_a_sweep_takes_as_many_statements_for_many_recipients_as_for_one(
    item_factory, user_factory
):
    first = user_factory(role=roles.OWNERS)
    item_factory(owner=first, due_date=day(-1))
    for_one = sweep_statements(NY_MON_MORNING)
    Reminder.objects.update(state=ReminderState.SENT)  # nothing for requeue_stuck to bump
    owners = [user_factory(role=roles.OWNERS) for _ in range(6)]
    for n, person in enumerate(owners):
        item_factory(owner=person, co_owners=owners[:n], due_date=day(-1))
    tomorrow = NY_MON_MORNING + dt.timedelta(days=1)
    assert sweep_statements(tomorrow) == for_one
    assert Reminder.objects.filter(local_date=day(1)).count() == 6


def test_the_same_day_cannot_be_claimed_twice(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    plan = reminders.plan_digests(now=NY_MON_MORNING)[0]
    assert reminders.claim_digest(plan=plan, now=NY_MON_MORNING, enqueue=False) is not None
    assert reminders.claim_digest(plan=plan, now=NY_MON_MORNING, enqueue=False) is None
    assert Reminder.objects.count() == 1


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the sweep's own claim (COPY) is PostgreSQL's"
)


@postgres_only
def test_a_sweep_leaves_alone_a_day_another_sweep_claimed_after_it_planned(
    item_factory, owner, user_factory, django_capture_on_commit_callbacks
):
    other = user_factory("ny-other", role=roles.OWNERS, time_zone="America/New_York")
    item_factory("mine", owner=owner, due_date=day(-1))
    item_factory("shared", owner=other, co_owners=[owner], due_date=day(-2))
    claims = reminders.collect_claims(now=NY_MON_MORNING)  # planned both digests
    rival = reminders.claim_digest(
        plan=planned(NY_MON_MORNING)["ny-owner"], now=NY_MON_MORNING, enqueue=False
    )
    with django_capture_on_commit_callbacks() as callbacks:
        ours = reminders.write_claims(claims=claims, now=NY_MON_MORNING)
    assert [Reminder.objects.get(pk=pk).recipient for pk in ours] == [other]
    assert len(callbacks) == 1  # only the row made here is sent from here
    rival.refresh_from_db()
    assert sorted(rival.entries.values_list("item__key", flat=True)) == ["mine", "shared"]
    assert Reminder.objects.count() == 2 and ReminderItem.objects.count() == 3


@postgres_only
def test_two_sweeps_at_once_claim_each_digest_once(transactional_db, item_factory, user_factory):
    restore_role_groups()
    owners = [user_factory(role=roles.OWNERS) for _ in range(12)]
    for n, person in enumerate(owners):
        item_factory(owner=person, co_owners=owners[n - 1 : n], due_date=day(-1))
    claimed: list[list[int]] = []

    def sweep(barrier):
        barrier.wait(timeout=10)
        claimed.append(list(reminders.sweep(now=NY_MON_MORNING, enqueue=False).claimed_ids))

    at_once(sweep)
    rows = sorted(Reminder.objects.values_list("pk", flat=True))
    assert len(rows) == 12 and sorted(claimed[0] + claimed[1]) == rows
    assert ReminderItem.objects.count() == 12 + 11  # each owner's item, and the co-owned ones


def test_a_reminder_that_failed_does_not_count_as_reminded(item_factory, owner):
    item = item_factory(owner=owner, due_date=day(-1))
    reminders.sweep(now=NY_MON_MORNING, enqueue=False)
    Reminder.objects.update(state=ReminderState.FAILED)
    tomorrow = NY_MON_MORNING + dt.timedelta(days=1)
    plan = planned(tomorrow)["ny-owner"]
    assert [i for i, _k in plan.entries] == [item]


def test_the_sweep_requeues_a_row_left_pending_past_the_timeout(
    item_factory, owner, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_PENDING_TIMEOUT_MINUTES = 15
    item_factory(owner=owner, due_date=day(-1))
    reminders.sweep(now=NY_MON_MORNING, enqueue=False)
    soon = reminders.requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=14), enqueue=False)
    assert soon == []
    with django_capture_on_commit_callbacks() as callbacks:
        later = reminders.requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=16))
    assert later == [Reminder.objects.get().pk] and len(callbacks) == 1
    again = reminders.requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=17), enqueue=False)
    assert again == []  # bumped: the next requeue waits another timeout


def test_a_row_a_live_worker_holds_is_not_requeued(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    reminders.sweep(now=NY_MON_MORNING, enqueue=False)
    Reminder.objects.update(claimed_at=NY_MON_MORNING + dt.timedelta(minutes=10))
    assert reminders.requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=20)) == []


# --- Sending (Django's test mail outbox; real SMTP is in test_delivery and the e2e tests) ---------


def claim_one(now=NY_MON_MORNING) -> Reminder:
    return reminders.sweep(now=now, enqueue=False).claimed[0]


def test_deliver_sends_one_digest_and_marks_the_row_sent_with_its_message_id(item_factory, owner):
    item_factory("late", owner=owner, due_date=day(-1))
    row = claim_one()
    outcome = delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING + dt.timedelta(seconds=5))
    row.refresh_from_db()
    assert outcome.state == "sent" and row.state == "sent" and row.attempts == 1
    sent_after = row.sent_at - (NY_MON_MORNING + dt.timedelta(seconds=5))
    assert dt.timedelta(0) <= sent_after < dt.timedelta(seconds=30)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ny-owner@example.org"]
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    assert delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING).state == "sent"
    assert len(mail.outbox) == 1  # running it twice sends once


def test_deliver_rebuilds_from_current_data(item_factory, owner, user_factory):
    from tracker import workflow

    closed = item_factory("closing", owner=owner, due_date=day(-1))
    hidden = item_factory("hidden", owner=owner, due_date=day(-1))
    item_factory("still-open", owner=owner, due_date=day(-1))
    row = claim_one()
    workflow.change_status(
        item=closed, to=Status.IMPLEMENTED, by=None, note="done", now=NY_MON_MORNING
    )
    hidden.marking = Marking.US_ONLY
    hidden.save()
    delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING)
    body = mail.outbox[0].body
    assert "still-open" in body and "closing" not in body and "hidden" not in body
    assert list(ReminderItem.objects.values_list("item__key", flat=True)) == ["still-open"]


def test_a_digest_with_nothing_left_is_skipped_not_sent(item_factory, owner):
    from tracker import workflow

    item = item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    workflow.change_status(item=item, to=Status.SUPERSEDED, by=None, note="x", now=NY_MON_MORNING)
    assert delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING).state == "skipped"
    assert mail.outbox == [] and Reminder.objects.get().state == "skipped"


def test_a_digest_is_never_sent_after_the_recipients_window(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    noon = at(2026, 12, 7, 17, 0)  # 12:00 in New York: the window has closed
    outcome = delivery.deliver(reminder_id=row.pk, now=noon)
    assert outcome.state == "skipped" and mail.outbox == []
    assert "window" in Reminder.objects.get().last_error


def test_a_recipient_without_an_email_address_is_skipped_and_logged(item_factory, user_factory):
    person = user_factory("no-mail", role=roles.OWNERS)
    person.email = ""
    person.save()
    item_factory(owner=person, due_date=day(-1))
    row = claim_one()
    assert delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING).state == "skipped"
    assert "email" in Reminder.objects.get().last_error


def test_a_row_held_by_a_live_worker_is_left_alone(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(claimed_at=NY_MON_MORNING)
    outcome = delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING + dt.timedelta(minutes=1))
    assert outcome.state == "busy" and mail.outbox == []


def test_a_row_out_of_attempts_is_failed_without_sending(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(attempts=8, give_up_after=8)
    assert delivery.deliver(reminder_id=row.pk, now=NY_MON_MORNING).state == "failed"
    assert mail.outbox == []


def test_retry_delays_grow_and_stay_capped(settings):
    settings.REMINDER_RETRY_BASE_SECONDS = 5
    settings.REMINDER_RETRY_MAX_SECONDS = 300
    first = delivery.retry_delay(attempts=1)
    assert 5 <= first <= 10
    assert 20 <= delivery.retry_delay(attempts=3) <= 25
    assert delivery.retry_delay(attempts=30) <= 305


# --- For coordinators -----------------------------------------------------------------------------


@pytest.fixture
def coordinator(user_factory):
    return user_factory("coord", role=roles.COORDINATORS, clearances=("us-only", "kr-only"))


def test_send_now_queues_todays_digest_for_every_owner_regardless_of_the_window(
    item_factory, owner, kr_owner, coordinator, django_capture_on_commit_callbacks
):
    item = item_factory("x", owner=owner, co_owners=[kr_owner], due_date=day(60))
    evening = at(2026, 12, 7, 23, 0)  # 18:00 in New York, 08:00 in Seoul
    with django_capture_on_commit_callbacks() as callbacks:
        result = reminders.send_now(item_ids=[item.pk], by=coordinator, now=evening)
    assert result.sent == 2 and result.skipped == [] and len(callbacks) == 2
    rows = Reminder.objects.order_by("recipient__username")
    assert [(r.recipient.username, r.local_date) for r in rows] == [
        ("ny-owner", dt.date(2026, 12, 7)),
        ("seoul-owner", dt.date(2026, 12, 8)),
    ]
    assert all(r.send_before is None for r in rows)


def test_send_now_says_why_it_skipped(item_factory, owner, user_factory, coordinator):
    uncleared = user_factory("uncleared", role=roles.OWNERS)
    sent_today = item_factory("sent-today", owner=owner, due_date=day(-1))
    claim_one()
    Reminder.objects.update(state=ReminderState.SENT)
    closed = item_factory("closed", owner=owner, status=Status.IMPLEMENTED)
    orphan = item_factory("orphan")
    secret = item_factory("secret", owner=owner, co_owners=[uncleared], marking=Marking.KR_ONLY)
    result = reminders.send_now(
        item_ids=[sent_today.pk, closed.pk, orphan.pk, secret.pk, 999999],
        by=coordinator,
        now=NY_MON_MORNING,
    )
    reasons = dict(result.skipped)
    assert result.sent == 0
    assert "already sent" in reasons["sent-today"]
    assert reasons["closed"] == "closed" and reasons["orphan"] == "no owner"
    assert "may not see" in reasons["secret"] and reasons["#999999"] == "not found"


def test_send_now_ignores_items_the_coordinator_may_not_see(item_factory, owner, user_factory):
    plain = user_factory("plain-coord", role=roles.COORDINATORS)
    secret = item_factory("secret", owner=owner, marking=Marking.US_ONLY)
    result = reminders.send_now(item_ids=[secret.pk], by=plain, now=NY_MON_MORNING)
    assert result.sent == 0 and result.skipped == [(f"#{secret.pk}", "not found")]
    assert not Reminder.objects.exists()


def test_retry_failed_puts_failed_rows_back_with_a_fresh_budget(
    item_factory, owner, django_capture_on_commit_callbacks
):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(state=ReminderState.FAILED, attempts=8, last_error="550 no such user")
    with django_capture_on_commit_callbacks() as callbacks:
        count = reminders.retry_failed(reminder_ids=[row.pk], now=NY_MON_MORNING)
    row.refresh_from_db()
    assert count == 1 and len(callbacks) == 1
    assert (row.state, row.attempts, row.last_error) == ("pending", 8, "550 no such user")
    assert row.give_up_after == 16 and row.send_before is None
    assert reminders.retry_failed(reminder_ids=[row.pk], now=NY_MON_MORNING) == 0


def test_reminder_counts_reports_pending_and_failed(item_factory, owner, kr_owner):
    item_factory(owner=owner, co_owners=[kr_owner], due_date=day(-1))
    reminders.sweep(now=NY_MON_MORNING, enqueue=False)
    reminders.sweep(now=SEOUL_MON_MORNING + dt.timedelta(days=1), enqueue=False)
    Reminder.objects.filter(recipient=kr_owner).update(state=ReminderState.FAILED)
    assert reminders.reminder_counts() == {"pending": 1, "failed": 1}


# --- The send_reminders command -------------------------------------------------------------------


def run_command(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def test_the_command_dry_run_lists_who_is_due_and_changes_nothing(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    item_factory(owner=owner, due_date=day(3))
    output = run_command("--dry-run", "--now", "2026-12-07T14:30:00Z")
    assert output == "ny-owner <ny-owner@example.org>: 2 item(s): skipped (dry run)\n"
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


def test_the_item_log_lists_the_digests_that_carried_it_newest_first(item_factory, owner):
    long_ago = dt.datetime(2026, 10, 1, tzinfo=UTC)
    item = item_factory(owner=owner, due_date=day(-1), cadence_days=1, next_follow_up_at=long_ago)
    reminders.sweep(now=NY_MON_MORNING, enqueue=False)
    reminders.sweep(now=NY_MON_MORNING + dt.timedelta(days=1), enqueue=False)
    log = reminders.item_reminder_log(item=item, limit=50)
    assert [e.local_date for e in log] == [day(1), day(0)]
    assert {e.recipient for e in log} == {owner.username}
    assert [e.local_date for e in reminders.item_reminder_log(item=item, limit=1)] == [day(1)]


def test_healthz_reports_the_sweep_ok_after_a_sweep_and_degraded_when_it_stops(client, db):
    from django.utils import timezone

    reminders.sweep(now=timezone.now(), enqueue=False)
    assert client.get("/healthz").json()["sweep"] == "ok"
    SweepRun.objects.update(started_at=timezone.now() - dt.timedelta(minutes=16))
    body = client.get("/healthz").json()
    assert (body["status"], body["sweep"]) == ("degraded", "stale")

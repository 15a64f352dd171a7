"""The sweep: who is due now, one row per recipient and local day claimed, stuck rows picked up."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.db import at_once, restore_role_groups
from tests.support.reminders import FAR, MON, NY_MON_MORNING, at, day, planned, swept
from tracker import roles
from tracker.models import Marking, Reminder, ReminderItem, ReminderKind, ReminderState, SweepRun
from tracker.reminders.sweep import claim_digests, plan_digests, requeue_stuck, sweep


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
    assert plan_digests(now=NY_MON_MORNING) == []


def test_a_sweep_claims_one_row_per_recipient_per_local_day_and_a_second_claims_none(
    item_factory, owner, kr_owner
):
    item_factory("a", owner=owner, co_owners=[kr_owner], due_date=day(-1))
    item_factory("b", owner=owner, due_date=day(3))
    first = swept(NY_MON_MORNING)
    assert [r.recipient.username for r in first] == ["ny-owner"]
    row = Reminder.objects.get()
    assert (row.local_date, row.state, row.send_before) == (MON, "pending", at(2026, 12, 7, 17))
    assert sorted(row.entries.values_list("item__key", "kind")) == [
        ("a", "overdue"),
        ("b", "due_soon"),
    ]
    second = swept(NY_MON_MORNING + dt.timedelta(minutes=5))
    assert second == [] and Reminder.objects.count() == 1
    assert SweepRun.objects.count() == 2


def sweep_statements(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        sweep(now=now)
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
    plan = plan_digests(now=NY_MON_MORNING)[0]
    assert claim_digests(plans=[plan], now=NY_MON_MORNING) != []
    assert claim_digests(plans=[plan], now=NY_MON_MORNING) == []
    assert Reminder.objects.count() == 1


def test_a_claim_leaves_alone_a_day_another_sweep_claimed_after_it_planned(
    item_factory, owner, user_factory
):
    other = user_factory("ny-other", role=roles.OWNERS, time_zone="America/New_York")
    item_factory("mine", owner=owner, due_date=day(-1))
    item_factory("shared", owner=other, co_owners=[owner], due_date=day(-2))
    plans = plan_digests(now=NY_MON_MORNING)  # planned both digests
    rival_plan = planned(NY_MON_MORNING)["ny-owner"]
    (rival_id,) = claim_digests(plans=[rival_plan], now=NY_MON_MORNING - dt.timedelta(seconds=1))
    ours = claim_digests(plans=plans, now=NY_MON_MORNING)
    assert [Reminder.objects.get(pk=pk).recipient for pk in ours] == [other]
    rival = Reminder.objects.get(pk=rival_id)
    assert sorted(rival.entries.values_list("item__key", flat=True)) == ["mine", "shared"]
    assert Reminder.objects.count() == 2 and ReminderItem.objects.count() == 3


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two sessions at once need PostgreSQL's locks"
)


@postgres_only
def test_two_sweeps_at_once_claim_each_digest_once(transactional_db, item_factory, user_factory):
    restore_role_groups()
    owners = [user_factory(role=roles.OWNERS) for _ in range(12)]
    for n, person in enumerate(owners):
        item_factory(owner=person, co_owners=owners[n - 1 : n], due_date=day(-1))
    claimed: list[list[int]] = []

    def one_sweep(barrier):
        barrier.wait(timeout=10)
        claimed.append(list(sweep(now=NY_MON_MORNING).claimed_ids))

    at_once(one_sweep)
    rows = sorted(Reminder.objects.values_list("pk", flat=True))
    assert len(rows) == 12 and sorted(claimed[0] + claimed[1]) == rows
    assert ReminderItem.objects.count() == 12 + 11  # each owner's item, and the co-owned ones


def test_a_reminder_that_failed_does_not_count_as_reminded(item_factory, owner):
    item = item_factory(owner=owner, due_date=day(-1))
    sweep(now=NY_MON_MORNING)
    Reminder.objects.update(state=ReminderState.FAILED)
    tomorrow = NY_MON_MORNING + dt.timedelta(days=1)
    plan = planned(tomorrow)["ny-owner"]
    assert [i for i, _k in plan.entries] == [item]


def test_the_sweep_requeues_a_row_left_pending_past_the_timeout(item_factory, owner, settings):
    settings.REMINDER_PENDING_TIMEOUT_MINUTES = 15
    item_factory(owner=owner, due_date=day(-1))
    sweep(now=NY_MON_MORNING)
    soon = requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=14))
    assert soon == []
    later = sweep(now=NY_MON_MORNING + dt.timedelta(minutes=16))
    assert later.requeued_ids == [Reminder.objects.get().pk] and later.claimed_ids == []
    again = requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=17))
    assert again == []  # bumped: the next requeue waits another timeout


def test_a_row_a_live_worker_holds_is_not_requeued(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    sweep(now=NY_MON_MORNING)
    Reminder.objects.update(claimed_at=NY_MON_MORNING + dt.timedelta(minutes=10))
    assert requeue_stuck(now=NY_MON_MORNING + dt.timedelta(minutes=20)) == []


def test_healthz_reports_the_sweep_ok_after_a_sweep_and_degraded_when_it_stops(client, db):
    from django.utils import timezone

    sweep(now=timezone.now())
    assert client.get("/healthz").json()["sweep"] == "ok"
    SweepRun.objects.update(started_at=timezone.now() - dt.timedelta(minutes=16))
    body = client.get("/healthz").json()
    assert (body["status"], body["sweep"]) == ("degraded", "stale")


def test_an_item_snoozed_before_the_sweep_is_not_planned(item_factory, owner):
    item_factory("snoozed", owner=owner, due_date=day(-1), snoozed_until=FAR)
    item_factory("late", owner=owner, due_date=day(-1))
    assert [i.key for i, _k in planned(NY_MON_MORNING)["ny-owner"].entries] == ["late"]


def test_a_sweep_with_tasks_to_hand_over_enqueues_them_only_once_committed(
    item_factory, owner, django_capture_on_commit_callbacks, monkeypatch
):
    from tracker import tasks

    handed: list[list[int]] = []
    monkeypatch.setattr(tasks.send_reminders, "delay", handed.append)
    item_factory(owner=owner, due_date=day(-1))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        tasks.enqueue_sends(sweep(now=NY_MON_MORNING).to_send)
    assert len(callbacks) == 1 and handed == [[Reminder.objects.get().pk]]


def test_a_snooze_from_a_digest_silences_only_the_person_who_clicked(
    item_factory, owner, user_factory
):
    from tracker import workflow

    co_owner = user_factory("ny-co-owner", role=roles.OWNERS, time_zone="America/New_York")
    item = item_factory("shared", owner=owner, co_owners=[co_owner], due_date=day(-1))
    workflow.snooze(
        item=item, by=owner, days=7, now=NY_MON_MORNING - dt.timedelta(days=1), for_everyone=False
    )
    plans = planned(NY_MON_MORNING)
    assert "ny-owner" not in plans
    assert [i.key for i, _k in plans["ny-co-owner"].entries] == ["shared"]
    week_later = NY_MON_MORNING + dt.timedelta(days=7)
    assert [i.key for i, _k in planned(week_later)["ny-owner"].entries] == ["shared"]


def test_without_a_lead_coordinator_an_escalation_goes_to_the_countrys_coordinators(
    item_factory, owner, user_factory, settings
):
    settings.REMINDER_ESCALATION_DAYS = 14
    us_one = user_factory("us-coord-1", role=roles.COORDINATORS)
    us_two = user_factory("us-coord-2", role=roles.COORDINATORS)
    user_factory("kr-coord", role=roles.COORDINATORS, country="KR", time_zone="America/New_York")
    item_factory("orphan", owner=owner, due_date=day(-20), next_follow_up_at=FAR)  # us_org
    plans = planned(NY_MON_MORNING)
    for coordinator in (us_one, us_two):
        entries = plans[coordinator.username].entries
        assert [(i.key, k) for i, k in entries] == [("orphan", ReminderKind.ESCALATION)]
    assert "kr-coord" not in plans


def test_the_dashboard_and_admin_show_long_overdue_items_with_nobody_to_escalate_to(
    client, item_factory, user_factory, settings, kr_org
):
    from django.utils import timezone

    settings.REMINDER_ESCALATION_DAYS = 14
    settings.ADMIN_REQUIRE_OTP = False
    late = timezone.localdate() - dt.timedelta(days=20)
    item_factory("nobody-hears", title_en="Nobody hears of this", due_date=late)
    item_factory("kr-heard", lead_organization=kr_org, due_date=late)
    user_factory("kr-coord", role=roles.COORDINATORS, country="KR")
    coordinator = user_factory("viewer", role=roles.COORDINATORS, country="JOINT")
    client.force_login(coordinator)
    page = client.get("/").content.decode()
    assert "Long overdue, nobody to escalate to" in page and "unescalated=on" in page
    listed = client.get("/items/?unescalated=on").content.decode()
    assert "Nobody hears of this" in listed and "kr-heard" not in listed
    admin_list = client.get("/admin/tracker/actionitem/?escalation=nobody")
    keys = {item.key for item in admin_list.context["cl"].result_list}
    assert keys == {"nobody-hears"}

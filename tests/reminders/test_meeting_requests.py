"""Updates due before a meeting: owners of agenda items hear of them N days before the meeting and
again at N/2, in their own morning, inside their one digest; a postponement moves the days; an
update answers them.

The DTICC (N = 14) meets on Monday 21 December 2026: requests on Monday 7 and Monday 14.
"""

# ruff: noqa: F811  (pytest fixtures imported by name, then requested as arguments)

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.meetings import dticc, meeting_factory  # noqa: F401
from tests.support.reminders import (
    FAR,
    NY_MON_MORNING,
    SEOUL_MON_MORNING,
    at,
    day,
    deliver,
    planned,
    swept,
)
from tracker import meetings, roles, workflow
from tracker.models import MeetingStatus, Reminder, ReminderKind, Status
from tracker.reminders.sweep import sweep

MEETING_DAY = dt.date(2026, 12, 21)


def ny_morning(n: int) -> dt.datetime:
    return NY_MON_MORNING + dt.timedelta(days=n)


def kinds(now, username="ny-owner") -> dict[str, str]:
    plan = planned(now).get(username)
    return {item.key: kind for item, kind in plan.entries} if plan else {}


@pytest.fixture
def agenda_item(item_factory, owner, kr_owner, dticc):
    item = item_factory("mou-revision", owner=owner, co_owners=[kr_owner], next_follow_up_at=FAR)
    dticc.items.add(item)
    return item


@pytest.fixture
def meeting(meeting_factory, agenda_item):
    return meeting_factory(MEETING_DAY)


def test_owners_are_asked_n_days_before_in_their_own_morning(meeting, settings):
    settings.REMINDER_ONLY_WORKING_DAYS = False
    assert kinds(ny_morning(-1)) == {}  # Sunday 6th: not yet
    assert kinds(ny_morning(0)) == {"mou-revision": ReminderKind.MEETING}
    assert kinds(SEOUL_MON_MORNING, "seoul-owner") == {"mou-revision": ReminderKind.MEETING}
    assert kinds(ny_morning(0) - dt.timedelta(hours=6)) == {}  # 03:30 in New York


def test_they_are_asked_again_at_half_of_n_and_not_in_between(meeting):
    assert [r.recipient.username for r in swept(ny_morning(0))] == ["ny-owner"]
    assert kinds(ny_morning(1)) == {}
    assert kinds(ny_morning(4)) == {}
    swept(ny_morning(4))
    assert kinds(ny_morning(7)) == {"mou-revision": ReminderKind.MEETING}
    swept(ny_morning(7))
    assert kinds(ny_morning(8)) == {}
    assert kinds(ny_morning(14)) == {}  # the meeting's day: nothing more to ask


def test_a_request_day_on_a_holiday_comes_on_the_next_working_day(meeting_factory, agenda_item):
    meeting_factory(dt.date(2026, 12, 26))  # a Saturday: requests on Saturday 12th, Saturday 19th
    assert kinds(at(2026, 12, 12, 14, 30)) == {}
    assert kinds(at(2026, 12, 14, 14, 30)) == {"mou-revision": ReminderKind.MEETING}


def test_a_postponement_moves_the_requests(meeting, user_factory):
    coordinator = user_factory("coord-p", role=roles.COORDINATORS)
    swept(ny_morning(0))
    meetings.postpone(meeting=meeting, to=dt.date(2027, 1, 11), by=coordinator, now=ny_morning(1))
    assert kinds(ny_morning(7)) == {}  # the old second request
    assert kinds(at(2026, 12, 28, 14, 30)) == {"mou-revision": ReminderKind.MEETING}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.POSTPONED


def test_no_request_once_the_update_is_in(meeting, agenda_item, owner):
    swept(ny_morning(0))
    workflow.post_update(item=agenda_item, by=owner, note="On track.", now=ny_morning(1))
    assert kinds(ny_morning(7)) == {}


def test_an_update_on_the_morning_of_the_first_request_answers_both(meeting, agenda_item, owner):
    # Without a held meeting before it, an update counts from the first request day on (the
    # meeting's zone: Seoul, where 7 December began at 15:00 UTC on the 6th).
    workflow.post_update(item=agenda_item, by=owner, note="Early.", now=at(2026, 12, 6, 14))
    assert kinds(ny_morning(0)) == {"mou-revision": ReminderKind.MEETING}
    workflow.post_update(item=agenda_item, by=owner, note="On time.", now=at(2026, 12, 6, 16))
    assert kinds(ny_morning(0)) == {}
    assert kinds(ny_morning(7)) == {}


def test_an_update_from_before_the_last_meeting_does_not_count(
    meeting_factory,
    agenda_item,
    owner,
):
    meeting_factory(dt.date(2026, 11, 2), status=MeetingStatus.HELD)
    workflow.post_update(item=agenda_item, by=owner, note="Old.", now=at(2026, 11, 1, 12))
    meeting_factory(MEETING_DAY)
    assert kinds(ny_morning(0)) == {"mou-revision": ReminderKind.MEETING}


def test_a_closed_item_is_not_asked_for(meeting, agenda_item, owner):
    workflow.change_status(
        item=agenda_item, to=Status.SUPERSEDED, by=owner, note="done", now=ny_morning(-30)
    )
    assert kinds(ny_morning(0)) == {}


def test_an_update_between_the_claim_and_the_send_leaves_the_request_out(
    meeting, agenda_item, owner, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (row,) = swept(ny_morning(0))
    workflow.post_update(item=agenda_item, by=owner, note="Done it.", now=ny_morning(0))
    outcome = deliver(row.pk, ny_morning(0) + dt.timedelta(minutes=1))
    assert outcome.state == "skipped" and mail.outbox == []


def test_the_digest_names_the_forum_and_the_meeting_day(meeting, kr_owner, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    (row,) = swept(ny_morning(0))
    deliver(row.pk, ny_morning(0))
    (message,) = mail.outbox
    assert "== Update before the DTICC meeting on Dec. 21, 2026 ==" in message.body
    assert f"/meetings/{meeting.pk}/" in message.body
    assert "mou-revision" in message.body
    (kr_row,) = swept(SEOUL_MON_MORNING + dt.timedelta(days=7))
    deliver(kr_row.pk, SEOUL_MON_MORNING + dt.timedelta(days=7))
    korean = mail.outbox[-1].body
    assert "DTICC" in korean and "2026년 12월 21일" in korean


def test_a_meeting_request_joins_the_owners_one_digest_of_the_day(meeting, item_factory, owner):
    item_factory("late", owner=owner, due_date=day(-3))
    (row,) = swept(ny_morning(0))
    assert sorted(row.entries.values_list("item__key", "kind")) == [
        ("late", ReminderKind.OVERDUE),
        ("mou-revision", ReminderKind.MEETING),
    ]
    assert Reminder.objects.count() == 1


def statements(now) -> int:
    with CaptureQueriesContext(connection) as queries:
        sweep(now=now)
    return len(queries)


def test_a_sweep_takes_as_many_statements_for_many_agenda_items_as_for_one(
    meeting,
    item_factory,
    user_factory,
    dticc,
    meeting_factory,
):
    for_one = statements(ny_morning(0))
    Reminder.objects.update(state="sent")
    owners = [user_factory(role=roles.OWNERS) for _ in range(5)]
    for n, person in enumerate(owners):
        dticc.items.add(item_factory(owner=person, co_owners=owners[:n], next_follow_up_at=FAR))
    explicit = meeting_factory(dt.date(2026, 12, 22), items=[item_factory(owner=owners[0])])
    assert explicit.agenda_entries.count() == 1
    assert statements(ny_morning(1)) == for_one
    assert Reminder.objects.filter(local_date=day(1)).count() == 5

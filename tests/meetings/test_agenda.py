"""Forums and meetings: who is on an agenda, whose update is in, holding, postponing and carrying
over to the next meeting of the series."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker import meetings, workflow
from tracker.meetings import MeetingError
from tracker.models import AgendaReason, Marking, MeetingStatus, Status

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)  # 12:00 in Seoul on Monday 7 December
TODAY = dt.date(2026, 12, 7)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def keys(meeting) -> list[str]:
    return sorted(meetings.agenda_items(meeting).values_list("key", flat=True))


def test_an_item_is_on_a_coming_agenda_explicitly_or_through_its_forum_while_open(
    item_factory, dticc, meeting_factory
):
    through_forum = item_factory("forum-item")
    closed_in_forum = item_factory("closed-forum-item", status=Status.IMPLEMENTED)
    explicit = item_factory("explicit-item")
    item_factory("elsewhere")
    dticc.items.add(through_forum, closed_in_forum)
    meeting = meeting_factory(days(10), items=[explicit])
    assert keys(meeting) == ["explicit-item", "forum-item"]


def test_an_explicit_closed_item_stays_on_the_agenda(item_factory, meeting_factory):
    done = item_factory("done", status=Status.IMPLEMENTED)
    assert keys(meeting_factory(days(10), items=[done])) == ["done"]


def test_the_agenda_shows_a_viewer_only_the_items_they_may_see(
    item_factory, dticc, meeting_factory, user_factory
):
    dticc.items.add(item_factory("open-to-all"), item_factory("us-eyes", marking=Marking.US_ONLY))
    meeting = meeting_factory(days(10))
    reader = user_factory("reader")
    assert [line.item.key for line in meetings.agenda(meeting=meeting, user=reader)] == [
        "open-to-all"
    ]
    assert meetings.awaiting_count(meeting=meeting, user=reader) == 1


def test_an_update_since_the_last_held_meeting_is_in_and_an_older_one_is_not(
    item_factory, dticc, meeting_factory, coordinator
):
    meeting_factory(days(-40), status=MeetingStatus.HELD)
    before = item_factory("updated-before")
    after = item_factory("updated-after")
    dticc.items.add(before, after)
    workflow.post_update(item=before, by=coordinator, note="old news", now=NOW - dt.timedelta(41))
    workflow.post_update(item=after, by=coordinator, note="fresh", now=NOW - dt.timedelta(39))
    coming = meeting_factory(days(10))
    lines = {
        line.item.key: line.update_in for line in meetings.agenda(meeting=coming, user=coordinator)
    }
    assert lines == {"updated-before": False, "updated-after": True}
    assert meetings.awaiting_count(meeting=coming, user=coordinator) == 1


def test_without_a_held_meeting_an_update_counts_from_the_first_request(
    item_factory, dticc, meeting_factory, coordinator
):
    item = item_factory("lone")
    dticc.items.add(item)
    coming = meeting_factory(days(20))  # first request: 14 days before, on day 6
    workflow.post_update(item=item, by=coordinator, note="early", now=NOW + dt.timedelta(days=5))
    assert meetings.agenda(meeting=coming, user=coordinator)[0].update_in is False
    workflow.post_update(item=item, by=coordinator, note="in time", now=NOW + dt.timedelta(days=6))
    item.refresh_from_db()
    assert meetings.agenda(meeting=coming, user=coordinator)[0].update_in is True


def test_holding_writes_the_agenda_down_and_carries_open_items_to_the_next_meeting(
    item_factory, dticc, meeting_factory, coordinator
):
    open_item, closing = item_factory("still-open"), item_factory("closing")
    explicit = item_factory("explicit-open")
    dticc.items.add(open_item, closing)
    held = meeting_factory(days(-1), items=[explicit])
    following = meeting_factory(days(60))
    workflow.change_status(
        item=closing, to=Status.SUPERSEDED, by=coordinator, note="signed", now=NOW
    )
    carried = meetings.hold(meeting=held, by=coordinator, now=NOW, minutes_en="Met.")
    held.refresh_from_db()
    assert held.status == MeetingStatus.HELD and held.minutes_en == "Met."
    assert keys(held) == ["explicit-open", "still-open"]  # closing was closed before it met
    assert sorted(carried) == sorted([open_item.pk, explicit.pk])
    entries = following.agenda_entries.order_by("item__key")
    assert [(e.item.key, e.reason, e.carried_from_id) for e in entries] == [
        ("explicit-open", AgendaReason.CARRIED, held.pk),
        ("still-open", AgendaReason.CARRIED, held.pk),
    ]
    workflow.change_status(
        item=open_item, to=Status.SUPERSEDED, by=coordinator, note="done", now=NOW
    )
    assert keys(held) == ["explicit-open", "still-open"]  # a held agenda does not change


def test_a_meeting_planned_after_a_held_one_takes_its_open_items(
    item_factory, meeting_factory, coordinator
):
    left_open, closed = item_factory("left-open"), item_factory("closed-since")
    held = meeting_factory(days(-3), items=[left_open, closed])
    meetings.hold(meeting=held, by=coordinator, now=NOW)
    workflow.change_status(item=closed, to=Status.SUPERSEDED, by=coordinator, note="x", now=NOW)
    planned_later = meeting_factory(days(90))
    assert meetings.carry_into(meeting=planned_later) == [left_open.pk]
    assert keys(planned_later) == ["left-open"]
    assert meetings.carry_into(meeting=planned_later) == []  # twice: nothing more


def test_a_meeting_cannot_be_held_before_its_day_nor_twice(meeting_factory, coordinator):
    meeting = meeting_factory(days(1))
    with pytest.raises(MeetingError, match="before its date"):
        meetings.hold(meeting=meeting, by=coordinator, now=NOW)
    meetings.hold(meeting=meeting, by=coordinator, now=NOW + dt.timedelta(days=1))
    with pytest.raises(MeetingError, match="already been held"):
        meetings.hold(meeting=meeting, by=coordinator, now=NOW + dt.timedelta(days=1))


def test_only_a_coordinator_holds_or_postpones(meeting_factory, user_factory):
    owner = user_factory("an-owner")
    meeting = meeting_factory(days(0))
    with pytest.raises(MeetingError, match="Only a coordinator"):
        meetings.hold(meeting=meeting, by=owner, now=NOW)
    with pytest.raises(MeetingError, match="Only a coordinator"):
        meetings.postpone(meeting=meeting, to=days(9), by=owner, now=NOW)


def test_a_postponement_moves_the_date_and_the_requests_and_keeps_the_first_date(
    meeting_factory, coordinator
):
    meeting = meeting_factory(days(10))
    meetings.postpone(meeting=meeting, to=days(40), by=coordinator, now=NOW)
    meetings.postpone(meeting=meeting, to=days(50), by=coordinator, now=NOW)
    meeting.refresh_from_db()
    assert (meeting.status, meeting.date, meeting.original_date) == (
        MeetingStatus.POSTPONED,
        days(50),
        days(10),
    )
    assert meetings.request_days(lead_days=14, date=meeting.date) == (days(36), days(43))
    with pytest.raises(MeetingError, match="after the planned date"):
        meetings.postpone(meeting=meeting, to=days(45), by=coordinator, now=NOW)


def test_the_next_meeting_of_an_item_is_the_soonest_coming_one_with_it_on_the_agenda(
    item_factory, dticc, meeting_factory
):
    item = item_factory("on-two")
    dticc.items.add(item)
    meeting_factory(days(-5), status=MeetingStatus.HELD, items=[item])
    soonest = meeting_factory(days(12))
    meeting_factory(days(80))
    assert meetings.next_meeting_of(item=item, today=TODAY) == soonest
    assert meetings.next_meeting_of(item=item_factory("off-agenda"), today=TODAY) is None


def test_the_dashboard_shows_each_forums_next_meeting_with_the_items_awaiting_an_update(
    client, item_factory, dticc, meeting_factory, coordinator
):
    dticc.items.add(item_factory("waiting-one"), item_factory("waiting-two"))
    from django.utils import timezone

    meeting = meeting_factory(timezone.localdate() + dt.timedelta(days=9))
    client.force_login(coordinator)
    page = client.get("/").content.decode()
    assert f"/meetings/{meeting.pk}/" in page
    assert "2 agenda items awaiting an update" in page
    item_page = client.get("/items/waiting-one/").content.decode()
    assert f'href="/meetings/{meeting.pk}/"' in item_page


def _page_queries(client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_meeting_page_costs_the_same_queries_for_few_and_many_agenda_items(
    client, item_factory, dticc, meeting_factory, coordinator
):
    meeting = meeting_factory(days(10), items=[item_factory(owner=coordinator)])
    dticc.items.add(item_factory(owner=coordinator))
    client.force_login(coordinator)
    few = _page_queries(client, f"/meetings/{meeting.pk}/")
    for _ in range(12):
        dticc.items.add(item_factory(owner=coordinator))
        meeting.agenda_entries.create(item=item_factory())
    assert _page_queries(client, f"/meetings/{meeting.pk}/") == few

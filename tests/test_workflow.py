"""Status changes: every allowed and forbidden transition, notes, timeline and follow-up time."""

import datetime as dt
import itertools

import pytest

from tracker import roles, workflow
from tracker.models import CLOSED_STATUSES, OPEN_STATUSES, Status, StatusUpdate, UpdateKind
from tracker.workflow import StaleEdit, WorkflowError

ALLOWED = {
    (Status.NOT_STARTED, Status.IN_PROGRESS),
    (Status.NOT_STARTED, Status.BLOCKED),
    (Status.NOT_STARTED, Status.IMPLEMENTED),
    (Status.NOT_STARTED, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.NOT_STARTED, Status.SUPERSEDED),
    (Status.IN_PROGRESS, Status.BLOCKED),
    (Status.IN_PROGRESS, Status.IMPLEMENTED),
    (Status.IN_PROGRESS, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.IN_PROGRESS, Status.SUPERSEDED),
    (Status.BLOCKED, Status.IN_PROGRESS),
    (Status.BLOCKED, Status.IMPLEMENTED),
    (Status.BLOCKED, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.BLOCKED, Status.SUPERSEDED),
    (Status.IMPLEMENTED, Status.IN_PROGRESS),
    (Status.IMPLEMENTED, Status.BLOCKED),
    (Status.CLOSED_NOT_IMPLEMENTED, Status.IN_PROGRESS),
    (Status.CLOSED_NOT_IMPLEMENTED, Status.BLOCKED),
    (Status.SUPERSEDED, Status.IN_PROGRESS),
    (Status.SUPERSEDED, Status.BLOCKED),
}
ALL_PAIRS = [(a, b) for a, b in itertools.product(Status.values, Status.values) if a != b]


@pytest.fixture
def coordinator(user_factory):
    return user_factory(role=roles.COORDINATORS)


@pytest.mark.parametrize(("start", "end"), ALL_PAIRS)
def test_each_transition_is_allowed_or_refused_as_the_table_says(
    item_factory, coordinator, now, start, end
):
    item = item_factory(status=start)
    allowed = (start, end) in ALLOWED
    if allowed:
        update = workflow.change_status(item=item, to=end, by=coordinator, note="why", now=now)
        item.refresh_from_db()
        assert item.status == end
        assert (update.from_status, update.to_status, update.author) == (start, end, coordinator)
    else:
        with pytest.raises(WorkflowError, match="cannot go from"):
            workflow.change_status(item=item, to=end, by=coordinator, note="why", now=now)
        item.refresh_from_db()
        assert item.status == start
        assert not StatusUpdate.objects.filter(item=item).exists()


@pytest.mark.parametrize("end", CLOSED_STATUSES)
def test_closing_without_a_note_is_refused_and_changes_nothing(item_factory, coordinator, now, end):
    item = item_factory(status=Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="note is required"):
        workflow.change_status(item=item, to=end, by=coordinator, note="   ", now=now)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.updates.count() == 0


def test_reopening_needs_a_note(item_factory, coordinator, now):
    item = item_factory(status=Status.IMPLEMENTED, next_follow_up_at=None)
    with pytest.raises(WorkflowError):
        workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, note="", now=now)
    workflow.change_status(
        item=item, to=Status.IN_PROGRESS, by=coordinator, note="Talks resumed", now=now
    )
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS
    assert item.next_follow_up_at == now + dt.timedelta(days=item.cadence_days)


def test_moving_between_open_statuses_needs_no_note(item_factory, coordinator, now):
    item = item_factory(status=Status.NOT_STARTED)
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=now)
    assert item.updates.get().note == ""


def test_a_status_change_writes_the_timeline_and_restarts_the_cadence(
    item_factory, coordinator, now
):
    item = item_factory(cadence_days=30)
    workflow.change_status(item=item, to=Status.BLOCKED, by=coordinator, note="No quorum", now=now)
    item.refresh_from_db()
    entry = item.updates.get()
    assert (entry.created_at, entry.kind, entry.note) == (now, UpdateKind.STATUS, "No quorum")
    assert item.last_update_at == now
    assert item.next_follow_up_at == now + dt.timedelta(days=30)


def test_a_closed_item_has_no_next_follow_up(item_factory, coordinator, now):
    item = item_factory()
    workflow.change_status(item=item, to=Status.SUPERSEDED, by=coordinator, note="RDP", now=now)
    item.refresh_from_db()
    assert item.next_follow_up_at is None


def test_an_unknown_status_is_refused(item_factory, coordinator, now):
    item = item_factory()
    with pytest.raises(WorkflowError, match="Unknown status"):
        workflow.change_status(item=item, to="done-ish", by=coordinator, note="x", now=now)


def test_a_reader_may_not_change_status(item_factory, user_factory, now):
    item = item_factory()
    reader = user_factory(role=roles.READERS)
    with pytest.raises(WorkflowError, match="may not update"):
        workflow.change_status(item=item, to=Status.IN_PROGRESS, by=reader, now=now)


def test_owners_and_co_owners_may_post_updates(item_factory, user_factory, now):
    owner = user_factory(role=roles.OWNERS)
    co_owner = user_factory(role=roles.OWNERS, country="KR")
    item = item_factory(owner=owner, co_owners=[co_owner])
    workflow.post_update(item=item, by=owner, note="Drafted text", now=now)
    workflow.post_update(item=item, by=co_owner, note="초안 검토 완료", now=now)
    assert [u.author for u in item.updates.order_by("id")] == [owner, co_owner]


def test_an_owner_of_another_item_may_not_post(item_factory, user_factory, now):
    item = item_factory(owner=user_factory(role=roles.OWNERS))
    stranger = user_factory(role=roles.OWNERS)
    with pytest.raises(WorkflowError):
        workflow.post_update(item=item, by=stranger, note="hi", now=now)


def test_an_update_needs_a_note_and_strips_control_characters(item_factory, coordinator, now):
    item = item_factory()
    with pytest.raises(WorkflowError):
        workflow.post_update(item=item, by=coordinator, note="\x00\x07 ", now=now)
    update = workflow.post_update(item=item, by=coordinator, note="ok\x1b[31m", now=now)
    assert update.note == "ok[31m"


def test_an_overlong_note_is_refused(item_factory, coordinator, now):
    item = item_factory()
    with pytest.raises(WorkflowError, match="too long"):
        workflow.post_update(item=item, by=coordinator, note="x" * 5000, now=now)
    assert item.updates.count() == 0


def test_snooze_holds_the_follow_up_until_it_ends(item_factory, coordinator, now):
    item = item_factory(next_follow_up_at=now - dt.timedelta(days=1))
    workflow.snooze(item=item, by=coordinator, days=7, now=now)
    item.refresh_from_db()
    assert item.snoozed_until == now + dt.timedelta(days=7)
    assert item.next_follow_up_at == now + dt.timedelta(days=7)
    # An update during the snooze does not bring the reminder forward.
    workflow.post_update(item=item, by=coordinator, note="progress", now=now)
    item.refresh_from_db()
    assert item.next_follow_up_at == now + dt.timedelta(days=item.cadence_days)


@pytest.mark.parametrize("days", [0, -1, 91])
def test_snooze_out_of_range_is_refused(item_factory, coordinator, now, days):
    item = item_factory()
    with pytest.raises(WorkflowError):
        workflow.snooze(item=item, by=coordinator, days=days, now=now)


def test_on_track_is_refused_on_a_closed_item(item_factory, coordinator, now):
    item = item_factory(status=Status.IMPLEMENTED)
    with pytest.raises(WorkflowError, match="closed"):
        workflow.mark_on_track(item=item, by=coordinator, now=now)


def test_an_owner_who_may_not_see_the_marking_cannot_be_assigned(
    item_factory, user_factory, coordinator, now
):
    item = item_factory(marking="us-only")
    kr_owner = user_factory(role=roles.OWNERS, country="KR", clearances=("kr-only", "us-kr"))
    with pytest.raises(WorkflowError, match="may not see"):
        workflow.reassign_owner(item=item, owner=kr_owner, by=coordinator, now=now)
    item.refresh_from_db()
    assert item.owner is None


def test_a_stale_edit_is_refused_and_names_who_changed_it(item_factory, coordinator, now):
    item = item_factory()
    opened_version = item.version
    workflow.post_update(item=item, by=coordinator, note="first", now=now)
    stale = type(item).objects.get(pk=item.pk)
    stale.title_en = "Overwritten title"
    with pytest.raises(StaleEdit):
        workflow.save_edit(item=stale, by=coordinator, expected_version=opened_version, now=now)
    item.refresh_from_db()
    assert item.title_en != "Overwritten title"


def test_open_and_closed_statuses_split_the_six(db):
    assert set(OPEN_STATUSES) | set(CLOSED_STATUSES) == set(Status.values)
    assert not set(OPEN_STATUSES) & set(CLOSED_STATUSES)

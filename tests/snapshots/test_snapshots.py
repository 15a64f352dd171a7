"""Snapshots: the state of a past moment rebuilt from the history, frozen, numbered, hashed, for one
edition; and what changed between two of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from tracker import comparison, snapshots, workflow
from tracker.models import ActionItem, Edition, Marking, ScopeKind, Snapshot, Status
from tracker.snapshots import SnapshotError

UTC = dt.UTC


@pytest.fixture
def t0() -> dt.datetime:
    """The items are made at the real time; every moment of the tests comes after it."""
    return timezone.now() + dt.timedelta(minutes=1)


def ask(*, as_of, scope=None, edition=Edition.ALL, source=None, **titles) -> snapshots.Request:
    scope = scope or snapshots.Scope(kind=ScopeKind.SOURCE, source=source)
    return snapshots.Request(scope=scope, edition=edition, as_of=as_of, zone=UTC, **titles)


def edit_due(item: ActionItem, due: dt.date, *, when: dt.datetime, by) -> None:
    """A due date changed in a form (the admin's save_edit), at `when` in the field history."""
    item.refresh_from_db()
    item.due_date = due
    item._history_date = when
    workflow.save_edit(item=item, by=by, expected_version=item.version, now=when)


def rows(snapshot: Snapshot) -> dict[str, tuple]:
    return {r["key"]: (r["status"], r["owner"], r["due_date"]) for r in snapshot.content["items"]}


def test_a_snapshot_of_a_past_moment_holds_the_state_then_though_items_changed_since(
    item_factory, source, coordinator, user_factory, t0
):
    alice, bob = user_factory("alice"), user_factory("bob")
    edited = item_factory("edited", due_date=dt.date(2027, 3, 31))
    item_factory("untouched", owner=alice, due_date=dt.date(2027, 1, 15))
    later = t0 + dt.timedelta(days=1)
    workflow.change_status(item=edited, to=Status.IN_PROGRESS, by=coordinator, now=later)
    workflow.reassign_owner(item=edited, owner=alice, by=coordinator, now=later)
    edit_due(edited, dt.date(2027, 4, 30), when=later, by=coordinator)
    past = t0 + dt.timedelta(days=1, hours=12)
    since = t0 + dt.timedelta(days=2)
    workflow.change_status(
        item=edited, to=Status.SUPERSEDED, by=coordinator, note="done", now=since
    )
    workflow.reassign_owner(item=edited, owner=bob, by=coordinator, now=since)
    edit_due(edited, dt.date(2027, 9, 30), when=since, by=coordinator)
    made_since = item_factory("made-since")
    ActionItem.history.filter(id=made_since.pk).update(history_date=since)

    snapshot = snapshots.freeze(
        request=ask(as_of=past, source=source), by=coordinator, now=t0 + dt.timedelta(days=3)
    )
    assert rows(snapshot) == {
        "edited": (Status.IN_PROGRESS, "alice", "2027-04-30"),
        "untouched": (Status.NOT_STARTED, "alice", "2027-01-15"),
    }
    (edited_row,) = [r for r in snapshot.content["items"] if r["key"] == "edited"]
    assert edited_row["last_update_at"] == later.isoformat()
    edited.refresh_from_db()
    assert (edited.status, edited.owner, str(edited.due_date)) == (
        Status.SUPERSEDED, bob, "2027-09-30",
    )  # fmt: skip


def test_a_snapshots_hash_verifies_and_tampering_shows(item_factory, source, coordinator, t0):
    item_factory("one", title_ko="하나")
    snapshot = snapshots.freeze(request=ask(as_of=t0, source=source), by=coordinator, now=t0)
    canonical = json.dumps(
        snapshot.content, sort_keys=True, ensure_ascii=False, separators=(",", ":")
    ).encode()
    assert snapshot.sha256 == hashlib.sha256(canonical).hexdigest()
    stored = Snapshot.objects.get(pk=snapshot.pk)  # through the database and back
    assert snapshots.verify(stored)
    content = {**stored.content, "items": [{**stored.content["items"][0], "status": "implemented"}]}
    Snapshot.objects.filter(pk=snapshot.pk).update(content=content)
    assert not snapshots.verify(Snapshot.objects.get(pk=snapshot.pk))


def test_snapshots_are_numbered_in_turn_and_citable(item_factory, source, coordinator, t0):
    item_factory("one")
    first = snapshots.freeze(request=ask(as_of=t0, source=source), by=coordinator, now=t0)
    second = snapshots.freeze(
        request=ask(
            as_of=t0, source=source, title_en="Status of the CSIS-DAPA 2021 recommendations"
        ),
        by=coordinator,
        now=t0,
    )
    assert (first.number, second.number) == (1, 2)
    assert snapshots.citation(second) == (
        f"Status of the CSIS-DAPA 2021 recommendations as of {t0.date().isoformat()}, snapshot 2"
    )


def test_an_edition_holds_only_items_releasable_to_its_audience_then_and_now(
    item_factory, source, user_factory, t0
):
    root = user_factory("root", role=None, superuser=True)
    for marking in Marking.values:
        item_factory(f"item-{marking}", marking=marking)
    remarked = item_factory("remarked-since")  # all then, U.S. only now: not for all any more
    remarked.marking = Marking.US_ONLY
    remarked._history_date = t0 + dt.timedelta(days=1)
    remarked.save()
    frozen = {
        edition: snapshots.freeze(
            request=ask(as_of=t0 + dt.timedelta(hours=1), source=source, edition=edition),
            by=root,
            now=t0 + dt.timedelta(days=2),
        )
        for edition in Edition.values
    }
    held = {e: sorted(rows(s)) for e, s in frozen.items()}
    assert held == {
        Edition.ALL: ["item-all"],
        Edition.US: ["item-all", "item-us-kr", "item-us-only", "remarked-since"],
        Edition.KR: ["item-all", "item-kr-only", "item-us-kr"],
        Edition.US_KR: ["item-all", "item-us-kr"],
    }


def test_freezing_is_refused_to_non_coordinators_uncleared_audiences_and_the_future(
    item_factory, source, kr_coordinator, user_factory, t0
):
    item_factory("one")
    owner = user_factory("an-owner")
    with pytest.raises(SnapshotError, match="Only a coordinator"):
        snapshots.freeze(request=ask(as_of=t0, source=source), by=owner, now=t0)
    with pytest.raises(SnapshotError, match="not part of"):
        snapshots.freeze(request=ask(as_of=t0, source=source, edition=Edition.US),
                         by=kr_coordinator, now=t0)  # fmt: skip
    with pytest.raises(SnapshotError, match="still to come"):
        snapshots.freeze(
            request=ask(as_of=t0 + dt.timedelta(days=1), source=source), by=kr_coordinator, now=t0
        )
    assert not Snapshot.objects.exists()


def test_only_those_who_may_see_every_item_may_open_a_snapshot(
    item_factory, source, coordinator, user_factory, t0
):
    item_factory("shared", marking=Marking.US_KR)
    later = item_factory("open-then-hidden-now")
    snapshot = snapshots.freeze(
        request=ask(as_of=t0, source=source, edition=Edition.US_KR), by=coordinator, now=t0
    )
    cleared = user_factory("cleared", clearances=("us-kr",))
    uncleared = user_factory("uncleared")
    assert snapshots.may_open(cleared, snapshot)
    assert not snapshots.may_open(uncleared, snapshot)
    later.marking = Marking.KR_ONLY
    later.save()
    assert not snapshots.may_open(cleared, snapshot)


def test_comparing_two_snapshots_lists_exactly_the_changes_made_between_them(
    item_factory, source, coordinator, user_factory, t0
):
    alice, bob = user_factory("alice"), user_factory("bob")
    day = t0.date()
    closing = item_factory("closing", status=Status.IN_PROGRESS)
    reopening = item_factory("reopening", status=Status.IMPLEMENTED)
    moving = item_factory("moving", due_date=dt.date(2027, 6, 30))
    handed = item_factory("handed", owner=alice)
    lapsing = item_factory("lapsing", due_date=day + dt.timedelta(days=2))
    item_factory("quiet")
    first = snapshots.freeze(request=ask(as_of=t0, source=source), by=coordinator, now=t0)
    between = t0 + dt.timedelta(days=1)
    workflow.change_status(item=closing, to=Status.SUPERSEDED, by=coordinator, note="x",
                           now=between)  # fmt: skip
    workflow.change_status(item=reopening, to=Status.BLOCKED, by=coordinator, note="x",
                           now=between)  # fmt: skip
    edit_due(moving, dt.date(2027, 7, 30), when=between, by=coordinator)
    workflow.reassign_owner(item=handed, owner=bob, by=coordinator, now=between)
    added = item_factory("added")
    ActionItem.history.filter(id=added.pk).update(history_date=between)
    then = t0 + dt.timedelta(days=5)  # `lapsing` has been due for three days
    second = snapshots.freeze(request=ask(as_of=then, source=source), by=coordinator, now=then)

    found = comparison.compare(first.content, second.content)
    listed = {
        name: [(c.key, c.before, c.after, c.days) for c in rows] for name, rows in found.groups()
    }
    assert listed == {
        "closed": [("closing", Status.IN_PROGRESS, Status.SUPERSEDED, None)],
        "reopened": [("reopening", Status.IMPLEMENTED, Status.BLOCKED, None)],
        "newly_overdue": [("lapsing", "", lapsing.due_date.isoformat(), None)],
        "due_moved": [("moving", "2027-06-30", "2027-07-30", 30)],
        "owner_changed": [("handed", "alice", "bob", None)],
        "new_items": [("added", "", Status.NOT_STARTED, None)],
        "dropped": [],
    }
    assert comparison.compare(second.content, second.content).count == 0

"""Status changes: every allowed and forbidden transition, notes, timeline and follow-up time."""

import datetime as dt
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tracker import evidence, review, roles, workflow
from tracker.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REVIEW_STATUSES,
    Status,
    StatusUpdate,
    UpdateKind,
)
from tracker.workflow import StaleEdit, WorkflowError

ALLOWED = {
    (Status.NOT_STARTED, Status.IN_PROGRESS),
    (Status.NOT_STARTED, Status.BLOCKED),
    (Status.NOT_STARTED, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.NOT_STARTED, Status.SUPERSEDED),
    (Status.IN_PROGRESS, Status.BLOCKED),
    (Status.IN_PROGRESS, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.IN_PROGRESS, Status.SUPERSEDED),
    (Status.BLOCKED, Status.IN_PROGRESS),
    (Status.BLOCKED, Status.CLOSED_NOT_IMPLEMENTED),
    (Status.BLOCKED, Status.SUPERSEDED),
    (Status.IMPLEMENTED, Status.IN_PROGRESS),
    (Status.IMPLEMENTED, Status.BLOCKED),
    (Status.CLOSED_NOT_IMPLEMENTED, Status.IN_PROGRESS),
    (Status.CLOSED_NOT_IMPLEMENTED, Status.BLOCKED),
    (Status.SUPERSEDED, Status.IN_PROGRESS),
    (Status.SUPERSEDED, Status.BLOCKED),
}
# Closing as implemented goes through a claim and a review (tests/test_review.py), never here.
THROUGH_REVIEW = (Status.IMPLEMENTED, Status.IMPLEMENTATION_CLAIMED)
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
        said = "claim implementation" if end in THROUGH_REVIEW else "cannot go from"
        with pytest.raises(WorkflowError, match=said):
            workflow.change_status(item=item, to=end, by=coordinator, note="why", now=now)
        item.refresh_from_db()
        assert item.status == start
        assert not StatusUpdate.objects.filter(item=item).exists()


@pytest.mark.parametrize("end", [s for s in CLOSED_STATUSES if s not in THROUGH_REVIEW])
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


def test_open_claimed_and_closed_statuses_split_the_seven(db):
    groups = [set(OPEN_STATUSES), set(REVIEW_STATUSES), set(CLOSED_STATUSES)]
    assert set.union(*groups) == set(Status.values) and len(Status.values) == 7
    assert sum(len(g) for g in groups) == 7


# --- Reviewed closure (tracker/review.py): every transition into and out of "claimed" ---------


def a_pdf(name: str = "minutes.pdf") -> evidence.CheckedFile:
    return evidence.check_file(SimpleUploadedFile(name, b"%PDF-1.7 signed minutes"))


@pytest.fixture
def people(user_factory):
    """An owner and a coordinator of each country (the KR ones cleared for ROK markings)."""
    return {
        "owner": user_factory("us-owner", role=roles.OWNERS),
        "us-coord": user_factory("us-coord", role=roles.COORDINATORS),
        "us-coord2": user_factory("us-coord2", role=roles.COORDINATORS),
        "kr-coord": user_factory("kr-coord", role=roles.COORDINATORS, country="KR"),
        "reader": user_factory("reader"),
    }


def claimed(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.IN_PROGRESS)
    review.claim(item=item, by=people["owner"], note="Signed.", now=now, file=a_pdf())
    return item


@pytest.mark.parametrize("start", OPEN_STATUSES)
def test_an_open_item_is_claimed_implemented_with_evidence(item_factory, people, now, start):
    item = item_factory(owner=people["owner"], status=start)
    update = review.claim(item=item, by=people["owner"], note="MOU signed", now=now, file=a_pdf())
    item.refresh_from_db()
    assert item.status == Status.IMPLEMENTATION_CLAIMED and item.next_follow_up_at is None
    assert (update.kind, update.from_status, update.to_status) == (
        UpdateKind.CLAIM, start, Status.IMPLEMENTATION_CLAIMED,
    )  # fmt: skip
    assert [e.name for e in update.evidence.all()] == ["minutes.pdf"]
    assert not item.is_overdue(dt.date(2099, 1, 1)) and not item.is_open


def test_a_claim_without_any_evidence_is_refused_and_changes_nothing(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="evidence"):
        review.claim(item=item, by=people["owner"], note="Done, trust me", now=now)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and not item.updates.exists()


def test_evidence_already_on_the_item_is_enough_for_a_claim(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.BLOCKED)
    link = evidence.check_link("https://example.org/mou", "MOU")
    evidence.add_evidence(item=item, by=people["owner"], now=now, link=link)
    review.claim(item=item, by=people["owner"], note="See the MOU", now=now)
    item.refresh_from_db()
    assert item.status == Status.IMPLEMENTATION_CLAIMED


def test_a_claim_needs_a_note_and_someone_who_may_update(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="note is required"):
        review.claim(item=item, by=people["owner"], note=" ", now=now, file=a_pdf())
    with pytest.raises(WorkflowError, match="may not update"):
        review.claim(item=item, by=people["reader"], note="Done", now=now, file=a_pdf())
    assert not item.updates.exists() and not item.evidence.exists()


@pytest.mark.parametrize("start", [*CLOSED_STATUSES, Status.IMPLEMENTATION_CLAIMED])
def test_only_an_open_item_can_be_claimed(item_factory, people, now, start):
    item = item_factory(owner=people["owner"], status=start)
    with pytest.raises(WorkflowError, match="Only an open item"):
        review.claim(item=item, by=people["owner"], note="Done", now=now, file=a_pdf())


def test_a_coordinator_who_did_not_claim_it_accepts_and_the_item_is_implemented(
    item_factory, people, now
):
    item = claimed(item_factory, people, now)
    update = review.accept(item=item, by=people["us-coord"], now=now, note="Checked the PDF")
    item.refresh_from_db()
    assert item.status == Status.IMPLEMENTED and item.next_follow_up_at is None
    assert (update.kind, update.from_status, update.to_status) == (
        UpdateKind.CLAIM_ACCEPTED, Status.IMPLEMENTATION_CLAIMED, Status.IMPLEMENTED,
    )  # fmt: skip


def test_a_returned_claim_needs_a_note_and_the_item_is_in_progress_again(item_factory, people, now):
    item = claimed(item_factory, people, now)
    with pytest.raises(WorkflowError, match="note is required"):
        review.return_claim(item=item, by=people["us-coord"], note="", now=now)
    later = now + dt.timedelta(days=1)
    update = review.return_claim(item=item, by=people["us-coord"], note="Unsigned copy", now=later)
    item.refresh_from_db()
    assert (item.status, update.kind) == (Status.IN_PROGRESS, UpdateKind.CLAIM_RETURNED)
    assert item.next_follow_up_at == later + dt.timedelta(days=item.cadence_days)
    review.claim(item=item, by=people["owner"], note="Signed copy", now=later, file=a_pdf())
    review.accept(item=item, by=people["kr-coord"], now=later)
    kinds = list(item.updates.order_by("created_at", "id").values_list("kind", flat=True))
    assert kinds == ["claim", "claim_returned", "claim", "claim_accepted"]


def test_the_claimant_an_owner_and_a_reader_may_not_review(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.IN_PROGRESS)
    review.claim(item=item, by=people["us-coord"], note="Done", now=now, file=a_pdf())
    for who, said in (
        ("us-coord", "another coordinator"),
        ("owner", "Only a coordinator"),
        ("reader", "Only a coordinator"),
    ):
        with pytest.raises(WorkflowError, match=said):
            review.accept(item=item, by=people[who], now=now)
        with pytest.raises(WorkflowError, match=said):
            review.return_claim(item=item, by=people[who], note="No", now=now)
    item.refresh_from_db()
    assert item.status == Status.IMPLEMENTATION_CLAIMED


def test_with_the_other_country_rule_a_same_country_coordinator_returns_but_cannot_accept(
    item_factory, people, now, settings
):
    settings.REVIEW_REQUIRE_OTHER_COUNTRY = True
    item = claimed(item_factory, people, now)
    with pytest.raises(WorkflowError, match="other country"):
        review.accept(item=item, by=people["us-coord"], now=now)
    review.return_claim(item=item, by=people["us-coord2"], note="Attach the annex", now=now)
    review.claim(item=item, by=people["owner"], note="Annex attached", now=now, file=a_pdf())
    review.accept(item=item, by=people["kr-coord"], now=now)
    item.refresh_from_db()
    assert item.status == Status.IMPLEMENTED


def test_an_item_without_a_claim_cannot_be_reviewed(item_factory, people, now):
    item = item_factory(owner=people["owner"], status=Status.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="no claim"):
        review.accept(item=item, by=people["us-coord"], now=now)


def test_a_claimed_item_takes_no_status_change_and_cannot_be_snoozed(item_factory, people, now):
    item = claimed(item_factory, people, now)
    for status in Status.values:
        if status != Status.IMPLEMENTATION_CLAIMED:
            with pytest.raises(WorkflowError):
                workflow.change_status(
                    item=item, to=status, by=people["us-coord"], note="x", now=now
                )
    with pytest.raises(WorkflowError):
        workflow.snooze(item=item, by=people["us-coord"], days=3, now=now)

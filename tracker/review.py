"""Reviewed closure: an item is closed as implemented only on evidence, reviewed by someone else.

    claim    an owner (or coordinator) says it is done, with a note and at least one piece of
             evidence on the item: open -> "implementation claimed"
    accept   a coordinator who may see it and did not claim it (of the other country than the
             claimant's when REVIEW_REQUIRE_OTHER_COUNTRY is on): -> implemented
    return   a coordinator who did not claim it, with a note saying what is missing: -> in
             progress, and the follow-up cadence starts again

While claimed, an item is neither open nor closed: its owners get no reminders and it is never
overdue; the coordinators who may accept it see it in their digest ("claims awaiting review").
Each step is a timeline entry. Plain functions; callers catch WorkflowError.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from . import evidence as evidence_rules
from .models import OPEN_STATUSES, ActionItem, Evidence, Status, StatusUpdate, UpdateKind
from .releasability import can_see
from .workflow import (
    WorkflowError,
    _check_allowed,
    _locked,
    _record,
    _sync,
    clean_note,
    is_coordinator,
)


def claimant_id(item: ActionItem) -> int | None:
    """Who made the item's latest claim (None if nobody, or their account is gone)."""
    latest = (
        StatusUpdate.objects.filter(item=item, kind=UpdateKind.CLAIM)
        .order_by("-created_at", "-id")
        .values_list("author_id", flat=True)
        .first()
    )
    return latest


def _country(user) -> str | None:
    return getattr(getattr(user, "profile", None), "country", None)


def independent_reviewer(reviewer, *, claimant: int | None, claimant_country: str | None) -> bool:
    """Whether `reviewer` may accept a claim made by `claimant` (of `claimant_country`): not
    the claimant, and of the other country when REVIEW_REQUIRE_OTHER_COUNTRY is on."""
    if claimant is not None and reviewer.pk == claimant:
        return False
    if settings.REVIEW_REQUIRE_OTHER_COUNTRY:
        return claimant_country is not None and _country(reviewer) != claimant_country
    return True


def reviewer_problem(
    *, reviewer, item: ActionItem, claimant: int | None, claimant_country: str | None,
    accepting: bool,
) -> str | None:  # fmt: skip
    """Why `reviewer` may not review the claim on `item` (accept it, when `accepting`), or
    None. `claimant` and `claimant_country` describe who claimed it."""
    if not (can_see(reviewer, item) and is_coordinator(reviewer)):
        return _("Only a coordinator reviews a claim of implementation.")
    if claimant is not None and reviewer.pk == claimant:
        return _("You claimed it: another coordinator reviews it.")
    if (
        accepting
        and settings.REVIEW_REQUIRE_OTHER_COUNTRY
        and (claimant_country is None or _country(reviewer) == claimant_country)
    ):
        return _("A coordinator of the other country accepts this claim.")
    return None


def review_problem(*, reviewer, item: ActionItem, accepting: bool) -> str | None:
    """reviewer_problem for an item read from the database, its claimant looked up."""
    claimant = claimant_id(item)
    country = None
    if claimant is not None:
        person = get_user_model().objects.select_related("profile").filter(pk=claimant).first()
        country = _country(person)
    return reviewer_problem(
        reviewer=reviewer, item=item, claimant=claimant, claimant_country=country,
        accepting=accepting,
    )  # fmt: skip


def claim(
    *, item: ActionItem, by, note: str, now: dt.datetime, file=None, link=None
) -> StatusUpdate:
    """Claim `item` implemented: from an open status, with a note saying what was done and at
    least one piece of evidence (already on the item, or `file` / `link` attached to the claim,
    checked by evidence.check_file / check_link). Refused, with nothing written, otherwise."""
    note = clean_note(note, required=True)
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        if locked.status not in OPEN_STATUSES:
            raise WorkflowError(_("Only an open item can be claimed implemented."))
        if file is None and link is None and not Evidence.objects.filter(item=locked).exists():
            raise evidence_rules.EvidenceRefused(
                _("Attach at least one piece of evidence (a file or a link) that shows it.")
            )
        kind, to = UpdateKind.CLAIM, Status.IMPLEMENTATION_CLAIMED
        update = _record(item=locked, by=by, now=now, kind=kind, to_status=to, note=note)
        if file is not None or link is not None:
            evidence_rules.attach(item=locked, update=update, by=by, now=now, file=file, link=link)
    _sync(item, locked)
    return update


def _decide(*, item: ActionItem, by, note: str, now, accepting: bool) -> StatusUpdate:
    with transaction.atomic():
        locked = _locked(item)
        if locked.status != Status.IMPLEMENTATION_CLAIMED:
            raise WorkflowError(_("This item has no claim waiting for review."))
        if problem := review_problem(reviewer=by, item=locked, accepting=accepting):
            raise WorkflowError(problem)
        if accepting:
            kind, to = UpdateKind.CLAIM_ACCEPTED, Status.IMPLEMENTED
        else:
            kind, to = UpdateKind.CLAIM_RETURNED, Status.IN_PROGRESS
        update = _record(item=locked, by=by, now=now, kind=kind, to_status=to, note=note)
    _sync(item, locked)
    return update


def accept(*, item: ActionItem, by, now: dt.datetime, note: str = "") -> StatusUpdate:
    """Accept the claim: the item is closed as implemented."""
    note = clean_note(note, required=False)
    return _decide(item=item, by=by, note=note, now=now, accepting=True)


def return_claim(*, item: ActionItem, by, note: str, now: dt.datetime) -> StatusUpdate:
    """Send the claim back, saying what is missing: the item is in progress again."""
    note = clean_note(note, required=True)
    return _decide(item=item, by=by, note=note, now=now, accepting=False)

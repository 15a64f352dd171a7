"""Status changes and the other edits of an item's timeline: plain functions, no HTTP, no Celery.

Every status change goes through `change_status`; every timeline entry is written here. Callers
(admin, pages, signed email links, commands) catch `WorkflowError` and show its message.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import changes, roles
from .follow_up import next_follow_up
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    PersonalSnooze,
    Status,
    StatusUpdate,
    UpdateKind,
)
from .releasability import can_see, clearance_problem
from .webhooks import events as item_events

NOTE_MAX_LENGTH = 4000
SNOOZE_MAX_DAYS = 90

# Which status may follow which. Closed items reopen to "in progress" or "blocked" only; an item
# that has started never goes back to "not started"; a closed item is reopened before re-closing.
# Closing as implemented is a claim with evidence and a review (review.py), not a change here.
_CLOSINGS = (Status.CLOSED_NOT_IMPLEMENTED, Status.SUPERSEDED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NOT_STARTED: (Status.IN_PROGRESS, Status.BLOCKED, *_CLOSINGS),
    Status.IN_PROGRESS: (Status.BLOCKED, *_CLOSINGS),
    Status.BLOCKED: (Status.IN_PROGRESS, *_CLOSINGS),
    Status.IMPLEMENTATION_CLAIMED: (),
    Status.IMPLEMENTED: (Status.IN_PROGRESS, Status.BLOCKED),
    Status.CLOSED_NOT_IMPLEMENTED: (Status.IN_PROGRESS, Status.BLOCKED),
    Status.SUPERSEDED: (Status.IN_PROGRESS, Status.BLOCKED),
}

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class WorkflowError(Exception):
    """A change the rules refuse; the message is meant for the user."""


class StaleEdit(WorkflowError):
    """Someone else saved the item after this edit began."""


def allowed_transitions(status: str) -> tuple[str, ...]:
    return TRANSITIONS.get(status, ())


def transition_refusal(from_status: str, to_status: str) -> str:
    """Why an item cannot go from `from_status` to `to_status` (not in TRANSITIONS)."""
    if to_status in (Status.IMPLEMENTED, Status.IMPLEMENTATION_CLAIMED):
        return _("Closing as implemented needs evidence and a review: claim implementation.")
    labels = {"a": Status(from_status).label, "b": Status(to_status).label}
    return _("An item cannot go from “%(a)s” to “%(b)s”.") % labels


def needs_note(from_status: str, to_status: str) -> bool:
    """Closing or reopening an item needs a note saying why."""
    closing = from_status in OPEN_STATUSES and to_status in CLOSED_STATUSES
    reopening = from_status in CLOSED_STATUSES and to_status in OPEN_STATUSES
    return closing or reopening


def is_coordinator(user) -> bool:
    return roles.is_coordinator(user)


def is_owner(user, item: ActionItem) -> bool:
    if not (user and user.is_authenticated):
        return False
    return item.owner_id == user.pk or item.co_owners.filter(pk=user.pk).exists()


def may_update(user, item: ActionItem) -> bool:
    """Owners, co-owners and coordinators who may see the item post updates and change status."""
    if not can_see(user, item):
        return False
    return is_coordinator(user) or is_owner(user, item)


def clean_note(note: str | None, *, required: bool) -> str:
    note = _CONTROL_CHARS.sub("", (note or "").replace("\r\n", "\n")).strip()
    if required and not note:
        raise WorkflowError(_("A note is required: say why."))
    if len(note) > NOTE_MAX_LENGTH:
        raise WorkflowError(
            _("The note is too long (%(n)d characters; at most %(max)d).")
            % {"n": len(note), "max": NOTE_MAX_LENGTH}
        )
    return note


def _check_allowed(user, item: ActionItem) -> None:
    if user is not None and not may_update(user, item):
        raise WorkflowError(_("You may not update this item."))


def _check_version(item: ActionItem, expected_version: int | None) -> None:
    if expected_version is None or item.version == expected_version:
        return
    latest = item.history.order_by("-history_date").select_related("history_user").first()
    who = latest.history_user.get_username() if latest and latest.history_user else _("someone")
    # In the reader's own time zone and words (the active ones: the request's).
    when = (
        formats.date_format(timezone.localtime(latest.history_date), "DATETIME_FORMAT")
        if latest
        else ""
    )
    raise StaleEdit(
        _("%(who)s changed this item (%(when)s) after you opened it; reload and try again.")
        % {"who": who, "when": when}
    )


def _record(
    *, item: ActionItem, by, now: dt.datetime, kind: str, to_status: str, note: str
) -> StatusUpdate:
    update = StatusUpdate.objects.create(
        item=item,
        author=by,
        created_at=now,
        kind=kind,
        from_status=item.status,
        to_status=to_status,
        note=note,
    )
    item.status = to_status
    item.last_update_at = now
    item.next_follow_up_at = next_follow_up(item=item, now=now)
    item.version += 1
    item._history_date = now  # the field history is dated as the timeline (snapshots read both)
    item.save()
    item_events.update_recorded(update, item=item, by=by)
    return update


def _locked(item: ActionItem) -> ActionItem:
    return ActionItem.objects.select_for_update().get(pk=item.pk)


# What the workflow changes on an item, copied back to the caller's object after a save.
_SYNCED = ["status", "last_update_at", "next_follow_up_at", "snoozed_until", "version", "owner_id"]
_SYNCED += ["owner_role_en", "owner_role_ko", "updated_at"]


def _sync(target: ActionItem, source: ActionItem) -> None:
    """Let the caller's object reflect what was saved."""
    for field in _SYNCED:
        setattr(target, field, getattr(source, field))


def change_status(
    *,
    item: ActionItem,
    to: str,
    by,
    note: str = "",
    now: dt.datetime,
    expected_version: int | None = None,
) -> StatusUpdate:
    """Move `item` to status `to`, recording who, when and why.

    Refuses an unknown status, a transition not in TRANSITIONS, closing or reopening without a
    note, a user who may not update the item (`by=None` means the system), and a stale version.
    """
    if to not in Status.values:
        raise WorkflowError(_("Unknown status: %(s)s") % {"s": to})
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        _check_version(locked, expected_version)
        if to == locked.status:
            raise WorkflowError(_("The item is already in that status."))
        if to not in allowed_transitions(locked.status):
            raise WorkflowError(transition_refusal(locked.status, to))
        note = clean_note(note, required=needs_note(locked.status, to))
        if to in OPEN_STATUSES and locked.status in CLOSED_STATUSES:
            locked.snoozed_until = None
        update = _record(
            item=locked, by=by, now=now, kind=UpdateKind.STATUS, to_status=to, note=note
        )
    _sync(item, locked)
    return update


def post_update(
    *,
    item: ActionItem,
    by,
    note: str,
    now: dt.datetime,
    kind: str = UpdateKind.NOTE,
    expected_version: int | None = None,
) -> StatusUpdate:
    """A progress note without a status change (`kind`: a meeting's OUTCOME is one too); it
    restarts the follow-up cadence."""
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        _check_version(locked, expected_version)
        note = clean_note(note, required=True)
        update = _record(item=locked, by=by, now=now, kind=kind, to_status=locked.status, note=note)
    _sync(item, locked)
    return update


def mark_on_track(*, item: ActionItem, by, now: dt.datetime, note: str = "") -> StatusUpdate:
    """“Still on track”: refused on a closed item; an overdue or blocked item is not simply on
    track, so there it needs a note saying what is happening."""
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        if locked.status not in OPEN_STATUSES:
            raise WorkflowError(_("This item is closed; nothing to confirm."))
        troubled = locked.status == Status.BLOCKED or locked.is_overdue(timezone.localdate(now))
        if troubled and not clean_note(note, required=False):
            raise WorkflowError(
                _("This item is overdue or blocked: say in a note what is happening.")
            )
        note = clean_note(note, required=False) or _("Still on track.")
        kind, status = UpdateKind.ON_TRACK, locked.status
        update = _record(item=locked, by=by, now=now, kind=kind, to_status=status, note=note)
    _sync(item, locked)
    return update


def snooze(
    *, item: ActionItem, by, days: int, now: dt.datetime, for_everyone: bool = True
) -> StatusUpdate:
    """Hold reminders about the item for `days` days (1..SNOOZE_MAX_DAYS): everyone's (a
    coordinator's or an owner's own choice on the item page), or only those of `by` (the
    "Snooze" of a digest): the other owners and the coordinator still hear of it."""
    if not isinstance(days, int) or not 1 <= days <= SNOOZE_MAX_DAYS:
        raise WorkflowError(_("Snooze for 1 to %(max)d days.") % {"max": SNOOZE_MAX_DAYS})
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        if locked.status not in OPEN_STATUSES:
            raise WorkflowError(_("This item is closed; it sends no reminders."))
        until = now + dt.timedelta(days=days)
        if for_everyone:
            text = _("Reminders snoozed for %(n)d days.") % {"n": days}
            locked.snoozed_until = until
            locked.next_follow_up_at = max(locked.next_follow_up_at or until, until)
        else:
            text = _("%(who)s snoozed their own reminders for %(n)d days.")
            text %= {"who": by.get_username(), "n": days}
            PersonalSnooze.objects.update_or_create(user=by, item=locked, defaults={"until": until})
        update = StatusUpdate.objects.create(
            item=locked, author=by, created_at=now, kind=UpdateKind.SNOOZE,
            from_status=locked.status, to_status=locked.status, note=text,
        )  # fmt: skip
        locked.version += 1
        locked._history_date = now
        locked.save()
    _sync(item, locked)
    return update


def reassign_owner(
    *,
    item: ActionItem,
    owner,
    by,
    now: dt.datetime,
    note: str = "",
    role: tuple[str, str] | None = None,
) -> StatusUpdate:
    """Make `owner` the accountable owner; they must be allowed to see the item's marking.

    `role` (English, Korean) replaces the owner's role text, which may not fit the new owner;
    None keeps it. The timeline entry names the previous and the new owner (and the role text
    when it changed), in each reader's language.
    """
    if owner is not None and (problem := clearance_problem(users=[owner], item=item)):
        raise WorkflowError(problem)
    text = clean_note(note, required=False)
    with transaction.atomic():
        locked = _locked(item)
        if by is not None and not (can_see(by, locked) and is_coordinator(by)):
            raise WorkflowError(_("Only a coordinator may reassign an item."))
        if locked.owner_id == (owner.pk if owner else None):
            raise WorkflowError(_("That user already owns this item."))
        before = changes.snapshot(locked)
        locked.owner = owner
        if role is not None:
            locked.owner_role_en, locked.owner_role_ko = (part.strip() for part in role)
        moved = changes.diff(before, changes.snapshot(locked))
        kind = UpdateKind.REASSIGN
        update = changes.record(item=locked, by=by, now=now, kind=kind, changes=moved, note=text)
        locked.version += 1
        locked._history_date = now
        locked.save()
    _sync(item, locked)
    return update


def _check_edit(*, item: ActionItem, saved: ActionItem, expected_version: int | None) -> None:
    _check_version(saved, expected_version)
    if item.owner_id and (problem := clearance_problem(users=[item.owner], item=item)):
        raise WorkflowError(problem)
    if item.status != saved.status:
        raise WorkflowError(_("Change the status through an update, with a note."))


def check_edit(*, item: ActionItem, expected_version: int | None) -> None:
    """The checks `save_edit` makes, without saving, so a form can show them as errors first.

    A new (unsaved) item is checked for its owner only. `save_edit` checks again under a row
    lock, so a save that slips in between is still refused.
    """
    saved = ActionItem.objects.get(pk=item.pk) if item.pk else item
    _check_edit(item=item, saved=saved, expected_version=expected_version)


def save_edit(
    *,
    item: ActionItem,
    by,
    expected_version: int | None,
    now: dt.datetime,
    m2m: dict[str, list] | None = None,
    note: str = "",
    to_status: str = "",
    via: str = UpdateKind.EDIT,
) -> ActionItem:
    """Save field edits made in a form or an import row, and put them on the timeline.

    The caller has applied the new values to `item`; `m2m` holds new many-to-many values
    (co-owners, partners), set here. This checks no one saved in between, keeps the follow-up
    time consistent with a changed cadence and bumps the version. The changed fields become one
    timeline entry (kind `via`; "due date moved" for an edit that moved the due date) with
    `note` as its reason. A `note` with no field changed is a progress update. `to_status`
    changes the status too, with `note` as its reason. Any refusal saves nothing.
    """
    note = clean_note(note, required=False)
    reason = "" if to_status else note
    with transaction.atomic():
        locked = _locked(item)
        _check_edit(item=item, saved=locked, expected_version=expected_version)
        moved = changes.diff(changes.snapshot(locked), changes.snapshot(item, m2m=m2m))
        _follow_up_after_edit(item=item, saved=locked, noted=bool(reason), now=now)
        item.version = locked.version + 1
        item.save()
        for name, values in (m2m or {}).items():
            getattr(item, name).set(values)
        if moved or reason:
            kind = _edit_kind(moved, via) if moved else UpdateKind.NOTE
            changes.record(item=item, by=by, now=now, kind=kind, changes=moved, note=reason)
        if to_status:
            change_status(item=item, to=to_status, by=by, note=note, now=now)
        item_events.edit_recorded(item=item, saved=locked, by=by, now=now, note=reason, moved=moved)
    return item


def _follow_up_after_edit(*, item: ActionItem, saved: ActionItem, noted: bool, now) -> None:
    """A changed cadence moves the next follow-up; a note is an update, which restarts it."""
    if item.cadence_days != saved.cadence_days and item.status in OPEN_STATUSES:
        base = item.last_update_at or item.created_at
        item.next_follow_up_at = next_follow_up(item=item, now=base)
    if noted:
        item.last_update_at = now
        item.next_follow_up_at = next_follow_up(item=item, now=now)


def _edit_kind(moved: list[dict], via: str) -> str:
    """An edit that moved the due date is a due-date move (its note is the reason)."""
    if via == UpdateKind.EDIT and any(change["field"] == "due_date" for change in moved):
        return UpdateKind.DUE_DATE
    return via

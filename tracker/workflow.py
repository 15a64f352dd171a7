"""Status changes and the other edits of an item's timeline: plain functions, no HTTP, no Celery.

Every status change goes through `change_status`; every timeline entry is written here. Callers
(admin, pages, signed email links, commands) catch `WorkflowError` and show its message.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext as _

from . import roles
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    EventType,
    Status,
    StatusUpdate,
    UpdateKind,
)
from .releasability import can_see
from .webhooks import record_item_event

NOTE_MAX_LENGTH = 4000
SNOOZE_MAX_DAYS = 90

# Which status may follow which. Closed items reopen to "in progress" or "blocked" only; an item
# that has started never goes back to "not started"; a closed item is reopened before re-closing.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.NOT_STARTED: (Status.IN_PROGRESS, Status.BLOCKED, *CLOSED_STATUSES),
    Status.IN_PROGRESS: (Status.BLOCKED, *CLOSED_STATUSES),
    Status.BLOCKED: (Status.IN_PROGRESS, *CLOSED_STATUSES),
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


def next_follow_up(*, item: ActionItem, now: dt.datetime) -> dt.datetime | None:
    """When the item next needs an update: a cadence after `now`, never inside a snooze."""
    if item.status not in OPEN_STATUSES:
        return None
    due = now + dt.timedelta(days=item.cadence_days)
    if item.snoozed_until and item.snoozed_until > due:
        return item.snoozed_until
    return due


def start_follow_up(*, item: ActionItem, now: dt.datetime) -> None:
    """A new open item's first follow-up: a cadence after it is made (the caller saves it).

    Every open item has a next follow-up time; "follow-up due" (models.follow_up_due_q) and the
    reminders read only that field."""
    if item.next_follow_up_at is None:
        item.next_follow_up_at = next_follow_up(item=item, now=now)


def clearance_problem(*, users, item: ActionItem) -> str | None:
    """Why some of `users` cannot own or co-own `item` (not cleared for its marking), or None."""
    blocked = [user.get_username() for user in users if not can_see(user, item)]
    if not blocked:
        return None
    return _("%(user)s may not see items marked “%(marking)s”.") % {
        "user": ", ".join(blocked),
        "marking": item.get_marking_display(),
    }


def _check_allowed(user, item: ActionItem) -> None:
    if user is not None and not may_update(user, item):
        raise WorkflowError(_("You may not update this item."))


def _check_version(item: ActionItem, expected_version: int | None) -> None:
    if expected_version is None or item.version == expected_version:
        return
    latest = item.history.order_by("-history_date").select_related("history_user").first()
    who = latest.history_user.get_username() if latest and latest.history_user else _("someone")
    when = latest.history_date.isoformat(timespec="minutes") if latest else ""
    raise StaleEdit(
        _("%(who)s changed this item (%(when)s UTC) after you opened it; reload and try again.")
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
    item.save()
    return update


def _locked(item: ActionItem) -> ActionItem:
    return ActionItem.objects.select_for_update().get(pk=item.pk)


def _sync(target: ActionItem, source: ActionItem) -> None:
    """Let the caller's object reflect what was saved."""
    for field in (
        "status",
        "last_update_at",
        "next_follow_up_at",
        "snoozed_until",
        "version",
        "owner_id",
        "updated_at",
    ):
        setattr(target, field, getattr(source, field))


def _emit(event_type: str, *, item: ActionItem, by, now: dt.datetime, **details) -> None:
    """Record a webhook event for this change, in its transaction (webhooks/events.py)."""
    details["by"] = by.get_username() if by is not None else None
    record_item_event(event_type=event_type, item=item, now=now, details=details)


def _emit_update(update: StatusUpdate, *, item: ActionItem, by) -> None:
    event = (
        EventType.STATUS_CHANGED if update.kind == UpdateKind.STATUS else EventType.UPDATE_POSTED
    )
    details = {"update_id": update.pk, "kind": update.kind, "note": update.note}
    if update.kind == UpdateKind.STATUS:
        details.update(from_status=update.from_status, to_status=update.to_status)
    _emit(event, item=item, by=by, now=update.created_at, **details)


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
            raise WorkflowError(
                _("An item cannot go from “%(a)s” to “%(b)s”.")
                % {"a": Status(locked.status).label, "b": Status(to).label}
            )
        note = clean_note(note, required=needs_note(locked.status, to))
        if to in OPEN_STATUSES and locked.status in CLOSED_STATUSES:
            locked.snoozed_until = None
        update = _record(
            item=locked, by=by, now=now, kind=UpdateKind.STATUS, to_status=to, note=note
        )
        _emit_update(update, item=locked, by=by)
    _sync(item, locked)
    return update


def post_update(
    *, item: ActionItem, by, note: str, now: dt.datetime, expected_version: int | None = None
) -> StatusUpdate:
    """A progress note without a status change; it restarts the follow-up cadence. Refused for
    a stale `expected_version` (when given), like a status change."""
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        _check_version(locked, expected_version)
        note = clean_note(note, required=True)
        update = _record(
            item=locked, by=by, now=now, kind=UpdateKind.NOTE, to_status=locked.status, note=note
        )
        _emit_update(update, item=locked, by=by)
    _sync(item, locked)
    return update


def mark_on_track(*, item: ActionItem, by, now: dt.datetime, note: str = "") -> StatusUpdate:
    """“Still on track”: the one-click update from a reminder; refused on a closed item."""
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        if locked.status not in OPEN_STATUSES:
            raise WorkflowError(_("This item is closed; nothing to confirm."))
        note = clean_note(note, required=False) or _("Still on track.")
        update = _record(
            item=locked,
            by=by,
            now=now,
            kind=UpdateKind.ON_TRACK,
            to_status=locked.status,
            note=note,
        )
        _emit_update(update, item=locked, by=by)
    _sync(item, locked)
    return update


def snooze(*, item: ActionItem, by, days: int, now: dt.datetime) -> StatusUpdate:
    """Hold the item's reminders for `days` days (1..SNOOZE_MAX_DAYS)."""
    if not isinstance(days, int) or not 1 <= days <= SNOOZE_MAX_DAYS:
        raise WorkflowError(_("Snooze for 1 to %(max)d days.") % {"max": SNOOZE_MAX_DAYS})
    with transaction.atomic():
        locked = _locked(item)
        _check_allowed(by, locked)
        if locked.status not in OPEN_STATUSES:
            raise WorkflowError(_("This item is closed; it sends no reminders."))
        until = now + dt.timedelta(days=days)
        update = StatusUpdate.objects.create(
            item=locked,
            author=by,
            created_at=now,
            kind=UpdateKind.SNOOZE,
            from_status=locked.status,
            to_status=locked.status,
            note=_("Reminders snoozed for %(n)d days.") % {"n": days},
        )
        locked.snoozed_until = until
        if locked.next_follow_up_at is None or locked.next_follow_up_at < until:
            locked.next_follow_up_at = until
        locked.version += 1
        locked.save()
    _sync(item, locked)
    return update


def reassign_owner(
    *, item: ActionItem, owner, by, now: dt.datetime, note: str = ""
) -> StatusUpdate:
    """Make `owner` the accountable owner; they must be allowed to see the item's marking."""
    if owner is not None and (problem := clearance_problem(users=[owner], item=item)):
        raise WorkflowError(problem)
    with transaction.atomic():
        locked = _locked(item)
        if by is not None and not (can_see(by, locked) and is_coordinator(by)):
            raise WorkflowError(_("Only a coordinator may reassign an item."))
        if locked.owner_id == (owner.pk if owner else None):
            raise WorkflowError(_("That user already owns this item."))
        name = owner.get_username() if owner else _("nobody")
        text = clean_note(note, required=False)
        update = StatusUpdate.objects.create(
            item=locked,
            author=by,
            created_at=now,
            kind=UpdateKind.REASSIGN,
            from_status=locked.status,
            to_status=locked.status,
            note=(_("Owner changed to %(name)s.") % {"name": name} + (" " + text if text else "")),
        )
        locked.owner = owner
        locked.version += 1
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


def save_edit(*, item: ActionItem, by, expected_version: int | None) -> ActionItem:
    """Save field edits made in a form (admin included), refusing a stale edit.

    The caller has applied the form's values to `item`; this checks no one saved in between,
    keeps the follow-up time consistent with a changed cadence, and bumps the version.
    """
    with transaction.atomic():
        locked = _locked(item)
        _check_edit(item=item, saved=locked, expected_version=expected_version)
        if item.cadence_days != locked.cadence_days and item.status in OPEN_STATUSES:
            base = item.last_update_at or item.created_at
            item.next_follow_up_at = next_follow_up(item=item, now=base)
        item.version = locked.version + 1
        item.save()
        if item.due_date != locked.due_date:
            _emit(
                EventType.DUE_DATE_CHANGED,
                item=item,
                by=by,
                now=item.updated_at,
                from_due_date=locked.due_date,
                to_due_date=item.due_date,
            )
    return item


def create_item(*, item: ActionItem, by, now: dt.datetime) -> ActionItem:
    """Save a new item (admin form, CSV import, seed file): its first follow-up is planned and
    an `item.created` event recorded. The caller has checked its fields; `by` None: the system."""
    with transaction.atomic():
        start_follow_up(item=item, now=now)
        item.save()
        _emit(EventType.ITEM_CREATED, item=item, by=by, now=now)
    return item

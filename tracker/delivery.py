"""Sending one claimed digest: take the row, rebuild it from current data, send, mark.

Called by the send_reminder task and the send_reminders command. No database transaction is
open while SMTP talks; the row is taken before (a conditional UPDATE, so two workers never both
send) and marked after, in its own short transaction. If a worker dies between the SMTP server's
"250" and that mark, the row stays pending and is sent again after the pending timeout: the one
duplicate this design allows; the Message-ID stays the same so it can be recognised.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from . import emails
from .models import ActionItem, Reminder, ReminderKind, ReminderState
from .releasability import can_see
from .reminders import recipient_language, recipient_zone, sorted_entries

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did; `retry_in` (seconds) asks the caller to try again."""

    state: str
    detail: str = ""
    items: int = 0
    retry_in: float | None = None


def retry_delay(*, attempts: int) -> float:
    """Exponential backoff with jitter, capped well below the broker's visibility timeout."""
    base = settings.REMINDER_RETRY_BASE_SECONDS
    backoff = min(settings.REMINDER_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))
    return backoff + random.uniform(0, base)


def _finish(reminder: Reminder, state: str, detail: str, **fields) -> Outcome:
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        state=state, claimed_at=None, **fields
    )
    return Outcome(state=state, detail=detail)


def _take(reminder_id: int, now: dt.datetime) -> Reminder | Outcome:
    """The row, taken for this attempt with a conditional UPDATE, or why not.

    A claim younger than the pending timeout belongs to a live worker; an older one is a dead
    worker's and may be taken over. `attempts` serves as the row's version.
    """
    reminder = Reminder.objects.filter(pk=reminder_id).select_related("recipient__profile").first()
    if reminder is None:
        return Outcome(state="missing", detail=_("No such reminder."))
    if reminder.state != ReminderState.PENDING:
        return Outcome(
            state=reminder.state, detail=_("Already %(state)s.") % {"state": reminder.state}
        )
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_PENDING_TIMEOUT_MINUTES)
    if reminder.claimed_at is not None and reminder.claimed_at >= cutoff:
        return Outcome(state="busy", detail=_("Another worker is sending it."))
    if reminder.send_before is not None and now >= reminder.send_before:
        detail = _("The morning window passed before it could be sent.")
        return _finish(reminder, ReminderState.SKIPPED, detail, last_error=detail)
    if reminder.attempts >= reminder.give_up_after:
        detail = _("Gave up after %(n)d attempts.") % {"n": reminder.attempts}
        return _finish(reminder, ReminderState.FAILED, detail, last_error=detail)
    taken = (
        Reminder.objects.filter(
            pk=reminder.pk, state=ReminderState.PENDING, attempts=reminder.attempts
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff))
        .update(
            claimed_at=now, last_attempt_at=now, next_attempt_at=None, attempts=F("attempts") + 1
        )
    )
    if taken != 1:
        return Outcome(state="busy", detail=_("Another worker is sending it."))
    reminder.attempts += 1
    return reminder


def current_entries(reminder: Reminder) -> list[tuple[ActionItem, str]]:
    """The row's items as they stand now: still open, still visible, still the recipient's."""
    user = reminder.recipient
    rows = reminder.entries.select_related("item__lead_organization").prefetch_related(
        "item__co_owners"
    )
    kept = []
    for row in rows:
        item = row.item
        if not item.is_open or not can_see(user, item):
            continue
        if row.kind == ReminderKind.ESCALATION:
            still_theirs = item.lead_organization.coordinator_id == user.pk
        else:
            still_theirs = user.pk in item.owner_ids()
        if still_theirs:
            kept.append((item, row.kind))
    return sorted_entries(kept)


def _cannot_send(reminder: Reminder, entries: list) -> str | None:
    user = reminder.recipient
    if not user.is_active:
        return _("The recipient's account is inactive.")
    if not user.email:
        return _("The recipient has no email address.")
    if not entries:
        return _("Nothing left to send: the items were closed, reassigned or hidden.")
    return None


def _mark_sent(reminder: Reminder, entries: list, sent_at: dt.datetime) -> None:
    with transaction.atomic():
        Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
            state=ReminderState.SENT, sent_at=sent_at, claimed_at=None
        )
        # The log shows what was sent, not what was planned.
        reminder.entries.exclude(item__in=[item for item, _k in entries]).delete()


def _after_failure(reminder: Reminder, exc: BaseException, now: dt.datetime) -> Outcome:
    failure = emails.classify_failure(exc)
    if failure.permanent:
        return _finish(reminder, ReminderState.FAILED, failure.text, last_error=failure.text)
    if reminder.attempts >= reminder.give_up_after:
        text = _("%(error)s (gave up after %(n)d attempts)") % {
            "error": failure.text,
            "n": reminder.attempts,
        }
        return _finish(reminder, ReminderState.FAILED, text, last_error=text)
    delay = retry_delay(attempts=reminder.attempts)
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        claimed_at=None, last_error=failure.text, next_attempt_at=now + dt.timedelta(seconds=delay)
    )
    return Outcome(state=ReminderState.PENDING, detail=failure.text, retry_in=delay)


def deliver(*, reminder_id: int, now: dt.datetime) -> Outcome:
    """Send one claimed digest: take the row, rebuild, send outside any transaction, mark.

    Temporary SMTP failures (4xx, timeouts, refused connections) ask for a retry with backoff
    until give_up_after; permanent ones (5xx) fail the row with the server's answer at once.
    Safe to run twice: a row already sent, or taken by a live worker, is left alone.
    """
    started = time.monotonic()
    taken = _take(reminder_id, now)
    if isinstance(taken, Outcome):
        return taken
    reminder = taken
    entries = current_entries(reminder)
    reason = _cannot_send(reminder, entries)
    if reason:
        return _finish(reminder, ReminderState.SKIPPED, reason, last_error=reason)
    user = reminder.recipient
    try:
        message = emails.build_digest(
            reminder=reminder,
            entries=entries,
            zone=recipient_zone(user),
            language=recipient_language(user),
            now=now,
        )
        emails.send(message)
    except Exception as exc:  # classified: SMTP answers, timeouts, refusals, our own bugs
        logger.warning("Reminder %s attempt %s failed: %r", reminder.pk, reminder.attempts, exc)
        return _after_failure(reminder, exc, now)
    _mark_sent(reminder, entries, now + dt.timedelta(seconds=time.monotonic() - started))
    return Outcome(state=ReminderState.SENT, detail=reminder.message_id, items=len(entries))

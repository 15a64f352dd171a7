"""Sending claimed digests: take the rows, decide again what each holds, send, mark each sent.

Called by the send_reminders task (a batch of ids) and the send_reminders command. A batch is
taken in one short transaction (the rows locked, then one conditional UPDATE); what each digest
holds is decided again by the sweep's own policy (an item closed, snoozed, reassigned or hidden
since the claim leaves it; a digest left empty ends skipped); its messages go out through one
connection of the configured email backend. No database transaction is open while SMTP talks.
Each row is marked sent by one guarded UPDATE right after the backend accepts its message: if a
worker dies between the server's "250" and that mark, that one row stays pending and is sent
again after the pending timeout with the same Message-ID, the one duplicate this design allows.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from . import emails, notifications
from .models import ActionItem, Reminder, ReminderItem, ReminderNews, ReminderState
from .reminders import policy
from .reminders.agenda import attach_needs, meetings_in_window
from .reminders.calendar import recipient_zone
from .reminders.holdings import holdings_of, last_reminded, load_items, personal_snoozes
from .reminders.news import news_at_send

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt did; `retry_in` (seconds) asks the caller to try again."""

    state: str
    detail: str = ""
    items: int = 0
    retry_in: float | None = None


@dataclass
class BatchOutcome:
    """Each row's outcome, and the rows to try again (in `retry_in` seconds, the longest wait)."""

    outcomes: dict[int, Outcome] = field(default_factory=dict)

    @property
    def retry_ids(self) -> list[int]:
        return [pk for pk, o in self.outcomes.items() if o.retry_in is not None]

    @property
    def retry_in(self) -> float | None:
        waits = [o.retry_in for o in self.outcomes.values() if o.retry_in is not None]
        return max(waits) if waits else None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for outcome in self.outcomes.values():
            counts[outcome.state] += 1
        return dict(counts)


def retry_delay(*, attempts: int) -> float:
    """Exponential backoff with jitter, capped well below the broker's visibility timeout."""
    base = settings.REMINDER_RETRY_BASE_SECONDS
    backoff = min(settings.REMINDER_RETRY_MAX_SECONDS, base * 2 ** max(attempts - 1, 0))
    return backoff + random.uniform(0, base)


def _finish(reminder: Reminder, state: str, detail: str) -> Outcome:
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        state=state, claimed_at=None, last_error=detail
    )
    return Outcome(state=state, detail=detail)


# --- Taking the rows ------------------------------------------------------------------------------


def _verdict(reminder: Reminder, now: dt.datetime, cutoff: dt.datetime) -> Outcome | None:
    """Why `reminder` may not be taken now (an Outcome to record), or None if it may.

    A claim younger than the pending timeout belongs to a live worker; an older one is a dead
    worker's and may be taken over.
    """
    if reminder.state != ReminderState.PENDING:
        return Outcome(
            state=reminder.state, detail=_("Already %(state)s.") % {"state": reminder.state}
        )
    if reminder.claimed_at is not None and reminder.claimed_at >= cutoff:
        return Outcome(state="busy", detail=_("Another worker is sending it."))
    if reminder.send_before is not None and now >= reminder.send_before:
        detail = _("The morning window passed before it could be sent.")
        return Outcome(state=ReminderState.SKIPPED, detail=detail)
    if reminder.attempts >= reminder.give_up_after:
        detail = _("Gave up after %(n)d attempts.") % {"n": reminder.attempts}
        return Outcome(state=ReminderState.FAILED, detail=detail)
    return None


def _take(reminder_ids: list[int], now: dt.datetime) -> tuple[list[Reminder], dict[int, Outcome]]:
    """The rows this call may send, taken for this attempt, and what became of the others.

    One short transaction: the rows are read locked, in id order (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions admit one writer at a time), so two workers
    given the same ids never both take a row; then one UPDATE takes them all.
    """
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_PENDING_TIMEOUT_MINUTES)
    outcomes: dict[int, Outcome] = {}
    taken: list[Reminder] = []
    with transaction.atomic():
        rows = (
            Reminder.objects.filter(pk__in=reminder_ids)
            .select_related("recipient__profile")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for reminder in rows:
            verdict = _verdict(reminder, now, cutoff)
            if verdict is None:
                taken.append(reminder)
            elif verdict.state in (ReminderState.SKIPPED, ReminderState.FAILED):
                outcomes[reminder.pk] = _finish(reminder, verdict.state, verdict.detail)
            else:
                outcomes[reminder.pk] = verdict
        Reminder.objects.filter(pk__in=[r.pk for r in taken]).update(
            claimed_at=now, last_attempt_at=now, next_attempt_at=None, attempts=F("attempts") + 1
        )
    for reminder in taken:
        reminder.attempts += 1
    for missing in set(reminder_ids) - {r.pk for r in taken} - outcomes.keys():
        outcomes[missing] = Outcome(state="missing", detail=_("No such reminder."))
    return taken, outcomes


# --- What each digest holds now -------------------------------------------------------------------


@dataclass
class Contents:
    """What a digest holds when it is sent: its (item, kind) entries, worst first, and the
    items it was claimed with that have left it since."""

    entries: list = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)
    news: list = field(default_factory=list)
    dropped_news: list[int] = field(default_factory=list)


def current_contents(reminders: list[Reminder], now: dt.datetime) -> dict[int, Contents]:
    """Each row's contents as the sweep's own policy decides them now (policy.kind_at_send,
    news.news_at_send).

    A dozen queries for any number of rows (two more when some meeting's requests may be due):
    what each row claimed, the items, the coming meetings and their agendas, their co-owners,
    the coordinators, the claimants, when each recipient was last reminded of each (by other
    digests than these; claims apart), the snoozes they set for themselves, and the news rows
    with what still holds them (following, mentions).
    """
    claimed: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = ReminderItem.objects.filter(reminder__in=reminders).order_by("pk")
    for reminder_id, item_id, kind in rows.values_list("reminder_id", "item_id", "kind"):
        claimed[reminder_id].append((item_id, kind))
    items = ActionItem.objects.filter(pk__in={i for pairs in claimed.values() for i, _k in pairs})
    mine = tuple(r.pk for r in reminders)
    facts = _Facts(
        held=holdings_of(items, _with_needs(items, now)),
        last=last_reminded(items, leaving_out=mine),
        reviewed=last_reminded(items, leaving_out=mine, kinds=policy.REVIEW_KINDS),
        snoozed=personal_snoozes(items, now=now),
    )
    news = news_at_send(reminders)
    contents = {}
    for reminder in reminders:
        digest = _entries_now(reminder, claimed[reminder.pk], facts, now)
        digest.news, digest.dropped_news = news.get(reminder.pk, ([], []))
        contents[reminder.pk] = digest
    return contents


def _with_needs(items, now) -> dict[int, ActionItem]:
    """`items` loaded for the policy, each with the coming meetings it is on the agenda of."""
    loaded = load_items(items)
    attach_needs(items, loaded, meetings_in_window(now))
    return loaded


@dataclass(frozen=True)
class _Facts:
    held: dict
    last: dict
    reviewed: dict
    snoozed: dict


def _entries_now(reminder: Reminder, claimed: list, facts: _Facts, now) -> Contents:
    """What of the items `reminder` claimed it still holds, worst first."""
    user = reminder.recipient
    holding = {h.item.pk: h for h in facts.held.get(user.pk, ())}
    digest = Contents()
    for item_id, claimed_kind in claimed:
        held = holding.get(item_id)
        days = facts.reviewed if held and held.role == policy.REVIEWER else facts.last
        kind = policy.kind_at_send(
            recipient=user,
            holding=held,
            claimed_kind=claimed_kind,
            today=reminder.local_date,
            zone=recipient_zone(user),
            last=days.get(user.pk, {}).get(item_id),
            now=now,
            by_hand=reminder.send_before is None,
            snoozed_by_them=item_id in facts.snoozed.get(user.pk, ()),
        )
        if kind:
            digest.entries.append((held.item, kind))
        else:
            digest.dropped.append(item_id)
    digest.entries = policy.worst_first(digest.entries)
    return digest


def _cannot_send(reminder: Reminder, contents: Contents) -> str | None:
    user = reminder.recipient
    if not user.is_active:
        return _("The recipient's account is inactive.")
    if not user.email:
        return _("The recipient has no email address.")
    if notifications.digests_paused(user, day=reminder.local_date):
        return _("The recipient paused their digests.")
    if not (contents.entries or contents.news):
        return _("Nothing left to send: the items were closed, snoozed, reassigned or hidden.")
    return None


# --- Marking and giving back ----------------------------------------------------------------------


def _mark_sent(reminder: Reminder, contents: Contents, sent_at: dt.datetime) -> None:
    """Right after the backend accepted the message: one guarded UPDATE marks the row sent (and
    commits: the next message goes out only after it). Then its log drops the items and news
    that left the digest since the claim, so it shows what the message carried."""
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        state=ReminderState.SENT, sent_at=sent_at, claimed_at=None
    )
    if contents.dropped:
        reminder.entries.filter(item_id__in=contents.dropped).delete()
    if contents.dropped_news:
        ReminderNews.objects.filter(pk__in=contents.dropped_news).delete()


def _after_failure(reminder: Reminder, exc: BaseException, now: dt.datetime) -> Outcome:
    failure = emails.classify_failure(exc)
    if failure.permanent:
        return _finish(reminder, ReminderState.FAILED, failure.text)
    if reminder.attempts >= reminder.give_up_after:
        text = _("%(error)s (gave up after %(n)d attempts)") % {
            "error": failure.text,
            "n": reminder.attempts,
        }
        return _finish(reminder, ReminderState.FAILED, text)
    delay = retry_delay(attempts=reminder.attempts)
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        claimed_at=None, last_error=failure.text, next_attempt_at=now + dt.timedelta(seconds=delay)
    )
    return Outcome(state=ReminderState.PENDING, detail=failure.text, retry_in=delay)


def _release(rows: list[Reminder], now: dt.datetime, delay: float, detail: str) -> dict:
    """Give back rows taken but never tried (the connection went, or the batch ran out of time).

    They never reached SMTP, so the attempt is not counted; they are due again after `delay`.
    """
    if not rows:
        return {}
    Reminder.objects.filter(pk__in=[r.pk for r in rows], state=ReminderState.PENDING).update(
        claimed_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=now + dt.timedelta(seconds=delay),
    )
    return {r.pk: Outcome(state=ReminderState.PENDING, detail=detail, retry_in=delay) for r in rows}


# --- Sending --------------------------------------------------------------------------------------


def _send_one(reminder, contents: Contents, connection, now, started) -> tuple[Outcome, bool]:
    """Build, send and mark one digest: its outcome, and whether the connection is lost."""
    entries = contents.entries
    reason = _cannot_send(reminder, contents)
    if reason:
        return _finish(reminder, ReminderState.SKIPPED, reason), False
    try:
        message = emails.build_digest(
            reminder=reminder, entries=entries, now=now, news=contents.news
        )
    except Exception as exc:  # our own bug: the connection is fine
        logger.exception("Reminder %s could not be built", reminder.pk)
        return _after_failure(reminder, exc, now), False
    try:
        connection.open()  # once a batch: an open connection stays open across messages
        connection.send_messages([message])
    except Exception as exc:  # classified: SMTP answers, timeouts, refusals, lost connections
        logger.warning("Reminder %s attempt %s failed: %r", reminder.pk, reminder.attempts, exc)
        return _after_failure(reminder, exc, now), emails.connection_lost(exc)
    _mark_sent(reminder, contents, now + dt.timedelta(seconds=time.monotonic() - started))
    told = len(entries) + len(contents.news)
    return Outcome(state=ReminderState.SENT, detail=reminder.message_id, items=told), False


def _send_all(taken, contents, now, started) -> dict[int, Outcome]:
    """Send the taken rows in order through one connection. A lost connection, or
    REMINDER_BATCH_SECONDS gone by, ends the batch: the rows not tried yet are given back."""
    outcomes: dict[int, Outcome] = {}
    connection = get_connection(fail_silently=False)
    try:
        for index, reminder in enumerate(taken):
            if index and time.monotonic() - started > settings.REMINDER_BATCH_SECONDS:
                detail = _("Not tried: the batch ran out of time.")
                outcomes.update(_release(taken[index:], now, 0, detail))
                break
            outcome, lost = _send_one(reminder, contents[reminder.pk], connection, now, started)
            outcomes[reminder.pk] = outcome
            if lost:
                detail = _("Not tried: the SMTP connection was lost.")
                wait = outcome.retry_in or retry_delay(attempts=1)
                outcomes.update(_release(taken[index + 1 :], now, wait, detail))
                break
    finally:
        _close(connection)
    return outcomes


def _close(connection) -> None:
    """Say goodbye; a server that is already gone, or never answers, changes nothing."""
    try:
        connection.close()
    except Exception as exc:  # an odd QUIT answer, a dead socket: the batch is done either way
        logger.info("Closing the email connection failed: %r", exc)


def deliver_batch(*, reminder_ids: list[int], now: dt.datetime) -> BatchOutcome:
    """Send the claimed digests `reminder_ids` through one connection, marking each as sent.

    Temporary SMTP failures (4xx, timeouts, refused connections) ask for a retry of that row
    with backoff until give_up_after; permanent ones (5xx) fail that row at once; the batch
    goes on after either. When the connection is lost (or 421), the rows not yet tried are given
    back with the same backoff and the rest of the batch is retried; after
    REMINDER_BATCH_SECONDS they are given back at once. Safe to run twice: rows already sent,
    or taken by a live worker, are left alone.
    """
    started = time.monotonic()
    taken, outcomes = _take(list(reminder_ids), now)
    contents = current_contents(taken, now) if taken else {}
    outcomes.update(_send_all(taken, contents, now, started))
    return BatchOutcome(outcomes)

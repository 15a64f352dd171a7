"""Sending claimed digests: take the rows, rebuild each from current data, send, mark each.

Called by the send_reminders task (a batch of ids), the send_reminder task (one id: retries of
old messages, callers that name one row) and the send_reminders command. A batch is taken in one
short transaction (the rows locked, then one conditional UPDATE), its recipients and items are
loaded with a constant number of queries, and its messages go out through one SMTP connection.
No database transaction is open while SMTP talks. Each row is marked sent by one short UPDATE
right after the server accepts its message, committed before the next message is handed to
SMTP (_Marks): if a worker dies between the server's "250" and that mark, that one row stays
pending and is sent again after the pending timeout, the one duplicate this design allows; the
Message-ID stays the same so it can be recognised.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import random
import select
import time
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from psycopg import pq

from . import emails
from .models import ActionItem, Reminder, ReminderItem, ReminderKind, ReminderState
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


def _finish(reminder: Reminder, state: str, detail: str, **fields) -> Outcome:
    Reminder.objects.filter(pk=reminder.pk, state=ReminderState.PENDING).update(
        state=state, claimed_at=None, **fields
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
        return Outcome(
            state=ReminderState.SKIPPED,
            detail=_("The morning window passed before it could be sent."),
        )
    if reminder.attempts >= reminder.give_up_after:
        detail = _("Gave up after %(n)d attempts.") % {"n": reminder.attempts}
        return Outcome(state=ReminderState.FAILED, detail=detail)
    return None


def _take(reminder_ids: list[int], now: dt.datetime) -> tuple[list[Reminder], dict[int, Outcome]]:
    """The rows this call may send, taken for this attempt, and what became of the others.

    One short transaction: the rows are read locked, in id order (SELECT ... FOR UPDATE on
    PostgreSQL; SQLite's IMMEDIATE transactions admit one writer at a time), so two workers
    given the same ids never both take a row; then one UPDATE takes them all, and one per
    outcome ends the rows whose window passed or whose attempts ran out. In a batch its commit
    does not wait for the disk (_commits_not_waiting_for_disk).
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
            else:
                outcomes[reminder.pk] = verdict
        ended = defaultdict(list)
        for pk, outcome in outcomes.items():
            if outcome.state in (ReminderState.SKIPPED, ReminderState.FAILED):
                ended[outcome.state, outcome.detail].append(pk)
        for (state, detail), ids in ended.items():
            Reminder.objects.filter(pk__in=ids).update(
                state=state, claimed_at=None, last_error=detail
            )
        Reminder.objects.filter(pk__in=[r.pk for r in taken]).update(
            claimed_at=now, last_attempt_at=now, next_attempt_at=None, attempts=F("attempts") + 1
        )
    for reminder in taken:
        reminder.attempts += 1
    for missing in set(reminder_ids) - {r.pk for r in taken} - outcomes.keys():
        outcomes[missing] = Outcome(state="missing", detail=_("No such reminder."))
    return taken, outcomes


# --- What each digest holds now -------------------------------------------------------------------


def _still_theirs(item: ActionItem, kind: str, user, co_owner_ids: set[int]) -> bool:
    if not item.is_open or not can_see(user, item):
        return False
    if kind == ReminderKind.ESCALATION:
        return item.lead_coordinator_id == user.pk
    return user.pk in item.owner_ids(co_owner_ids)


# What the rules above and the digest read of an item: leaving out the long texts (summaries,
# excerpts) makes loading a batch's items several times lighter.
_ITEM_FIELDS = (
    "key",
    "title_en",
    "title_ko",
    "status",
    "due_date",
    "last_update_at",
    "marking",
    "owner_id",
)


def _load_entries(reminders: list[Reminder]) -> tuple[dict[int, list], dict[int, int]]:
    """Each row's items as they stand now, and how many the row planned.

    Three queries for any number of rows: which items each row planned (as values), the items
    with their lead organization's coordinator, their co-owner ids. An item in several digests
    of the batch (its owner's, a co-owner's, a coordinator's) is read and built once.
    """
    users = {r.pk: r.recipient for r in reminders}
    planned_items = list(
        ReminderItem.objects.filter(reminder_id__in=list(users)).values_list(
            "reminder_id", "item_id", "kind"
        )
    )
    items: dict[int, ActionItem] = {}
    if planned_items:
        items = {
            item.pk: item
            for item in ActionItem.objects.filter(pk__in={i for _r, i, _k in planned_items})
            .only(*_ITEM_FIELDS)
            .annotate(lead_coordinator_id=F("lead_organization__coordinator_id"))
        }
    co_owners = ActionItem.co_owner_ids_of(items) if items else {}
    kept: dict[int, list[tuple[ActionItem, str]]] = {pk: [] for pk in users}
    planned: dict[int, int] = dict.fromkeys(users, 0)
    for reminder_id, item_id, kind in planned_items:
        planned[reminder_id] += 1
        item = items[item_id]
        if _still_theirs(item, kind, users[reminder_id], co_owners.get(item_id, set())):
            kept[reminder_id].append((item, kind))
    return {pk: sorted_entries(entries) for pk, entries in kept.items()}, planned


def current_entries(reminder: Reminder) -> list[tuple[ActionItem, str]]:
    """The row's items as they stand now: still open, still visible, still the recipient's."""
    return _load_entries([reminder])[0][reminder.pk]


def _cannot_send(reminder: Reminder, entries: list) -> str | None:
    user = reminder.recipient
    if not user.is_active:
        return _("The recipient's account is inactive.")
    if not user.email:
        return _("The recipient has no email address.")
    if not entries:
        return _("Nothing left to send: the items were closed, reassigned or hidden.")
    return None


# --- Marking --------------------------------------------------------------------------------------


@functools.cache
def _mark_sent_sql(vendor: str) -> str:
    meta, quote = Reminder._meta, connection.ops.quote_name

    def column(name: str) -> str:
        return quote(meta.get_field(name).column)

    # The names come from the model's metadata; every value is bound.
    names = {name: column(name) for name in ("state", "sent_at", "claimed_at", "id")}
    sql = "UPDATE {table} SET {state} = %s, {sent_at} = %s, {claimed_at} = NULL"
    sql += " WHERE {id} = %s AND {state} = %s"
    return sql.format(table=quote(meta.db_table), **names)


def _mark_sent(reminder: Reminder, entries: list, planned: int, sent_at: dt.datetime) -> None:
    """One short UPDATE (autocommit) right after the server's 250: the duplicate window is one
    message wide. The log shows what was sent, not what was planned: items dropped since the
    claim are removed in the same transaction.

    The UPDATE is written out because it runs once a message: the ORM spends about ten times
    the statement's own client time building it (0.3 ms against 0.03 ms, measured).
    """
    params = [
        ReminderState.SENT,
        connection.ops.adapt_datetimefield_value(sent_at),
        reminder.pk,
        ReminderState.PENDING,
    ]
    if len(entries) == planned:
        with connection.cursor() as cursor:
            cursor.execute(_mark_sent_sql(connection.vendor), params)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_mark_sent_sql(connection.vendor), params)
        reminder.entries.exclude(item__in=[item for item, _k in entries]).delete()


class _Marks:
    """The batch's sent marks. On PostgreSQL, outside a caller's transaction, a mark's UPDATE is
    sent right after the server's 250 and its answer read later, while the next digest is built:
    the worker no longer waits for each commit (its round trip cost as much as the building).

    The answer is read before the connection does anything else: before the next message is
    handed to SMTP, so the next digest can only be accepted once this mark is committed (still
    at most one accepted digest unmarked, as with the waited mark), before any other write, and
    when the batch ends; a mark that failed raises there, as the waited mark would have. The
    statement is sent in full before the worker goes on, so a worker killed after it still has
    its mark committed. Elsewhere (SQLite, a test's transaction, a mark that also drops items
    from the log) the mark is written and waited for as before (_mark_sent).

    The UPDATE is a prepared statement of the session (prepared at a batch's first mark if the
    session does not have it yet): planning it every time cost PostgreSQL half its work.
    """

    def __init__(self):
        self.deferred = connection.vendor == "postgresql" and not connection.in_atomic_block
        self._answer_due = False  # a mark was sent and its answer not read yet

    @staticmethod
    def _prepare() -> None:
        session = connection.connection  # the psycopg connection: one per database session
        if session in _SESSIONS_PREPARED:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [MARK_STATEMENT])
            if cursor.fetchone() is None:
                cursor.execute(f"PREPARE {MARK_STATEMENT} AS {_mark_sent_sql_numbered().decode()}")
        _SESSIONS_PREPARED.add(session)

    def mark(self, reminder: Reminder, entries: list, planned: int, sent_at: dt.datetime):
        self.settle()
        if not self.deferred or len(entries) != planned:
            _mark_sent(reminder, entries, planned, sent_at)
            return
        self._prepare()
        values = (ReminderState.SENT, sent_at.isoformat(), str(reminder.pk), ReminderState.PENDING)
        with connection.wrap_database_errors:
            pgconn = connection.connection.pgconn
            pgconn.send_query_prepared(MARK_STATEMENT.encode(), [v.encode() for v in values])
            while pgconn.flush():  # a few hundred bytes: written at once in practice
                select.select([], [pgconn.socket], [])
        self._answer_due = True
        if connection.queries_logged:  # counted like any statement (tests, DEBUG)
            sql = _mark_sent_sql(connection.vendor) % values
            connection.queries_log.append({"sql": sql, "time": "0.000"})

    def settle(self) -> None:
        """Read the answer of the mark sent last, if any; raises if it failed."""
        if not self._answer_due:
            return
        self._answer_due = False
        failure = None
        with connection.wrap_database_errors:
            pgconn = connection.connection.pgconn
            pgconn.consume_input()
            while pgconn.is_busy():
                select.select([pgconn.socket], [], [])
                pgconn.consume_input()
            while (result := pgconn.get_result()) is not None:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    failure = result.error_message.decode("utf-8", "replace")
        if failure:
            raise DatabaseError(f"Marking a sent digest failed: {failure}")

    def close(self) -> None:
        """When the batch ends on an error: read an answer still due, or, if that fails too,
        close the connection rather than leave it with an answer nobody reads."""
        if not self._answer_due:
            return
        try:
            self.settle()
        except Exception:
            logger.exception("Could not read a sent mark's answer; closing the connection")
            connection.close()


MARK_STATEMENT = "tracker_mark_sent"  # the prepared statement's name in a worker's session
_SESSIONS_PREPARED: weakref.WeakSet = weakref.WeakSet()  # sessions that have it


@functools.cache
def _mark_sent_sql_numbered() -> bytes:
    """_mark_sent_sql with PostgreSQL's own placeholders, for libpq directly."""
    sql = _mark_sent_sql("postgresql")
    for number in range(1, 5):
        sql = sql.replace("%s", f"${number}", 1)
    return sql.encode()


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


class _Session:
    """One SMTP connection for a batch, opened at the first message, dropped when it fails."""

    def __init__(self):
        self.connection = None

    def send(self, message) -> None:
        if self.connection is None:
            self.connection = emails.open_connection()
        emails.send(message, connection=self.connection)

    def close(self) -> None:
        if self.connection is not None:
            emails.close_connection(self.connection)
            self.connection = None


def build_message(reminder: Reminder, entries: list, now: dt.datetime):
    """The digest email for `reminder` holding `entries`, in its recipient's language and zone."""
    user = reminder.recipient
    return emails.build_digest(
        reminder=reminder,
        entries=entries,
        zone=recipient_zone(user),
        language=recipient_language(user),
        now=now,
    )


def _send_one(reminder, entries, planned, session, marks, now, started) -> tuple[Outcome, bool]:
    """Build, send and mark one digest: its outcome, and whether the connection is lost."""
    reason = _cannot_send(reminder, entries)
    message = error = None
    if not reason:
        try:
            message = build_message(reminder, entries, now)
        except Exception as exc:  # our own bug: the connection is fine
            logger.exception("Reminder %s could not be built", reminder.pk)
            error = exc
    marks.settle()  # the previous digest's mark, committed before anything else happens
    if reason:
        return _finish(reminder, ReminderState.SKIPPED, reason, last_error=reason), False
    if error is not None:
        return _after_failure(reminder, error, now), False
    try:
        session.send(message)
    except Exception as exc:  # classified: SMTP answers, timeouts, refusals, lost connections
        logger.warning("Reminder %s attempt %s failed: %r", reminder.pk, reminder.attempts, exc)
        return _after_failure(reminder, exc, now), emails.connection_lost(exc)
    marks.mark(reminder, entries, planned, now + dt.timedelta(seconds=time.monotonic() - started))
    return Outcome(state=ReminderState.SENT, detail=reminder.message_id, items=len(entries)), False


def _send_all(taken, entries, planned, now, started) -> dict[int, Outcome]:
    """Send the taken rows in order through one connection. A lost connection, or
    REMINDER_BATCH_SECONDS gone by, ends the batch: the rows not tried yet are given back."""
    outcomes: dict[int, Outcome] = {}
    session = _Session()
    marks = _Marks()
    try:
        for index, reminder in enumerate(taken):
            if index and time.monotonic() - started > settings.REMINDER_BATCH_SECONDS:
                marks.settle()
                detail = _("Not tried: the batch ran out of time.")
                outcomes.update(_release(taken[index:], now, 0, detail))
                break
            outcome, lost = _send_one(
                reminder, entries[reminder.pk], planned[reminder.pk], session, marks, now, started
            )
            outcomes[reminder.pk] = outcome
            if lost:
                session.close()
                detail = _("Not tried: the SMTP connection was lost.")
                wait = outcome.retry_in or retry_delay(attempts=1)
                outcomes.update(_release(taken[index + 1 :], now, wait, detail))
                break
        marks.settle()
    finally:
        marks.close()
        session.close()
    return outcomes


@contextlib.contextmanager
def _commits_not_waiting_for_disk():
    """While a batch runs, PostgreSQL commits its take and its marks without waiting for the disk.

    A commit that waits for its WAL flush costs ~2.4 ms, as long as building and sending a
    digest together (and a third of a batch's take); with synchronous_commit off each commit is
    still made and seen by every session at once, and reaches the disk within
    3 × wal_writer_delay (0.6 s by default). What it changes: if PostgreSQL itself crashes (not
    a restart or a fast shutdown, which flush), the takes and marks of its last fraction of a
    second are undone; those digests are pending again and are sent once more after the pending
    timeout with the same Message-ID: the counted duplicate window. Reset after the batch, so
    the worker's other writes wait for the disk as before.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:
            # The connection broke during the batch: Django drops it, and a new session
            # starts with the default.
            logger.warning("Could not reset synchronous_commit after a batch", exc_info=True)


def deliver_batch(*, reminder_ids: list[int], now: dt.datetime) -> BatchOutcome:
    """Send the claimed digests `reminder_ids` through one SMTP connection, marking each as sent.

    Temporary SMTP failures (4xx, timeouts, refused connections) ask for a retry of that row
    with backoff until give_up_after; permanent ones (5xx) fail that row at once; the batch
    goes on after either. When the connection is lost (or 421), the rows not yet tried are given
    back with the same backoff and the rest of the batch is retried; after
    REMINDER_BATCH_SECONDS they are given back at once. Safe to run twice: rows already sent,
    or taken by a live worker, are left alone.
    """
    started = time.monotonic()
    with _commits_not_waiting_for_disk():
        taken, outcomes = _take(list(reminder_ids), now)
        entries, planned = _load_entries(taken)
        outcomes.update(_send_all(taken, entries, planned, now, started))
    return BatchOutcome(outcomes)


def deliver(*, reminder_id: int, now: dt.datetime) -> Outcome:
    """deliver_batch for one row: its outcome."""
    return deliver_batch(reminder_ids=[reminder_id], now=now).outcomes[reminder_id]

"""Who is due for a reminder, grouping into digests, and claiming them (plain functions).

`now` is always a parameter. For one recipient and one local day:

    sweep (Celery beat, every few minutes)
      _due_digests   reads the open items that could need someone today, one row per
                     (recipient, item, role), in recipient order and a chunk at a time, and
                     decides each recipient's digest as their rows go by: in their morning window
                     on a working day, no row for their local day yet, the items that need them
                     and that they may see
      write_claims   one Reminder row (unique recipient + local_date) per digest with its
                     ReminderItems, all in one short transaction; on commit the ids go to
                     send_reminders(ids) tasks, REMINDER_BATCH_SIZE a task (PostgreSQL;
                     elsewhere plan_digests + claim_digests)
      requeue_stuck  pending rows untouched for REMINDER_PENDING_TIMEOUT_MINUTES are enqueued
                     again: the safety net for a lost message or a killed worker
    delivery.deliver_batch (the send_reminders task) then sends a batch of rows.

Also here: send_now and retry_failed for the admin, and small selectors for pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import struct
import tempfile
import time
import zoneinfo
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from email.utils import make_msgid, parseaddr
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

import holidays
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    DateField,
    F,
    Field,
    Max,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import (
    ActionItem,
    Country,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderState,
    SweepRun,
)
from .releasability import can_see, may_see_marking

logger = logging.getLogger(__name__)

OWNER = "owner"
COORDINATOR = "coordinator"
DUE_SOON_MARKS = (7, 1)  # days before the due date that start a "due soon" reminder
KIND_ORDER = [
    ReminderKind.OVERDUE,
    ReminderKind.DUE_SOON,
    ReminderKind.FOLLOW_UP,
    ReminderKind.ESCALATION,
]


# --- The recipient's calendar ---------------------------------------------------------------------


def _profile_value(user, name: str, default: str) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, name, default) if profile is not None else default


def recipient_zone(user) -> zoneinfo.ZoneInfo:
    """The recipient's time zone; the site's when the profile has none or an unknown one."""
    try:
        return zoneinfo.ZoneInfo(_profile_value(user, "time_zone", settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def recipient_language(user) -> str:
    return _profile_value(user, "language", settings.LANGUAGE_CODE)


def in_morning_window(*, local: dt.datetime) -> bool:
    """Whether a local wall-clock time lies in [REMINDER_LOCAL_HOUR, + REMINDER_WINDOW_HOURS)."""
    start = settings.REMINDER_LOCAL_HOUR * 60
    minutes = local.hour * 60 + local.minute
    return start <= minutes < start + settings.REMINDER_WINDOW_HOURS * 60


def window_end(*, day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """When the morning window of local `day` closes, in UTC.

    Arithmetic on an aware datetime with one tzinfo is wall-clock arithmetic, so the window keeps
    its local hours on the days daylight saving begins or ends.
    """
    start = dt.datetime.combine(day, dt.time(settings.REMINDER_LOCAL_HOUR), tzinfo=zone)
    return (start + dt.timedelta(hours=settings.REMINDER_WINDOW_HOURS)).astimezone(dt.UTC)


@functools.lru_cache(maxsize=32)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    if country not in (Country.US, Country.KR):
        return frozenset()  # JOINT staff keep neither calendar: weekends only
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(*, day: dt.date, country: str) -> bool:
    """Monday to Friday and not a public holiday of `country` (US or KR).

    With REMINDER_ONLY_WORKING_DAYS off, every day is a working day.
    """
    if not settings.REMINDER_ONLY_WORKING_DAYS:
        return True
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def due_local_date(*, user, now: dt.datetime) -> dt.date | None:
    """The recipient's local date if `now` is inside their morning window on a working day."""
    local = now.astimezone(recipient_zone(user))
    if not in_morning_window(local=local):
        return None
    if not is_working_day(day=local.date(), country=_profile_value(user, "country", Country.US)):
        return None
    return local.date()


# --- Which items need whose attention -------------------------------------------------------------


def is_snoozed(*, item: ActionItem, now: dt.datetime) -> bool:
    return item.snoozed_until is not None and item.snoozed_until > now


def follow_up_date(*, item: ActionItem, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The local day the item's next follow-up falls on (last update + cadence)."""
    when = item.next_follow_up_at
    if when is None:
        base = item.last_update_at or item.created_at
        when = base + dt.timedelta(days=item.cadence_days)
    return when.astimezone(zone).date()


def _reminded_since(last: dt.date | None, mark: dt.date) -> bool:
    return last is not None and last >= mark


def _repeat_due(*, item: ActionItem, mark: dt.date, today: dt.date, last: dt.date | None) -> bool:
    """From `mark` on: remind, then again every cadence while nothing changes.

    A reminder counts only if it came on or after `mark`: a later update or snooze moves the
    follow-up date, and reminders before it no longer hold the next one back.
    """
    if today < mark:
        return False
    if not _reminded_since(last, mark):
        return True
    return last <= today - dt.timedelta(days=item.cadence_days)


def owner_kind(
    *,
    item: ActionItem,
    today: dt.date,
    zone: zoneinfo.ZoneInfo,
    last: dt.date | None,
    now: dt.datetime,
) -> str | None:
    """Why an owner hears about `item` on local day `today`, or None.

    `last` is the local day the owner was last reminded of the item. Overdue: the first working
    day after the due date, then every cadence. Due soon: the first working day on or after the
    7-day and the 1-day marks. Follow-up: once the follow-up day has come, then every cadence.
    Closed and snoozed items never remind. A mark that falls on a holiday is not lost: it is
    reminded on the next working day, because the rule asks "not reminded since the mark".
    """
    if not item.is_open or is_snoozed(item=item, now=now):
        return None
    follow_up = _repeat_due(
        item=item, mark=follow_up_date(item=item, zone=zone), today=today, last=last
    )
    due = item.due_date
    if due is not None and due < today:
        overdue_from = due + dt.timedelta(days=1)
        if follow_up or not _reminded_since(last, overdue_from):
            return ReminderKind.OVERDUE
        return None
    if due is not None and (due - today).days <= max(DUE_SOON_MARKS):
        nearest = min(d for d in DUE_SOON_MARKS if d >= (due - today).days)
        if follow_up or not _reminded_since(last, due - dt.timedelta(days=nearest)):
            return ReminderKind.DUE_SOON
        return None
    return ReminderKind.FOLLOW_UP if follow_up else None


def escalation_due(
    *, item: ActionItem, today: dt.date, last: dt.date | None, now: dt.datetime
) -> bool:
    """Whether the lead organization's coordinator gets an escalation copy today.

    From REMINDER_ESCALATION_DAYS days overdue on, then every cadence; snoozed items wait.
    """
    if not item.is_open or item.due_date is None or is_snoozed(item=item, now=now):
        return False
    mark = item.due_date + dt.timedelta(days=settings.REMINDER_ESCALATION_DAYS)
    return _repeat_due(item=item, mark=mark, today=today, last=last)


# --- Planning the digests of a sweep --------------------------------------------------------------


@dataclass
class DigestPlan:
    """One recipient's digest for one local day, before it is claimed."""

    recipient: object
    local_date: dt.date
    send_before: dt.datetime | None
    entries: list[tuple[ActionItem, str]] = field(default_factory=list)


# The sweep reads one stream of rows sorted by recipient, then item, and decides each recipient's
# digest as their rows go by: it never holds more than a chunk of rows and one recipient's
# entries. For each recipient the stream holds, in this order (the `row_kind` column):
_TAKEN = 0  # a local day they already have a row for (item 0, the day in `day`)
_OWNS = 1  # an item they own or co-own, with its fields and theirs
_COORDINATES = 2  # an item their organization leads, with its fields and theirs
_REMINDED = 3  # the local day (`day`) they were last reminded of an item
_ROLES = {_OWNS: OWNER, _COORDINATES: COORDINATOR}
_CHUNK = 1000  # rows fetched at a time


# The policy reads the rows through these stand-ins, which carry exactly the fields it reads
# (owner_kind, escalation_due, can_see, due_local_date): model instances for tens of thousands of
# rows would cost more than the policy itself.
class _Item(NamedTuple):
    pk: int
    key: str
    status: str
    marking: str
    due_date: dt.date | None
    cadence_days: int
    created_at: dt.datetime
    last_update_at: dt.datetime | None
    next_follow_up_at: dt.datetime | None
    snoozed_until: dt.datetime | None

    is_open = ActionItem.is_open  # the model's own property: one definition of "open"


class _Profile(NamedTuple):
    country: str
    time_zone: str
    may_see_us_only: bool
    may_see_kr_only: bool
    may_see_us_kr: bool


class _Recipient(NamedTuple):
    pk: int
    is_superuser: bool
    profile: _Profile | None

    is_active = True  # the stream holds active users only
    is_authenticated = True


# A row: recipient id, kind, item id, day, the other _Item fields, then the recipient's fields
# (profile id first: None when there is no profile).
_KIND, _ITEM_ID, _DAY = 1, 2, 3
_FIELDS = slice(_DAY + 1, _DAY + len(_Item._fields))
_RECIPIENT = _FIELDS.stop
_PROFILE = slice(_RECIPIENT + 2, _RECIPIENT + 2 + len(_Profile._fields))
_ITEM_COLUMNS = [f"i_{name}" for name in _Item._fields[1:]]
_RECIPIENT_COLUMNS = ["r_is_superuser", "r_profile_id", *(f"r_{f}" for f in _Profile._fields)]


def _candidates(now: dt.datetime) -> QuerySet[ActionItem]:
    """Open, unsnoozed items that could need someone today.

    An item whose follow-up comes after the end of everyone's local today (at most 25 hours
    after `now`: a local day lasts at most 25 hours) and whose due date is more than eight days
    after `now`'s UTC date (local dates run at most one day ahead of it, due-soon marks at most
    7 days) needs nobody today in any time zone: leaving it out here keeps the sweep's work
    proportional to the items that are due rather than to every open item. The policy itself
    still decides for each candidate.
    """
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    near = (
        Q(next_follow_up_at__isnull=True)
        | Q(next_follow_up_at__lt=now + dt.timedelta(hours=25))
        | Q(due_date__lte=(now + dt.timedelta(days=8)).date())
    )
    return ActionItem.objects.open().filter(not_snoozed, near)


def _columns(rows: QuerySet, *, recipient, kind: int, item, day, **columns) -> QuerySet:
    """`rows` as stream rows: the given columns, NULL for the others.

    The constants are typed as plain fields, so no column needs a converter: Django would
    otherwise pass every row through Python once more (ints come back as ints anyway).
    """
    blank = dict.fromkeys([*_ITEM_COLUMNS, *_RECIPIENT_COLUMNS], Value(None, Field()))
    return (
        rows.order_by()
        .annotate(
            r_id=recipient, row_kind=Value(kind, Field()), i_id=item, day=day, **blank | columns
        )
        .values_list("r_id", "row_kind", "i_id", "day", *_ITEM_COLUMNS, *_RECIPIENT_COLUMNS)
    )


def _roles(rows: QuerySet, *, recipient: str, item: str, kind: int) -> QuerySet:
    """Who holds a role on the candidates; `recipient` and `item` are paths from `rows`' model."""
    fields = {f"i_{name}": F(f"{item}{name}") for name in _Item._fields[1:]}
    paths = ["is_superuser", "profile__id", *(f"profile__{f}" for f in _Profile._fields)]
    person = {
        column: F(f"{recipient}__{path}")
        for column, path in zip(_RECIPIENT_COLUMNS, paths, strict=True)
    }
    active = rows.filter(**{f"{recipient}__is_active": True})
    item_id, recipient_id = F(f"{item}id"), F(f"{recipient}__id")
    return _columns(
        active,
        recipient=recipient_id,
        kind=kind,
        item=item_id,
        day=Cast(Value(None), DateField()),  # typed: the first parts decide the union's types
        **fields,
        **person,
    )


def last_reminded(*, items: QuerySet) -> QuerySet:
    """The local day of the latest digest to each recipient that carried each of `items` (a
    subquery of ids), as stream rows.

    Failed and skipped digests never reached the recipient, so they do not count.
    """
    carried = ReminderItem.objects.filter(item_id__in=items).exclude(
        reminder__state__in=(ReminderState.FAILED, ReminderState.SKIPPED)
    )
    by_pair = carried.values("reminder__recipient_id", "item_id")  # GROUP BY
    return _columns(
        by_pair,
        recipient=F("reminder__recipient_id"),
        kind=_REMINDED,
        item=F("item_id"),
        day=Max("reminder__local_date"),
    )


def _days_taken(now: dt.datetime) -> QuerySet:
    """The rows already made for the local days around `now`, as stream rows.

    Every local date lies within a day of `now`'s UTC date.
    """
    today = now.astimezone(dt.UTC).date()
    days = (today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    return _columns(
        Reminder.objects.filter(local_date__range=days),
        recipient=F("recipient_id"),
        kind=_TAKEN,
        item=Value(0, Field()),
        day=F("local_date"),
    )


def _sweep_rows(now: dt.datetime) -> QuerySet:
    """The stream: every role on a candidate, the days taken, the days last reminded."""
    items = _candidates(now)
    through = ActionItem.co_owners.through.objects.filter(actionitem__in=items.values("pk"))
    # A coordinator hears of an item only from REMINDER_ESCALATION_DAYS after its due date
    # (escalation_due), and no one's local today is later than `now`'s UTC date + 1.
    latest = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    escalating = items.filter(
        due_date__lte=latest - dt.timedelta(days=settings.REMINDER_ESCALATION_DAYS)
    )
    owner, lead = "owner", "lead_organization__coordinator"
    return (
        _roles(items, recipient=owner, item="", kind=_OWNS)
        .union(
            _roles(through, recipient="user", item="actionitem__", kind=_OWNS),
            _roles(escalating, recipient=lead, item="", kind=_COORDINATES),
            last_reminded(items=items.values("pk")),
            _days_taken(now),
            all=True,
        )
        .order_by("r_id", "i_id", "row_kind")
    )


def _entry_kind(*, item, role, today, zone, last, now) -> str | None:
    if role == OWNER:
        return owner_kind(item=item, today=today, zone=zone, last=last, now=now)
    return (
        ReminderKind.ESCALATION
        if escalation_due(item=item, today=today, last=last, now=now)
        else None
    )


def sorted_entries(entries: list[tuple[ActionItem, str]]) -> list[tuple[ActionItem, str]]:
    return sorted(
        entries,
        key=lambda e: (KIND_ORDER.index(e[1]), e[0].due_date or dt.date.max, e[0].key),
    )


def _recipient(row: tuple) -> _Recipient:
    profile = _Profile(*row[_PROFILE]) if row[_RECIPIENT + 1] is not None else None
    return _Recipient(row[0], row[_RECIPIENT], profile)


def _digest(rows: Iterator[tuple], now: dt.datetime):
    """(recipient, local date, [(item id, kind)]) from one recipient's rows, or None if they
    are not due: outside their morning window or not a working day, their day already taken,
    or nothing they may see needs them today."""
    taken: set[dt.date] = set()
    recipient = None
    visible: dict[str, bool] = {}  # marking -> whether they may see it (releasability)
    entries = []
    for item_id, item_rows in groupby(rows, itemgetter(_ITEM_ID)):
        first, *others = item_rows  # owner, then coordinator, then reminded (`row_kind` order)
        if first[_KIND] == _TAKEN:
            taken.update(row[_DAY] for row in (first, *others))
            continue
        if first[_KIND] == _REMINDED:
            continue  # reminded once, no role on it now
        if recipient is None:
            recipient = _recipient(first)
            today = due_local_date(user=recipient, now=now)
            if today is None or today in taken:
                return None
            zone = recipient_zone(recipient)
        item = _Item(item_id, *first[_FIELDS])
        if item.marking not in visible:
            visible[item.marking] = may_see_marking(recipient, item.marking)
        if not visible[item.marking]:
            continue
        last = others[-1][_DAY] if others and others[-1][_KIND] == _REMINDED else None
        role = _ROLES[first[_KIND]]
        kind = _entry_kind(item=item, role=role, today=today, zone=zone, last=last, now=now)
        if kind:
            entries.append((item_id, kind))
    return (recipient, today, entries) if entries else None


def _due_digests(now: dt.datetime) -> Iterator[tuple[_Recipient, dt.date, list[tuple[int, str]]]]:
    """Each recipient due at `now`, their local date and (item id, kind) entries, streamed.

    Due: inside their morning window on a working day, with no row for that day yet, and with
    items they may see that need them today. One statement, whatever the number of items,
    read a chunk at a time (a server-side cursor on PostgreSQL).
    """
    for _recipient_id, rows in groupby(_sweep_rows(now).iterator(chunk_size=_CHUNK), itemgetter(0)):
        digest = _digest(rows, now)
        if digest is not None:
            yield digest


def plan_digests(*, now: dt.datetime) -> list[DigestPlan]:
    """The digests due at `now`: recipients in their window with no row for their day yet.

    Each holds only the items the recipient may see (releasability) and that need them today,
    in digest order, with the recipients and items as model instances (for the dry run and
    for claiming outside PostgreSQL). A constant number of queries.
    """
    due = list(_due_digests(now))
    users = get_user_model().objects.select_related("profile").in_bulk([r.pk for r, _d, _e in due])
    items = ActionItem.objects.in_bulk([pk for _r, _d, entries in due for pk, _k in entries])
    return [
        DigestPlan(
            users[recipient.pk],
            today,
            window_end(day=today, zone=recipient_zone(recipient)),
            sorted_entries([(items[pk], kind) for pk, kind in entries]),
        )
        for recipient, today, entries in due
    ]


# --- Claiming -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _message_domain(from_email: str) -> str:
    # Parsing the address costs more than making the ID; a sweep makes thousands of IDs.
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """A Message-ID kept for every attempt, so a duplicate delivery can be recognised."""
    return make_msgid(idstring="reminder", domain=_message_domain(settings.DEFAULT_FROM_EMAIL))


def batches(reminder_ids: Sequence[int]) -> Iterator[Sequence[int]]:
    """The ids in batches of REMINDER_BATCH_SIZE: what one delivery sends through one SMTP
    connection, for the workers and the send_reminders command alike."""
    size = settings.REMINDER_BATCH_SIZE
    for start in range(0, len(reminder_ids), size):
        yield reminder_ids[start : start + size]


def _enqueue(reminder_ids: list[int]) -> None:
    """Hand the rows to the workers, a batch a task (one SMTP connection each)."""
    from .tasks import send_reminders  # tasks import this module

    for chunk in batches(reminder_ids):
        try:
            send_reminders.delay(chunk)
        except Exception:
            # The rows stay pending; the sweep re-enqueues them once they are stale.
            logger.exception("Could not enqueue reminders %s; the sweep will retry them", chunk)


def claim_digests(
    *, plans: list[DigestPlan], now: dt.datetime, enqueue: bool = True
) -> list[Reminder]:
    """Create each plan's row for its day with its items; returns the rows this call created.

    The unique (recipient, local_date) constraint decides between two sweeps at once: a row
    someone else created first is left alone and its plan is dropped. A constant number of
    statements for any number of plans. Each send is enqueued only once the rows are
    committed, so a worker never looks for a row it cannot see.
    """
    if not plans:
        return []
    rows = [
        Reminder(
            recipient_id=plan.recipient.pk,
            local_date=plan.local_date,
            created_at=now,
            next_attempt_at=now,
            send_before=plan.send_before,
            give_up_after=settings.REMINDER_MAX_ATTEMPTS,
            message_id=new_message_id(),
        )
        for plan in plans
    ]
    try:
        # Usually nobody else claimed any of these days: one insert, ids returned.
        with transaction.atomic():
            claimed = Reminder.objects.bulk_create(rows)
            _add_entries(plans, claimed, enqueue=enqueue)
    except IntegrityError:
        with transaction.atomic():
            claimed = _claim_around_conflicts(rows, now)
            _add_entries(plans, claimed, enqueue=enqueue)
    return claimed


def _add_entries(plans: list[DigestPlan], claimed: list[Reminder], *, enqueue: bool) -> None:
    ours = {(r.recipient_id, r.local_date): r.pk for r in claimed}
    ReminderItem.objects.bulk_create(
        ReminderItem(reminder_id=reminder_id, item_id=item.pk, kind=kind)
        for plan in plans
        if (reminder_id := ours.get((plan.recipient.pk, plan.local_date)))
        for item, kind in plan.entries
    )
    if enqueue:
        _enqueue_on_commit([reminder.pk for reminder in claimed])


def _enqueue_on_commit(reminder_ids: Iterable[int]) -> None:
    """Once the rows are committed, hand them to the workers (see _enqueue)."""
    ids = list(reminder_ids)
    if ids:
        transaction.on_commit(functools.partial(_enqueue, ids))


def _claim_around_conflicts(rows: list[Reminder], now: dt.datetime) -> list[Reminder]:
    """Insert the rows no one else has; ours are those carrying our Message-IDs afterwards."""
    for row in rows:
        row.pk = None
        row._state.adding = True
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)  # no ids back for this insert
    ids = dict(
        Reminder.objects.filter(
            created_at=now, message_id__in=[row.message_id for row in rows]
        ).values_list("message_id", "pk")
    )
    claimed = [row for row in rows if row.message_id in ids]
    for row in claimed:
        row.pk = ids[row.message_id]
        row._state.adding = False
    return claimed


def claim_digest(*, plan: DigestPlan, now: dt.datetime, enqueue: bool = True) -> Reminder | None:
    """claim_digests for one plan: its row, or None if someone claimed that day first."""
    claimed = claim_digests(plans=[plan], now=now, enqueue=enqueue)
    return claimed[0] if claimed else None


def _stale(cutoff: dt.datetime) -> Q:
    return (
        Q(created_at__lt=cutoff)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff))
        & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff))
    )


def requeue_stuck(*, now: dt.datetime, enqueue: bool = True, limit: int = 500) -> list[int]:
    """Pending rows nobody touched for REMINDER_PENDING_TIMEOUT_MINUTES, enqueued again.

    Each row is bumped with a conditional UPDATE first, so two sweeps at once enqueue it once;
    a second copy would be harmless anyway, since delivery takes the row before sending.
    """
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_PENDING_TIMEOUT_MINUTES)
    stale = Q(state=ReminderState.PENDING) & _stale(cutoff)
    requeued = []
    for pk in Reminder.objects.filter(stale).values_list("pk", flat=True)[:limit]:
        if Reminder.objects.filter(stale, pk=pk).update(next_attempt_at=now):
            requeued.append(pk)
    if enqueue and requeued:
        transaction.on_commit(functools.partial(_enqueue, requeued))
    return requeued


class _Claims:
    """Due digests spooled to a temporary file until they are written: Python memory stays the
    same however many digests are due (the sweep's memory goal); disk takes 23 bytes an entry.

    One fixed-size record per entry: the digest's number, recipient id, window (an index into
    `windows`: recipients of one time zone share their local day and its window), item id and
    kind (index in KIND_ORDER).
    """

    _RECORD = struct.Struct("<IqHqb")

    def __init__(self) -> None:
        self.windows: dict[tuple[dt.date, dt.datetime], int] = {}
        self.digests = 0
        # Open for the object's life, closed by close() or `with` (SIM115 wants a block).
        self._file = tempfile.TemporaryFile()  # noqa: SIM115

    def add(self, *, recipient_id: int, day: dt.date, send_before: dt.datetime, entries) -> None:
        slot = self.windows.setdefault((day, send_before), len(self.windows))
        pack, write = self._RECORD.pack, self._file.write
        for item_id, kind in entries:
            write(pack(self.digests, recipient_id, slot, item_id, KIND_ORDER.index(kind)))
        self.digests += 1

    def rows(self) -> Iterator[tuple]:
        """(recipient, local date, send before, Message-ID, item, kind), one per entry."""
        windows = list(self.windows)
        self._file.seek(0)
        records = self._RECORD.iter_unpack
        current, digest = None, ()
        while block := self._file.read(self._RECORD.size * 4096):
            for number, recipient_id, slot, item_id, kind in records(block):
                if number != current:
                    current, digest = number, (recipient_id, *windows[slot], new_message_id())
                yield (*digest, item_id, KIND_ORDER[kind])

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> _Claims:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def collect_claims(*, now: dt.datetime) -> _Claims:
    """The digests due at `now` (_due_digests), in compact form for write_claims."""
    claims = _Claims()
    for recipient, today, entries in _due_digests(now):
        end = window_end(day=today, zone=recipient_zone(recipient))
        claims.add(recipient_id=recipient.pk, day=today, send_before=end, entries=entries)
    return claims


_CLAIM_TABLE = """
CREATE TEMPORARY TABLE sweep_claim (
    recipient_id bigint, local_date date, send_before timestamptz, message_id text,
    item_id bigint, kind text
)"""

# The unique (recipient, local_date) constraint decides between two sweeps at once: a row
# someone else made first is left alone, and only the rows made here get their items.
_CLAIM_INSERT = """
WITH made AS (
    INSERT INTO {reminder} (recipient_id, local_date, state, created_at, attempts, last_error,
                            message_id, next_attempt_at, send_before, give_up_after)
    SELECT DISTINCT recipient_id, local_date, %(state)s, %(now)s, 0, '',
           message_id, %(now)s, send_before, %(give_up_after)s
    FROM sweep_claim
    ON CONFLICT (recipient_id, local_date) DO NOTHING
    RETURNING id, message_id
), entries AS (
    INSERT INTO {entry} (reminder_id, item_id, kind)
    SELECT made.id, c.item_id, c.kind FROM made JOIN sweep_claim c USING (message_id)
)
SELECT id FROM made ORDER BY id
"""


def write_claims(*, claims: _Claims, now: dt.datetime, enqueue: bool = True) -> array:
    """Claim the collected digests (PostgreSQL); returns the ids of the rows made here.

    Four statements for any number of digests, in one transaction (the caller's, if it has
    one): the claims are streamed with COPY into a temporary table, and one INSERT makes the
    rows nobody else has, with their items.
    """
    if not claims.digests:
        return array("q")
    insert = _CLAIM_INSERT.format(
        reminder=Reminder._meta.db_table, entry=ReminderItem._meta.db_table
    )
    params = {
        "state": ReminderState.PENDING,
        "now": now,
        "give_up_after": settings.REMINDER_MAX_ATTEMPTS,
    }
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(_CLAIM_TABLE)
        with cursor.copy("COPY sweep_claim FROM STDIN") as copy:
            for row in claims.rows():
                copy.write_row(row)
        cursor.execute(insert, params)
        claimed = array("q", (pk for (pk,) in cursor))
        cursor.execute("DROP TABLE sweep_claim")
        if enqueue:
            _enqueue_on_commit(claimed)
    return claimed


def _claim_due(*, now: dt.datetime, enqueue: bool) -> Sequence[int]:
    """Claim every digest due at `now`; the ids of the rows this call made."""
    if connection.vendor != "postgresql":
        # Elsewhere (SQLite in development and tests) the plans are held as objects and
        # claimed with bulk inserts: fine for the small databases these are.
        plans = plan_digests(now=now)
        return [r.pk for r in claim_digests(plans=plans, now=now, enqueue=enqueue)]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        # The planner would otherwise pick plans that return a cursor's first rows soonest;
        # the sweep reads every row.
        cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        with collect_claims(now=now) as claims:
            return write_claims(claims=claims, now=now, enqueue=enqueue)


@dataclass
class SweepResult:
    run: SweepRun
    claimed_ids: Sequence[int]
    requeued: list[int]

    @property
    def claimed(self) -> list[Reminder]:
        """The rows this sweep claimed, read when asked for (the sweep keeps only their ids)."""
        return list(Reminder.objects.filter(pk__in=self.claimed_ids).order_by("pk"))


def sweep(*, now: dt.datetime, enqueue: bool = True) -> SweepResult:
    """Claim every digest due at `now`, re-enqueue stuck ones, and record the run for /healthz.

    Safe to run twice at once (two beats): the database claim decides. With enqueue=False
    nothing goes to the broker; the caller sends the rows itself (send_reminders command).
    On PostgreSQL its memory does not grow with the number of items beyond 8 bytes for each
    digest claimed (their ids), and it takes the same statements whatever that number.
    """
    started = time.monotonic()
    # One transaction, one commit (one wait for the disk) for the whole run; the workers are
    # handed its rows once it is made.
    with transaction.atomic():
        requeued = requeue_stuck(now=now, enqueue=enqueue)
        claimed = _claim_due(now=now, enqueue=enqueue)
        run = SweepRun.objects.create(
            started_at=now,
            finished_at=now + dt.timedelta(seconds=time.monotonic() - started),
            claimed=len(claimed),
            requeued=len(requeued),
        )
    return SweepResult(run=run, claimed_ids=claimed, requeued=requeued)


# --- For coordinators (admin actions) -------------------------------------------------------------


@dataclass
class SendNowResult:
    sent: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _manual_kind(item: ActionItem, today: dt.date) -> str:
    if item.is_overdue(today):
        return ReminderKind.OVERDUE
    if item.due_date is not None and (item.due_date - today).days <= max(DUE_SOON_MARKS):
        return ReminderKind.DUE_SOON
    return ReminderKind.FOLLOW_UP


def _recipients_for_send_now(
    items: list[ActionItem], result: SendNowResult
) -> dict[int, tuple[object, list[ActionItem]]]:
    by_user: dict[int, tuple[object, list[ActionItem]]] = {}
    for item in items:
        if not item.is_open:
            result.skipped.append((item.key, _("closed")))
            continue
        owners = [u for u in [item.owner, *item.co_owners.all()] if u is not None and u.is_active]
        if not owners:
            result.skipped.append((item.key, _("no owner")))
        for user in owners:
            if not can_see(user, item):
                result.skipped.append(
                    (item.key, _("%(user)s may not see it") % {"user": user.get_username()})
                )
                continue
            by_user.setdefault(user.pk, (user, []))[1].append(item)
    return by_user


_EXISTING_REASON = {
    ReminderState.SENT: gettext_noop("%(user)s: today's digest was already sent"),
    ReminderState.PENDING: gettext_noop("%(user)s: today's digest is already queued"),
    ReminderState.FAILED: gettext_noop(
        "%(user)s: today's digest failed; retry it from the reminder log"
    ),
    ReminderState.SKIPPED: gettext_noop("%(user)s: today's digest was skipped"),
}


def send_now(*, item_ids: list[int], by, now: dt.datetime) -> SendNowResult:
    """Claim and enqueue today's digest for each owner and co-owner of the items, now.

    Ignores the morning window, but still one digest per recipient per local day: if that
    day's row exists, the items are listed in `skipped` with the reason. Items `by` may not
    see are reported as not found.
    """
    result = SendNowResult()
    items = list(
        ActionItem.objects.visible_to(by)
        .filter(pk__in=item_ids)
        .select_related("owner__profile")
        .prefetch_related("co_owners__profile")
    )
    for missing in sorted(set(item_ids) - {item.pk for item in items}):
        result.skipped.append((f"#{missing}", _("not found")))
    for user, user_items in _recipients_for_send_now(items, result).values():
        today = now.astimezone(recipient_zone(user)).date()
        existing = Reminder.objects.filter(recipient=user, local_date=today).first()
        if existing is None:
            plan = DigestPlan(user, today, None, [(i, _manual_kind(i, today)) for i in user_items])
            if claim_digest(plan=plan, now=now, enqueue=True) is not None:
                result.sent += 1
                continue
            existing = Reminder.objects.get(recipient=user, local_date=today)
        reason = _(_EXISTING_REASON[existing.state]) % {"user": user.get_username()}
        result.skipped.extend((item.key, reason) for item in user_items)
    return result


def retry_failed(*, reminder_ids: list[int], now: dt.datetime) -> int:
    """Put failed rows back to pending and enqueue them; returns how many.

    Attempts and the last error are kept for the log; each row gets a fresh budget of
    REMINDER_MAX_ATTEMPTS and no window (a coordinator asked for it explicitly).
    """
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update()
            .filter(pk__in=reminder_ids, state=ReminderState.FAILED)
            .values_list("pk", flat=True)
        )
        Reminder.objects.filter(pk__in=ids).update(
            state=ReminderState.PENDING,
            claimed_at=None,
            next_attempt_at=now,
            send_before=None,
            give_up_after=F("attempts") + settings.REMINDER_MAX_ATTEMPTS,
        )
        if ids:
            transaction.on_commit(functools.partial(_enqueue, ids))
    return len(ids)


# --- Selectors for pages --------------------------------------------------------------------------


def reminder_counts() -> dict[str, int]:
    """Pending and failed digests, for the dashboard."""
    return Reminder.objects.aggregate(
        pending=Count("pk", filter=Q(state=ReminderState.PENDING)),
        failed=Count("pk", filter=Q(state=ReminderState.FAILED)),
    )


@dataclass(frozen=True)
class LogEntry:
    """One line of an item's reminder log: a digest that carried the item."""

    recipient: str  # their username
    kind: str  # ReminderKind
    state: str  # ReminderState
    local_date: dt.date
    sent_at: dt.datetime | None

    @property
    def kind_label(self) -> str:
        return dict(ReminderKind.choices).get(self.kind, self.kind)

    @property
    def state_label(self) -> str:
        return dict(ReminderState.choices).get(self.state, self.state)


@functools.cache
def _log_sql(vendor: str) -> str:
    """The item log's statement: the item's entries, each digest's columns read by a subquery on
    its primary key. The names come from the models' metadata; every value is bound."""
    quote = connection.ops.quote_name
    entry, digest = ReminderItem._meta, Reminder._meta
    user = get_user_model()._meta

    def col(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    def of_digest(name: str) -> str:
        where = f"d.{col(digest, 'id')} = e.{col(entry, 'reminder')}"
        return f"(SELECT d.{col(digest, name)} FROM {quote(digest.db_table)} d WHERE {where})"  # noqa: S608

    username = (
        f"(SELECT u.{col(user, user.model.USERNAME_FIELD)} FROM {quote(user.db_table)} u"  # noqa: S608
        f" WHERE u.{col(user, 'id')} = {of_digest('recipient')})"
    )
    columns = [username, f"e.{col(entry, 'kind')}"]
    columns += [of_digest(name) for name in ("state", "local_date", "sent_at")]
    return (
        f"SELECT {', '.join(columns)} FROM {quote(entry.db_table)} e"  # noqa: S608
        f" WHERE e.{col(entry, 'item')} = %s"
        f" ORDER BY {of_digest('created_at')} DESC, e.{col(entry, 'reminder')} DESC LIMIT %s"
    )


def item_reminder_log(*, item: ActionItem, limit: int) -> list[LogEntry]:
    """The latest `limit` digests that carried `item`, newest first (by when they were made,
    then id), for the item pages.

    One statement on the item's entries with the digest's and recipient's columns as
    subqueries, not joins, on purpose: to plan a join PostgreSQL reads the ends of the digests'
    primary key, and after a batch of the newest digests is deleted (the benchmark's sweep
    resets its claims) those ends hold dead index entries until a vacuum, which made planning
    cost milliseconds per page view. Written out because it runs on every view of an item: the
    ORM spent about ten times the statement's own time building it (3 ms against 0.3 ms).
    """
    with connection.cursor() as cursor:
        cursor.execute(_log_sql(connection.vendor), [item.pk, limit])
        rows = cursor.fetchall()
    local_date, sent_at = (_from_db(Reminder, name) for name in ("local_date", "sent_at"))
    return [
        LogEntry(name, kind, state, local_date(day), sent_at(at))
        for name, kind, state, day, at in rows
    ]


def _from_db(model, name: str) -> Callable:
    """What the ORM does to a column's value as read (SQLite returns dates as text)."""
    column = model._meta.get_field(name).get_col(model._meta.db_table)
    converters = [
        *connection.ops.get_db_converters(column),
        *column.field.get_db_converters(connection),
    ]

    def convert(value):
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert

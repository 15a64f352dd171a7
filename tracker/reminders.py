"""Who is due for a reminder, grouping into digests, and claiming them (plain functions).

`now` is always a parameter. For one recipient and one local day:

    sweep (Celery beat, every few minutes)
      plan_digests   recipients inside their morning window on a working day, with no row for
                     their local day yet, and the open items that need their attention and that
                     they may see
      claim_digest   one Reminder row (unique recipient + local_date) with its ReminderItems, in a
                     short transaction; send_reminder(id) is enqueued on commit
      requeue_stuck  pending rows untouched for REMINDER_PENDING_TIMEOUT_MINUTES are enqueued
                     again: the safety net for a lost message or a killed worker
    delivery.deliver (the send_reminder task) then sends one row.

Also here: send_now and retry_failed for the admin, and small selectors for pages.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from email.utils import make_msgid, parseaddr

import holidays
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
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
from .releasability import can_see

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


# Fields the policy reads (owner_kind, escalation_due, can_see, sorted_entries): loading only
# these keeps a sweep over many items light.
_POLICY_FIELDS = (
    "key",
    "status",
    "marking",
    "owner_id",
    "due_date",
    "cadence_days",
    "created_at",
    "last_update_at",
    "next_follow_up_at",
    "snoozed_until",
)


def _candidate_ids(now: dt.datetime) -> QuerySet:
    """Open, unsnoozed items that could need someone today (a subquery).

    An item whose follow-up comes after the end of everyone's local today (at most 25 hours
    after `now`: a local day lasts at most 25 hours) and whose due date is more than eight days
    after `now`'s UTC date (local dates run at most one day ahead of it, due-soon marks at most
    7 days) needs nobody today in any time zone: leaving it out here keeps the sweep's work
    proportional to the items that are due rather than to every open item. The policy itself
    still decides for each candidate. The later queries take this as a subquery rather than a
    list of ids: a list of thousands of ids costs more to bind than the query costs to run.
    Items with nobody to tell simply give no roles (_roles); asking for someone here would
    join the co-owners and organizations into a query the later ones repeat as a subquery.
    """
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    near = (
        Q(next_follow_up_at__isnull=True)
        | Q(next_follow_up_at__lt=now + dt.timedelta(hours=25))
        | Q(due_date__lte=(now + dt.timedelta(days=8)).date())
    )
    return ActionItem.objects.open().filter(not_snoozed, near).values("pk")


def _candidate_items(ids: QuerySet) -> list[ActionItem]:
    """The candidates, each with `coordinator_id` (its lead organization's) and `co_owner_ids`."""
    items = list(
        ActionItem.objects.filter(pk__in=ids)
        .order_by()
        .only(*_POLICY_FIELDS)
        .annotate(coordinator_id=F("lead_organization__coordinator_id"))
    )
    co_owners: dict[int, set[int]] = defaultdict(set)
    through = ActionItem.co_owners.through.objects.filter(actionitem_id__in=ids)
    for item_id, user_id in through.values_list("actionitem_id", "user_id"):
        co_owners[item_id].add(user_id)
    for item in items:
        item.co_owner_ids = co_owners.get(item.pk, set())
    return items


def _roles(items: list[ActionItem]) -> dict[int, list[tuple[ActionItem, str]]]:
    """recipient id -> (item, role); an owner who also coordinates hears as owner."""
    roles: dict[int, list[tuple[ActionItem, str]]] = defaultdict(list)
    for item in items:
        owners = item.co_owner_ids | ({item.owner_id} - {None})
        for user_id in owners:
            roles[user_id].append((item, OWNER))
        coordinator = item.coordinator_id
        if coordinator and coordinator not in owners:
            roles[coordinator].append((item, COORDINATOR))
    return roles


def last_reminded(*, item_ids) -> dict[tuple[int, int], dt.date]:
    """(recipient, item) -> local day of the latest digest that carried the item.

    `item_ids` is a list or a subquery of ids. Failed and skipped digests never reached the
    recipient, so they do not count.
    """
    rows = (
        ReminderItem.objects.filter(item_id__in=item_ids)
        .exclude(reminder__state__in=(ReminderState.FAILED, ReminderState.SKIPPED))
        .values_list("reminder__recipient_id", "item_id")
        .annotate(last=Max("reminder__local_date"))
    )
    return {(r, i): last for r, i, last in rows}


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


# What planning reads of a recipient: the calendar, the language and the clearances.
_RECIPIENT_FIELDS = (
    "username",
    "email",
    "is_active",
    "is_superuser",
    "profile__country",
    "profile__time_zone",
    "profile__language",
    "profile__may_see_us_only",
    "profile__may_see_kr_only",
    "profile__may_see_us_kr",
)


def _due_recipients(
    *, ids: QuerySet, roles: dict, now: dt.datetime
) -> dict[int, tuple[object, dt.date]]:
    """user id -> (user, local date) for those in their morning window with no row that day.

    The users are those with a role on a candidate (`ids`, a subquery): owners, co-owners and
    lead organizations' coordinators.
    """
    through = ActionItem.co_owners.through.objects
    users = get_user_model().objects.filter(
        Q(pk__in=ActionItem.objects.filter(pk__in=ids).values("owner_id"))
        | Q(pk__in=through.filter(actionitem_id__in=ids).values("user_id"))
        | Q(pk__in=ActionItem.objects.filter(pk__in=ids).values("lead_organization__coordinator")),
        is_active=True,
    )
    due = {}
    for user in users.select_related("profile").only(*_RECIPIENT_FIELDS):
        day = due_local_date(user=user, now=now)
        if day is not None and user.pk in roles:
            due[user.pk] = (user, day)
    # Rows exist for at most a few local days around `now`: fetch those days whole.
    days = {day for _u, day in due.values()}
    taken = set(
        Reminder.objects.filter(local_date__in=days).values_list("recipient_id", "local_date")
    )
    return {uid: (user, day) for uid, (user, day) in due.items() if (uid, day) not in taken}


def _entries_for(*, user, today, candidates, last, now) -> list[tuple[ActionItem, str]]:
    zone = recipient_zone(user)
    entries = []
    for item, role in candidates:
        if not can_see(user, item):
            continue
        previous = last.get((user.pk, item.pk))
        kind = _entry_kind(item=item, role=role, today=today, zone=zone, last=previous, now=now)
        if kind:
            entries.append((item, kind))
    return sorted_entries(entries)


def plan_digests(*, now: dt.datetime) -> list[DigestPlan]:
    """The digests due at `now`: recipients in their window with no row for their day yet.

    Each holds only the items the recipient may see (releasability) and that need them today.
    A constant number of queries, whatever the number of items and recipients.
    """
    ids = _candidate_ids(now)
    roles = _roles(_candidate_items(ids))
    due = _due_recipients(ids=ids, roles=roles, now=now)
    last = last_reminded(item_ids=ids)
    plans = []
    for uid, (user, today) in due.items():
        entries = _entries_for(user=user, today=today, candidates=roles[uid], last=last, now=now)
        if entries:
            end = window_end(day=today, zone=recipient_zone(user))
            plans.append(DigestPlan(user, today, end, entries))
    return plans


# --- Claiming -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _message_domain(from_email: str) -> str:
    # Parsing the address costs more than making the ID; a sweep makes thousands of IDs.
    return parseaddr(from_email)[1].rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """A Message-ID kept for every attempt, so a duplicate delivery can be recognised."""
    return make_msgid(idstring="reminder", domain=_message_domain(settings.DEFAULT_FROM_EMAIL))


def _enqueue(reminder_id: int) -> None:
    from .tasks import send_reminder  # tasks import this module

    try:
        send_reminder.delay(reminder_id)
    except Exception:
        # The row stays pending; the sweep re-enqueues it once it is stale.
        logger.exception("Could not enqueue reminder %s; the sweep will retry it", reminder_id)


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
        for reminder in claimed:
            transaction.on_commit(functools.partial(_enqueue, reminder.pk))


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
    a second copy would be harmless anyway, since deliver() takes the row before sending.
    """
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_PENDING_TIMEOUT_MINUTES)
    stale = Q(state=ReminderState.PENDING) & _stale(cutoff)
    requeued = []
    for pk in Reminder.objects.filter(stale).values_list("pk", flat=True)[:limit]:
        if Reminder.objects.filter(stale, pk=pk).update(next_attempt_at=now):
            requeued.append(pk)
            if enqueue:
                transaction.on_commit(functools.partial(_enqueue, pk))
    return requeued


@dataclass
class SweepResult:
    run: SweepRun
    claimed: list[Reminder]
    requeued: list[int]


def sweep(*, now: dt.datetime, enqueue: bool = True) -> SweepResult:
    """Claim every digest due at `now`, re-enqueue stuck ones, and record the run for /healthz.

    Safe to run twice at once (two beats): the database claim decides. With enqueue=False
    nothing goes to the broker; the caller sends the rows itself (send_reminders command).
    """
    started = time.monotonic()
    requeued = requeue_stuck(now=now, enqueue=enqueue)
    claimed = claim_digests(plans=plan_digests(now=now), now=now, enqueue=enqueue)
    run = SweepRun.objects.create(
        started_at=now,
        finished_at=now + dt.timedelta(seconds=time.monotonic() - started),
        claimed=len(claimed),
        requeued=len(requeued),
    )
    return SweepResult(run=run, claimed=claimed, requeued=requeued)


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
        for pk in ids:
            transaction.on_commit(functools.partial(_enqueue, pk))
    return len(ids)


# --- Selectors for pages --------------------------------------------------------------------------


def reminder_counts() -> dict[str, int]:
    """Pending and failed digests, for the dashboard."""
    return Reminder.objects.aggregate(
        pending=Count("pk", filter=Q(state=ReminderState.PENDING)),
        failed=Count("pk", filter=Q(state=ReminderState.FAILED)),
    )


def item_reminder_log(*, item: ActionItem) -> QuerySet[ReminderItem]:
    """The digests that carried `item`, newest first, for the item page."""
    return (
        ReminderItem.objects.filter(item=item)
        .select_related("reminder__recipient")
        .order_by("-reminder__created_at", "-reminder_id")
    )

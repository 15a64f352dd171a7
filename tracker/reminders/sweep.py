"""The sweep: find the digests due now, claim them, pick up stuck ones. Returns ids; never sends.

    sweep(now)            Celery beat, every REMINDER_SWEEP_SECONDS
      plan_digests        who is due now, with which items (policy.py decides, holdings.py reads)
      claim_digests       one Reminder row per recipient and local day, made under the unique
                          (recipient, local_date) constraint: of two sweeps at once, one makes it
      requeue_stuck       pending rows nobody touched for REMINDER_PENDING_TIMEOUT_MINUTES: the
                          safety net for a lost task or a killed worker

Its caller (the task, the command) hands the claimed and requeued ids to delivery once the
sweep's transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q, QuerySet

from tracker import notifications
from tracker.models import (
    OPEN_STATUSES,
    ActionItem,
    Reminder,
    ReminderItem,
    ReminderNews,
    ReminderState,
    Status,
    SweepRun,
)

from . import news as news_rules
from . import policy
from .agenda import agenda_q, attach_needs, meetings_in_window
from .calendar import due_local_date, recipient_zone, window_end
from .holdings import holdings_of, last_reminded, load_items, personal_snoozes


@dataclass
class DigestPlan:
    """One recipient's digest for one local day, before it is claimed. `send_before` is the end
    of their morning window; None for a digest a coordinator sends by hand."""

    recipient: object
    local_date: dt.date
    send_before: dt.datetime | None
    entries: list[tuple[ActionItem, str]] = field(default_factory=list)
    news: list[news_rules.News] = field(default_factory=list)


def candidates(now: dt.datetime, meetings=()) -> QuerySet[ActionItem]:
    """Open, unsnoozed items that could need someone today, and the claims awaiting review.

    An item whose follow-up comes after the end of everyone's local today (at most 25 hours
    after `now`: a local day lasts at most 25 hours) and whose due date is more than eight days
    after `now`'s UTC date (local dates run at most one day ahead of it, due-soon marks at most
    7 days) needs nobody today in any time zone; leaving it out keeps the sweep's work in
    proportion to the items that are due rather than to every open item. The items on the
    agenda of `meetings` (those whose requests for updates may be due: agenda.py) are
    candidates too. The policy still decides for each candidate.
    """
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=now)
    near = Q(next_follow_up_at__lt=now + dt.timedelta(hours=25)) | Q(
        due_date__lte=(now + dt.timedelta(days=8)).date()
    )
    if meetings:
        near |= agenda_q(meetings)
    claimed = Q(status=Status.IMPLEMENTATION_CLAIMED)
    return ActionItem.objects.filter((Q(status__in=OPEN_STATUSES) & not_snoozed & near) | claimed)


# What the policy reads of a recipient: their calendar (calendar.py) and clearances
# (releasability.py), and who they are (for the send_reminders command's lines). Delivery reads
# the rest (names, language) for the digests it sends.
RECIPIENT_FIELDS = (
    "username",
    "email",
    "is_active",
    "is_superuser",
    "profile__country",
    "profile__time_zone",
    "profile__may_see_us_only",
    "profile__may_see_kr_only",
    "profile__may_see_us_kr",
    # Their own schedule and sections (tracker/notifications.py).
    "profile__digest_frequency",
    "profile__digest_hour",
    "profile__digest_weekday",
    "profile__muted_sections",
    "profile__digests_paused_until",
    "profile__digests_stopped_at",
)


def _due_recipients(user_ids, now: dt.datetime) -> list[tuple[object, dt.date]]:
    """The active users among `user_ids` inside their morning window on a working day, with
    their local date."""
    users = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .select_related("profile")
        .only(*RECIPIENT_FIELDS)
        .order_by("pk")
    )
    due = []
    for user in users:
        today = due_local_date(user=user, now=now)
        if today is not None:
            due.append((user, today))
    return due


def _days_taken(now: dt.datetime) -> set[tuple[int, dt.date]]:
    """(recipient id, local date) of the rows already made around `now` (every local date lies
    within a day of `now`'s UTC date)."""
    today = now.astimezone(dt.UTC).date()
    days = (today - dt.timedelta(days=1), today + dt.timedelta(days=1))
    rows = Reminder.objects.filter(local_date__range=days).order_by()
    return set(rows.values_list("recipient_id", "local_date"))


def plan_digests(*, now: dt.datetime) -> list[DigestPlan]:
    """The digests due at `now`: recipients in their morning window on a day they get one, with
    no row for their local day yet, and items they may see that need them today (policy.py),
    worst first, and the news they were not told yet (news.py). Never an empty digest. A
    constant number of queries, whatever the number of items or recipients."""
    meetings = meetings_in_window(now)
    items = candidates(now, meetings)
    loaded = load_items(items)
    attach_needs(items, loaded, meetings)
    held = holdings_of(items, loaded)
    news = news_rules.pending_news(now=now)
    due = _due_recipients(set(held) | set(news), now)
    taken = _days_taken(now)
    last = last_reminded(items)
    reviewed = last_reminded(items, kinds=policy.REVIEW_KINDS)
    snoozed = personal_snoozes(items, now=now)
    plans = []
    for user, today in due:
        if (user.pk, today) in taken:
            continue
        zone = recipient_zone(user)
        entries = policy.due_entries(
            recipient=user,
            today=today,
            zone=zone,
            holdings=held.get(user.pk, ()),
            last_reminded=last.get(user.pk, {}),
            now=now,
            snoozed=snoozed.get(user.pk, frozenset()),
            last_reviewed=reviewed.get(user.pk, {}),
        )
        told = news_rules.news_for(recipient=user, news=news.get(user.pk, []))
        if entries or told:
            end = window_end(day=today, zone=zone, hour=notifications.digest_hour(user))
            plans.append(DigestPlan(user, today, end, policy.worst_first(entries), told))
    return plans


def _message_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"


def new_message_id(domain: str | None = None) -> str:
    """A Message-ID kept for every attempt, so a duplicate delivery can be recognised."""
    return make_msgid(idstring="reminder", domain=domain or _message_domain())


def claim_digests(*, plans: list[DigestPlan], now: dt.datetime) -> list[int]:
    """Make each plan's row with its items; returns the ids of the rows made here, in order.

    The unique (recipient, local_date) constraint decides between two claims at once: a day
    someone else claimed first is left alone and its plan dropped. Ours are the rows carrying
    the Message-IDs made here. Four statements on PostgreSQL, whatever the number of plans.
    """
    if not plans:
        return []
    domain = _message_domain()
    rows = [
        Reminder(
            recipient_id=plan.recipient.pk,
            local_date=plan.local_date,
            created_at=now,
            next_attempt_at=now,
            send_before=plan.send_before,
            give_up_after=settings.REMINDER_MAX_ATTEMPTS,
            message_id=new_message_id(domain),
        )
        for plan in plans
    ]
    with transaction.atomic():
        Reminder.objects.bulk_create(rows, ignore_conflicts=True)
        made_now = Reminder.objects.filter(state=ReminderState.PENDING, created_at=now)
        by_message = dict(made_now.values_list("message_id", "pk"))
        ours = {
            row.message_id: by_message[row.message_id]
            for row in rows
            if row.message_id in by_message
        }
        mine = [
            (ours[r.message_id], p)
            for r, p in zip(rows, plans, strict=True)
            if r.message_id in ours
        ]
        _claim_contents(mine)
    return sorted(ours.values())


def _claim_contents(mine: list[tuple[int, DigestPlan]]) -> None:
    """Each claimed row's items and news (reminder id, plan), two statements."""
    ReminderItem.objects.bulk_create(
        ReminderItem(reminder_id=pk, item_id=item.pk, kind=kind)
        for pk, plan in mine
        for item, kind in plan.entries
    )
    ReminderNews.objects.bulk_create(
        ReminderNews(reminder_id=pk, update_id=n.update.pk, kind=n.kind)
        for pk, plan in mine
        for n in plan.news
    )


def requeue_stuck(*, now: dt.datetime, limit: int = 500) -> list[int]:
    """Pending rows nobody touched for REMINDER_PENDING_TIMEOUT_MINUTES, bumped so they are
    not requeued again at once; returns their ids, to enqueue once committed. Locked rows are
    skipped, so two sweeps at once never return the same row (and delivery takes a row before
    sending it, so a second copy would be harmless anyway)."""
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_PENDING_TIMEOUT_MINUTES)
    stale = Reminder.objects.filter(
        Q(state=ReminderState.PENDING, created_at__lt=cutoff),
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lt=cutoff),
    )
    with transaction.atomic():
        ids = list(
            stale.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        Reminder.objects.filter(pk__in=ids).update(next_attempt_at=now)
    return ids


@dataclass
class SweepResult:
    run: SweepRun
    claimed_ids: list[int]
    requeued_ids: list[int]

    @property
    def to_send(self) -> list[int]:
        return [*self.claimed_ids, *self.requeued_ids]


def sweep(*, now: dt.datetime) -> SweepResult:
    """Claim every digest due at `now`, pick up stuck ones, and record the run for /healthz, in
    one transaction. Safe to run twice at once (two beats): the database claim decides."""
    started = time.monotonic()
    with transaction.atomic():
        requeued = requeue_stuck(now=now)
        claimed = claim_digests(plans=plan_digests(now=now), now=now)
        run = SweepRun.objects.create(
            started_at=now,
            finished_at=now + dt.timedelta(seconds=time.monotonic() - started),
            claimed=len(claimed),
            requeued=len(requeued),
        )
    return SweepResult(run=run, claimed_ids=claimed, requeued_ids=requeued)

"""Read-side queries for the status pages and the admin: aggregates in SQL, lists by id.

Views call these; nothing here writes but the dashboard's cache. Every function takes the items
the viewer may see (a queryset already narrowed by releasability) or the viewer, so no selector
can leak an item.

The dashboard's aggregates scan every visible item. They are kept in Django's cache per viewer
kind (what they may see, their time zone and local date) under a generation number that every
write of an item or a timeline entry moves on (forget_dashboard_numbers, connected to those
models' signals in apps.py); the few rows a page shows are always read fresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    Reminder,
    ReminderItem,
    ReminderState,
    StatusUpdate,
    follow_up_due_q,
)
from .releasability import cleared_markings, visible_filter, visible_items
from .reminders.escalation import nobody_to_escalate_to

# The dashboard's "due in the next 30 days" (not the digests' 7- and 1-day due-soon marks, nor
# the admin's "due within 7/14/30 days" filter).
DASHBOARD_HORIZON_DAYS = 30
LIST_LIMIT = 10
MONTHS = 12
GENERATION_KEY = "tracker:items-generation"
CACHE_SECONDS = 24 * 3600


def due_within(items: QuerySet, *, today: dt.date, days: int) -> QuerySet:
    """Open items due from `today` through `days` days ahead."""
    until = today + dt.timedelta(days=days)
    return items.open().filter(due_date__gte=today, due_date__lte=until)


def status_counts(items: QuerySet, *, by: str) -> dict[int, dict[str, int]]:
    """{group id: {status: count}} for `by` a foreign key of the item (theme_id, ...)."""
    rows = items.order_by().values_list(by, "status").annotate(n=Count("id"))
    out: dict[int, dict[str, int]] = {}
    for group, status, n in rows:
        out.setdefault(group, {})[status] = n
    return out


def closed_per_month(
    items: QuerySet, *, now: dt.datetime, months: int = MONTHS
) -> list[tuple[dt.date, int]]:
    """Closings (an open item moved to a closed status) per month in the active time zone,
    the last `months` months including this one; months without closings count 0."""
    tz = timezone.get_current_timezone()
    first = _month_start(timezone.localtime(now, tz).date(), back=months - 1)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=tz)
    rows = (
        StatusUpdate.objects.filter(
            item__in=items.order_by().values("pk"),
            created_at__gte=since,
            from_status__in=OPEN_STATUSES,
            to_status__in=CLOSED_STATUSES,
        )
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .order_by()
        .values_list("month")
        .annotate(n=Count("id"))
    )
    counts = {_as_date(month): n for month, n in rows}
    return [(m, counts.get(m, 0)) for m in _months_from(first, months)]


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _month_start(day: dt.date, *, back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _months_from(first: dt.date, months: int) -> list[dt.date]:
    return [_month_start(first, back=-i) for i in range(months)]


@dataclass
class DashboardNumbers:
    """What the dashboard shows, as numbers and ids (language-neutral, cacheable)."""

    total: int = 0
    open: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_theme: dict[int, dict[str, int]] = field(default_factory=dict)
    by_org: dict[int, dict[str, int]] = field(default_factory=dict)
    overdue_count: int = 0
    overdue_ids: list[int] = field(default_factory=list)
    coming_up_count: int = 0
    coming_up_ids: list[int] = field(default_factory=list)
    recent_update_ids: list[int] = field(default_factory=list)
    unescalated_count: int = 0  # long overdue, with nobody to escalate to
    closed_per_month: list[tuple[dt.date, int]] = field(default_factory=list)


def _first_ids(items: QuerySet) -> list[int]:
    """The ids of the first few items by due date (the dashboard's short lists)."""
    return list(items.order_by("due_date", "key").values_list("id", flat=True)[:LIST_LIMIT])


def _compute_dashboard(items: QuerySet, *, now: dt.datetime, today: dt.date) -> DashboardNumbers:
    by_theme = status_counts(items, by="theme_id")
    by_status: dict[str, int] = {}
    for counts in by_theme.values():
        for status, n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
    late = items.overdue(today)
    soon = due_within(items, today=today, days=DASHBOARD_HORIZON_DAYS)
    recent = (
        StatusUpdate.objects.filter(item__in=items.order_by().values("pk"))
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[:LIST_LIMIT]
    )
    return DashboardNumbers(
        total=sum(by_status.values()),
        open=sum(n for s, n in by_status.items() if s in OPEN_STATUSES),
        by_status=by_status,
        by_theme=by_theme,
        by_org=status_counts(items, by="lead_organization_id"),
        overdue_count=late.count(),
        overdue_ids=_first_ids(late),
        coming_up_count=soon.count(),
        coming_up_ids=_first_ids(soon),
        recent_update_ids=list(recent),
        unescalated_count=nobody_to_escalate_to(items, today=today).count(),
        closed_per_month=closed_per_month(items, now=now),
    )


def _viewer_key(user) -> str:
    """What decides which items `user` sees, as text for a cache key."""
    markings = cleared_markings(user)
    return "all" if markings is None else ",".join(sorted(markings)) or "none"


def dashboard_numbers(*, user, now: dt.datetime) -> DashboardNumbers:
    """The dashboard's aggregates for `user` in the active time zone, from the cache while no
    item or timeline entry has been written since they were counted."""
    today = timezone.localdate(now)
    generation = cache.get_or_set(GENERATION_KEY, 0, timeout=None)
    zone = timezone.get_current_timezone_name()
    key = f"tracker:dashboard:{generation}:{_viewer_key(user)}:{zone}:{today.isoformat()}"
    numbers = cache.get(key)
    if numbers is None:
        numbers = _compute_dashboard(visible_items(user), now=now, today=today)
        cache.set(key, numbers, CACHE_SECONDS)
    return numbers


def forget_dashboard_numbers(**_signal_kwargs) -> None:
    """Every dashboard's numbers are counted again at their next view (any item or timeline
    entry written: saved, deleted, its co-owners or partners changed)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # no generation yet (or the cache lost it): start one
        cache.set(GENERATION_KEY, 1, timeout=None)


def reminder_counts(*, user) -> dict[str, int]:
    """Pending and failed digests that carry at least one item the user may see."""
    counts = {ReminderState.PENDING.value: 0, ReminderState.FAILED.value: 0}
    visible_entry = ReminderItem.objects.filter(reminder=OuterRef("pk")).filter(
        visible_filter(user, prefix="item__")
    )
    rows = (
        Reminder.objects.filter(state__in=(ReminderState.PENDING, ReminderState.FAILED))
        .filter(Exists(visible_entry))
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    counts.update(dict(rows))
    return counts


def my_items(items: QuerySet, *, user) -> QuerySet:
    """Items `user` owns or co-owns, among `items` (already narrowed by releasability)."""
    co_owned = ActionItem.co_owners.through.objects.filter(user_id=user.pk).values("actionitem_id")
    return items.filter(Q(owner=user) | Q(pk__in=co_owned))


def needs_update(*, now: dt.datetime) -> Q:
    """Open items whose follow-up is due on the viewer's local day (the rule the reminders use)."""
    return follow_up_due_q(timezone.localdate(now), timezone.get_current_timezone())


def item_reminder_log(*, item: ActionItem, limit: int) -> list[ReminderItem]:
    """The latest `limit` digests that carried `item`, newest first, each with its recipient."""
    return list(
        ReminderItem.objects.filter(item=item)
        .select_related("reminder__recipient")
        .order_by("-reminder__created_at", "-reminder_id")[:limit]
    )


def owned_by_name(items: QuerySet, *, text: str) -> QuerySet:
    """Items among `items` whose owner or a co-owner matches `text`: part of their user name,
    first or last name, in any case (“kim” finds kr-kim and Kim Min-ji)."""
    text = text.strip()
    if not text:
        return items
    people = Q()
    for name in ("username", "first_name", "last_name"):
        people |= Q(**{f"{name}__icontains": text})
    matching = get_user_model().objects.filter(people).values("pk")
    co_owned = ActionItem.co_owners.through.objects.filter(user_id__in=matching)
    return items.filter(Q(owner__in=matching) | Q(pk__in=co_owned.values("actionitem_id")))

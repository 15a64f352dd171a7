"""Read-side queries for the status pages: aggregates in SQL, lists by id, a cheap change stamp.

Views call these; nothing here writes. Every function takes the items the viewer may see (a
queryset already narrowed by releasability) or the viewer, so no selector can leak an item.

The dashboard's aggregates scan every visible item, which is slow at 100,000 items, so they are
cached under a key that changes whenever any item changes (`change_stamp`), whenever the viewer's
clearances, time zone or local date differ, and never otherwise. The cache holds numbers and ids
only; the few rows a page shows are always read fresh.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Concat, TruncMonth
from django.utils import timezone

from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    Organization,
    Reminder,
    ReminderItem,
    ReminderState,
    Source,
    StatusUpdate,
    Theme,
)
from .releasability import cleared_markings, visible_filter

DUE_SOON_DAYS = 30
LIST_LIMIT = 10
MONTHS = 12
CACHE_SECONDS = 24 * 3600


def change_stamp() -> tuple:
    """Numbers that grow whenever any item is created, saved, deleted or its m2m changes, or
    an update is added to a timeline.

    Every save, delete or m2m change adds a row to the item's history table (simple-history);
    bulk_create adds item ids; workflow.py adds timeline rows. So the largest id of each is the
    stamp, one index lookup apiece. QuerySet.update() on items is not seen: code that changes
    status, due date or marking that way must not exist (workflow.py saves).
    """
    row = change_stamp_query().first()
    return row or ()  # no items: nothing to show, whatever was there before


def change_stamp_query(*also: Expression) -> QuerySet:
    """change_stamp()'s statement: its first row is the stamp, then the values of `also`
    (scalar subqueries a page's cache key needs besides, read in the same statement). For a
    caller that runs it on every request and keeps the SQL compiled (building it costs more
    than running it)."""
    history = ActionItem.history.model
    return ActionItem.objects.order_by("-pk").values_list(
        "pk",
        # Scalar subqueries ordered by an indexed column: each one is an index lookup.
        Subquery(history.objects.order_by("-history_id").values("history_id")[:1]),
        Subquery(StatusUpdate.objects.order_by("-pk").values("pk")[:1]),
        *also,
    )


def item_history_stamp() -> Subquery:
    """For an item query's annotate(): the id of the item's latest history row.

    Every save of the item and every change of its co-owners or partner organizations adds a
    history row (simple-history), and every timeline entry saves the item (workflow.py bumps
    its version), so this grows with each of them: one index lookup. Renaming a user or an
    organization adds none; it shows on the item's page once the item next changes.
    """
    history = ActionItem.history.model
    latest = history.objects.filter(id=OuterRef("pk")).order_by("-history_id")
    return Subquery(latest.values("history_id")[:1])


# The names the list's filter form and the dashboard show, per table: read by names(), stamped
# by names_stamp().
_NAMED = (
    (Theme, ("pk", "title_en", "title_ko", "source_id", "order", "key")),
    (Source, ("pk", "key", "date", "title_en", "title_ko")),
    (Organization, ("pk", "key", "name_en", "name_ko")),
)


def names() -> tuple:
    """Every name the list's filter form shows (themes, sources, organizations), for a cache
    key: a renamed theme or organization then shows at once, though no item changed. Three
    small tables, read as plain tuples. (Owners are typed, not listed: no names of theirs.)"""
    return tuple(
        tuple(model.objects.order_by("pk").values_list(*fields)) for model, fields in _NAMED
    )


class _RowsText(Aggregate):
    """One text standing for every row's text (the first expression) taken in the order of the
    second: on PostgreSQL the md5 of them joined, elsewhere (SQLite, the tests' database) the
    joined text itself, in the table's order, which has no ORDER BY inside an aggregate; a
    different order there costs a cache miss, never a stale page."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        text, params = compiler.compile(self.source_expressions[0])
        return f"GROUP_CONCAT({text}, '|')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        text, params = compiler.compile(self.source_expressions[0])
        order, order_params = compiler.compile(self.source_expressions[1])
        return f"MD5(STRING_AGG({text}, '|' ORDER BY {order}))", (*params, *order_params)


def rows_digest(rows: QuerySet, *fields: str) -> Subquery:
    """For change_stamp_query(): a text that changes whenever any of these fields of any of
    `rows` changes, a row is added or one is deleted. One scan of the rows in the database,
    one short text back: cheap for the few hundred rows of reference data. (The fields are
    joined by "|": an edit that only moves a "|" from one field of a row to the next is not
    seen.)"""
    parts = (part for name in fields for part in (Value("|"), F(name)))
    text = Concat(*parts, output_field=TextField())
    every = rows.order_by().values(every=Value(1))  # one group: all the rows
    return Subquery(every.annotate(text=_RowsText(text, F("pk"))).values("text"))


def names_stamp() -> tuple[Subquery, ...]:
    """names() as a stamp, for change_stamp_query(): the same fields of the same rows,
    changing whenever they do (a theme renamed, a report added, an organization deleted),
    without reading them into Python."""
    return tuple(rows_digest(model.objects.all(), *fields) for model, fields in _NAMED)


def viewer_key(user) -> str:
    """What decides which items `user` sees, as text for a cache key."""
    markings = cleared_markings(user)
    return "all" if markings is None else ",".join(sorted(markings)) or "none"


def cache_key(*parts: object) -> str:
    """A short cache key from any parts (a query's SQL may be long)."""
    raw = "|".join(str(p) for p in parts)
    return "tracker:" + hashlib.sha256(raw.encode()).hexdigest()


def open_items(items: QuerySet) -> QuerySet:
    return items.filter(status__in=OPEN_STATUSES)


def overdue(items: QuerySet, *, today: dt.date) -> QuerySet:
    """Open items whose due date has passed (today is the viewer's local date)."""
    return items.overdue(today)


def due_soon(items: QuerySet, *, today: dt.date, days: int = DUE_SOON_DAYS) -> QuerySet:
    """Open items due from today through `days` days ahead."""
    return open_items(items).filter(
        due_date__gte=today, due_date__lte=today + dt.timedelta(days=days)
    )


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
    due_soon_count: int = 0
    due_soon_ids: list[int] = field(default_factory=list)
    recent_update_ids: list[int] = field(default_factory=list)
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
    late = overdue(items, today=today)
    soon = due_soon(items, today=today)
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
        due_soon_count=soon.count(),
        due_soon_ids=_first_ids(soon),
        recent_update_ids=list(recent),
        closed_per_month=closed_per_month(items, now=now),
    )


def dashboard_numbers(*, user, now: dt.datetime, stamp: tuple | None = None) -> DashboardNumbers:
    """The dashboard's aggregates for `user`, from the cache while no item has changed
    (`stamp`: the caller's change_stamp(), to spare a query)."""
    today = timezone.localdate(now)
    stamp = change_stamp() if stamp is None else stamp
    key = cache_key(
        "dashboard", viewer_key(user), timezone.get_current_timezone_name(), today, stamp
    )
    numbers = cache.get(key)
    if numbers is None:
        items = ActionItem.objects.visible_to(user)
        numbers = _compute_dashboard(items, now=now, today=today)
        cache.set(key, numbers, CACHE_SECONDS)
    return numbers


def reminder_counts(*, user) -> dict[str, int]:
    """Pending and failed digests that carry at least one item the user may see."""
    counts = {ReminderState.PENDING.value: 0, ReminderState.FAILED.value: 0}
    unsettled = Reminder.objects.filter(state__in=(ReminderState.PENDING, ReminderState.FAILED))
    # Usually there are none: one look at a small index answers, and the join below (whose
    # planning alone costs more than that) runs only when there is something to count.
    if not unsettled.exists():
        return counts
    visible_entry = ReminderItem.objects.filter(reminder=OuterRef("pk")).filter(
        visible_filter(user, prefix="item__")
    )
    rows = (
        unsettled.filter(Exists(visible_entry))
        .order_by()
        .values_list("state")
        .annotate(n=Count("id"))
    )
    counts.update(dict(rows))
    return counts


def cached_count(queryset: QuerySet) -> int:
    """`queryset.count()`, cached until any item changes (the list's pagination total)."""
    sql, params = queryset.query.sql_with_params()
    key = cache_key("count", sql, params, change_stamp())
    count = cache.get(key)
    if count is None:
        count = queryset.count()
        cache.set(key, count, CACHE_SECONDS)
    return count


def my_items(items: QuerySet, *, user) -> QuerySet:
    """Items `user` owns or co-owns, among `items` (already narrowed by releasability)."""
    # Two indexed terms (owner, primary key): the database can answer each from an index.
    co_owned = ActionItem.co_owners.through.objects.filter(user_id=user.pk).values("actionitem_id")
    return items.filter(Q(owner=user) | Q(pk__in=co_owned))


def needs_update(*, now: dt.datetime) -> Q:
    """Open items whose follow-up time has come (the same rule the reminders use)."""
    return Q(status__in=OPEN_STATUSES, next_follow_up_at__lte=now)


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

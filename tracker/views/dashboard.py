"""The dashboard: where everything stands, what is late, what is coming, what changed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .. import charts, meetings, selectors
from ..models import OPEN_STATUSES, Organization, StatusUpdate, Theme
from ..releasability import visible_filter
from .common import visible_items

# A coordinator reads a dozen bars, not hundreds; the rest are one link away.
THEMES_SHOWN = 12


def _list_href(base: str, **params: object) -> str:
    """`base` (the items list's address, reversed once a page: it links there 200 times) with
    `params` as its query."""
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return base + (f"?{query}" if query else "")


def shown_themes(
    theme_ids: list[int], by_theme: dict[int, dict[str, int]], *, limit: int = THEMES_SHOWN
) -> tuple[list[int], int]:
    """The ids of the themes the chart draws, and how many more have items.

    `theme_ids` in report order. Themes with items, in report order while there are at most
    `limit`; beyond that the `limit` with the most open items, most first (report order among
    equals).
    """
    with_items = [pk for pk in theme_ids if pk in by_theme]
    if len(with_items) <= limit:
        return with_items, 0

    def open_items(pk: int) -> int:
        return sum(n for status, n in by_theme[pk].items() if status in OPEN_STATUSES)

    ranked = sorted(with_items, key=open_items, reverse=True)  # stable: report order kept
    return ranked[:limit], len(with_items) - limit


def _themes_shown(by_theme: dict[int, dict[str, int]]) -> tuple[list[Theme], int]:
    """The themes the chart draws (only those rows read whole), and how many more have items."""
    in_order = Theme.objects.order_by("source__date", "source__key", "order", "key")
    shown, more = shown_themes(list(in_order.values_list("pk", flat=True)), by_theme)
    themes = Theme.objects.in_bulk(shown)
    return [themes[pk] for pk in shown], more


def _theme_rows(numbers: selectors.DashboardNumbers, themes: list[Theme], base: str) -> list:
    return charts.stacked_rows(
        (
            t.title,
            numbers.by_theme[t.pk],
            lambda status, t=t: _list_href(base, theme=t.pk, status=status),
        )
        for t in themes
    )


def _org_rows(numbers: selectors.DashboardNumbers, orgs: list[Organization], base: str) -> list:
    return charts.stacked_rows(
        (
            o.name,
            numbers.by_org[o.pk],
            lambda status, o=o: _list_href(base, lead=o.key, status=status),
        )
        for o in sorted(orgs, key=lambda o: o.name)
        if o.pk in numbers.by_org
    )


def _month_chart(series: list) -> dict:
    """The closed-per-month chart's bars and measures."""
    return {
        "month_bars": charts.month_bars(series),
        "month_chart_width": charts.month_chart_width(series),
        "month_chart_height": charts.MONTH_HEIGHT + 38,
        "month_baseline": charts.MONTH_HEIGHT,
        "month_label_y": charts.MONTH_HEIGHT + 16,
        "month_year_y": charts.MONTH_HEIGHT + 32,
        "month_bar_width": charts.MONTH_BAR,
        "closed_total": sum(n for _m, n in series),
    }


def _context(request, *, now) -> dict:
    numbers = selectors.dashboard_numbers(user=request.user, now=now)
    items = visible_items(request).select_related("lead_organization", "owner")
    # Ids come from the cache; the rows are read fresh and through releasability again.
    listed = {i.pk: i for i in items.filter(pk__in=numbers.overdue_ids + numbers.coming_up_ids)}
    updates = (
        StatusUpdate.objects.filter(pk__in=numbers.recent_update_ids)
        .filter(visible_filter(request.user, prefix="item__"))
        .select_related("item", "author")
        .order_by("-created_at", "-id")
    )
    themes, more_themes = _themes_shown(numbers.by_theme)
    orgs = Organization.objects.filter(pk__in=numbers.by_org)
    base = reverse("tracker:item_list")
    return {
        "numbers": numbers,
        "today": timezone.localdate(now),
        "legend": charts.legend(),
        "theme_rows": _theme_rows(numbers, themes, base),
        "more_themes": more_themes,
        "org_rows": _org_rows(numbers, orgs, base),
        "overdue": [listed[i] for i in numbers.overdue_ids if i in listed],
        "coming_up": [listed[i] for i in numbers.coming_up_ids if i in listed],
        "updates": updates,
        **_month_chart(numbers.closed_per_month),
        "blocked": numbers.by_status.get("blocked", 0),
        "claimed": numbers.by_status.get("implementation_claimed", 0),
        "links": {
            "overdue": _list_href(base, overdue="on", sort="due"),
            "blocked": _list_href(base, status="blocked"),
            "claimed": _list_href(base, status="implementation_claimed", sort="-updated"),
            "unescalated": _list_href(base, unescalated="on", sort="due"),
            "open": _list_href(base, status=list(OPEN_STATUSES)),
        },
        "reminders": selectors.reminder_counts(user=request.user),
        "next_meetings": meetings.next_meeting_per_forum(
            user=request.user, today=timezone.localdate(now)
        ),
    }


@login_required
def dashboard(request):
    return render(request, "tracker/dashboard.html", _context(request, now=timezone.now()))

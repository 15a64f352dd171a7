"""The dashboard: where everything stands, what is late, what is coming, what changed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from .. import charts, selectors
from ..models import OPEN_STATUSES, Organization, StatusUpdate, Theme
from ..releasability import visible_filter
from .common import cached_render, visible_items

# A coordinator reads a dozen bars, not hundreds; the rest are one link away.
THEMES_SHOWN = 12


def _list_href(**params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return reverse("tracker:item_list") + (f"?{query}" if query else "")


def shown_themes(
    themes: list[Theme], by_theme: dict[int, dict[str, int]], *, limit: int = THEMES_SHOWN
) -> tuple[list[Theme], int]:
    """The themes the chart draws, and how many more have items.

    Themes with items, in report order while there are at most `limit`; beyond that the
    `limit` with the most open items, most first (report order among equals).
    """
    with_items = [t for t in themes if t.pk in by_theme]
    if len(with_items) <= limit:
        return with_items, 0

    def open_items(theme: Theme) -> int:
        return sum(n for status, n in by_theme[theme.pk].items() if status in OPEN_STATUSES)

    ranked = sorted(with_items, key=open_items, reverse=True)  # stable: report order kept
    return ranked[:limit], len(with_items) - limit


def _theme_rows(numbers: selectors.DashboardNumbers, themes: list[Theme]) -> list[charts.BarRow]:
    return charts.stacked_rows(
        (
            t.title,
            numbers.by_theme[t.pk],
            lambda status, t=t: _list_href(theme=t.pk, status=status),
        )
        for t in themes
    )


def _org_rows(numbers: selectors.DashboardNumbers, orgs: list[Organization]) -> list[charts.BarRow]:
    return charts.stacked_rows(
        (
            o.name,
            numbers.by_org[o.pk],
            lambda status, o=o: _list_href(lead=o.key, status=status),
        )
        for o in sorted(orgs, key=lambda o: o.name)
        if o.pk in numbers.by_org
    )


def _context(request, *, now, stamp, themes, orgs) -> dict:
    numbers = selectors.dashboard_numbers(user=request.user, now=now, stamp=stamp)
    items = visible_items(request).select_related("lead_organization", "owner")
    # Ids come from the cache; the rows are read fresh and through releasability again.
    listed = {i.pk: i for i in items.filter(pk__in=numbers.overdue_ids + numbers.due_soon_ids)}
    updates = (
        StatusUpdate.objects.filter(pk__in=numbers.recent_update_ids)
        .filter(visible_filter(request.user, prefix="item__"))
        .select_related("item", "author")
        .order_by("-created_at", "-id")
    )
    series = numbers.closed_per_month
    themes, more_themes = shown_themes(themes, numbers.by_theme)
    return {
        "numbers": numbers,
        "today": timezone.localdate(now),
        "legend": charts.legend(),
        "theme_rows": _theme_rows(numbers, themes),
        "more_themes": more_themes,
        "org_rows": _org_rows(numbers, orgs),
        "overdue": [listed[i] for i in numbers.overdue_ids if i in listed],
        "due_soon": [listed[i] for i in numbers.due_soon_ids if i in listed],
        "updates": updates,
        "month_bars": charts.month_bars(series),
        "month_chart_width": charts.month_chart_width(series),
        "month_chart_height": charts.MONTH_HEIGHT + 38,
        "month_baseline": charts.MONTH_HEIGHT,
        "month_label_y": charts.MONTH_HEIGHT + 16,
        "month_year_y": charts.MONTH_HEIGHT + 32,
        "month_bar_width": charts.MONTH_BAR,
        "closed_total": sum(n for _m, n in series),
        "blocked": numbers.by_status.get("blocked", 0),
        "links": {
            "overdue": _list_href(overdue="on", sort="due"),
            "blocked": _list_href(status="blocked"),
            "open": _list_href(status=["not_started", "in_progress", "blocked"]),
        },
    }


def _named(names: tuple) -> tuple[list[Theme], list[Organization]]:
    """Themes (in report order) and organizations built from selectors.names(): what the
    charts read of them, without reading the tables a second time."""
    themes, sources, orgs = names
    report = {pk: (date, key) for pk, key, date, _en, _ko in sources}
    built = [
        Theme(pk=pk, title_en=en, title_ko=ko, source_id=source, order=order, key=key)
        for pk, en, ko, source, order, key in themes
    ]
    built.sort(key=lambda t: (*report[t.source_id], t.order, t.key))
    return built, [Organization(pk=pk, key=key, name_en=en, name_ko=ko) for pk, key, en, ko in orgs]


@login_required
def dashboard(request):
    now = timezone.now()
    stamp = selectors.change_stamp()
    # Names are read on every request (plain tuples of small tables) so a renamed theme or
    # organization shows at once, even while the items have not changed.
    names = selectors.names()

    def render_parts() -> tuple[str, str]:
        themes, orgs = _named(names)
        context = _context(request, now=now, stamp=stamp, themes=themes, orgs=orgs)
        return (
            render_to_string("tracker/includes/dashboard_cards.html", context),
            render_to_string("tracker/includes/dashboard_body.html", context),
        )

    cards, body = cached_render(
        request, parts=("dashboard-html", names), stamp=stamp, render=render_parts
    )
    context = {
        "cards": mark_safe(cards),  # noqa: S308 -- our own templates' output, escaped there
        "body": mark_safe(body),  # noqa: S308
        "reminders": selectors.reminder_counts(user=request.user),
    }
    return render(request, "tracker/dashboard.html", context)

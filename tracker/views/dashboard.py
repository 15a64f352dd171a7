"""The dashboard: where everything stands, what is late, what is coming, what changed."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from .. import charts, selectors
from ..models import Organization, StatusUpdate, Theme
from .common import visible_items


def _list_href(**params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None}, doseq=True)
    return reverse("tracker:item_list") + (f"?{query}" if query else "")


def _theme_rows(numbers: selectors.DashboardNumbers) -> list[charts.BarRow]:
    themes = Theme.objects.filter(pk__in=list(numbers.by_theme)).order_by(
        "source__date", "source__key", "order", "key"
    )
    return charts.stacked_rows(
        (
            t.title,
            numbers.by_theme[t.pk],
            lambda status, t=t: _list_href(theme=t.pk, status=status),
        )
        for t in themes
    )


def _org_rows(numbers: selectors.DashboardNumbers) -> list[charts.BarRow]:
    orgs = sorted(Organization.objects.filter(pk__in=list(numbers.by_org)), key=lambda o: o.name)
    return charts.stacked_rows(
        (
            o.name,
            numbers.by_org[o.pk],
            lambda status, o=o: _list_href(lead=o.key, status=status),
        )
        for o in orgs
    )


@login_required
def dashboard(request):
    now = timezone.now()
    numbers = selectors.dashboard_numbers(user=request.user, now=now)
    items = visible_items(request).select_related("lead_organization", "owner")
    # Ids come from the cache; the rows are read fresh and through releasability again.
    listed = {i.pk: i for i in items.filter(pk__in=numbers.overdue_ids + numbers.due_soon_ids)}
    updates = (
        StatusUpdate.objects.filter(pk__in=numbers.recent_update_ids, item__in=items)
        .select_related("item", "author")
        .order_by("-created_at", "-id")
    )
    series = numbers.closed_per_month
    context = {
        "numbers": numbers,
        "today": timezone.localdate(now),
        "legend": charts.legend(),
        "theme_rows": _theme_rows(numbers),
        "org_rows": _org_rows(numbers),
        "overdue": [listed[i] for i in numbers.overdue_ids if i in listed],
        "due_soon": [listed[i] for i in numbers.due_soon_ids if i in listed],
        "updates": updates,
        "month_bars": charts.month_bars(series),
        "month_chart_width": charts.month_chart_width(series),
        "month_chart_height": charts.MONTH_HEIGHT + 24,
        "month_baseline": charts.MONTH_HEIGHT,
        "month_label_y": charts.MONTH_HEIGHT + 16,
        "month_bar_width": charts.MONTH_BAR,
        "closed_total": sum(n for _m, n in series),
        "reminders": selectors.reminder_counts(user=request.user),
        "blocked": numbers.by_status.get("blocked", 0),
        "links": {
            "overdue": _list_href(overdue="on", sort="due"),
            "blocked": _list_href(status="blocked"),
            "open": _list_href(status=["not_started", "in_progress", "blocked"]),
        },
    }
    return render(request, "tracker/dashboard.html", context)

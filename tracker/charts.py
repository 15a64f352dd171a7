"""Geometry for the dashboard's server-rendered SVG charts (templates draw; this measures).

Charts carry their colours as SVG presentation attributes (fill="..."), which the Content
Security Policy allows, unlike style attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import Status

# One colour per status, each dark enough for white text and distinct in greyscale order.
STATUS_COLORS: dict[str, str] = {
    Status.NOT_STARTED: "#6b7280",
    Status.IN_PROGRESS: "#1d5fa8",
    Status.BLOCKED: "#b3261e",
    Status.IMPLEMENTATION_CLAIMED: "#8a5a00",
    Status.IMPLEMENTED: "#2e7d32",
    Status.CLOSED_NOT_IMPLEMENTED: "#6d4c41",
    Status.SUPERSEDED: "#6a4c93",
}
BAR_WIDTH = 100  # viewBox units; the bar stretches to its box
MONTH_STEP = 44
MONTH_BAR = 30
MONTH_HEIGHT = 120


@dataclass(frozen=True)
class LegendEntry:
    status: str
    label: str
    color: str


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    count: int
    x: float
    width: float
    color: str
    href: str


@dataclass(frozen=True)
class BarRow:
    label: str
    href: str
    total: int
    segments: list[Segment]
    counts: list[int]  # one per status, in legend order (the table view)
    description: str


@dataclass(frozen=True)
class MonthBar:
    month: dt.date
    count: int
    x: float
    y: float
    height: float
    label_x: float
    label_y: float
    year: int | None  # written under the first month and each January, so a year is never lost


def legend() -> list[LegendEntry]:
    return [LegendEntry(s.value, str(s.label), STATUS_COLORS[s]) for s in Status]


def stacked_rows(
    groups: Iterable[tuple[str, dict[str, int], Callable[[str | None], str]]],
) -> list[BarRow]:
    """One bar per group, its length proportional to the largest group's total.

    Each group is (label, {status: count}, href(status or None) -> list URL).
    """
    groups = list(groups)
    longest = max((sum(c.values()) for _label, c, _href in groups), default=0) or 1
    entries = legend()
    return [_row(label, counts, href, longest, entries) for label, counts, href in groups]


def _row(label: str, counts: dict[str, int], href, longest: int, entries) -> BarRow:
    x = 0.0
    segments = []
    for entry in entries:
        n = counts.get(entry.status, 0)
        if not n:
            continue
        width = BAR_WIDTH * n / longest
        segments.append(
            Segment(entry.status, entry.label, n, x, width, entry.color, href(entry.status))
        )
        x += width
    parts = ", ".join(f"{s.label} {s.count}" for s in segments) or _("no items")
    return BarRow(
        label=label,
        href=href(None),
        total=sum(counts.values()),
        segments=segments,
        counts=[counts.get(e.status, 0) for e in entries],
        description=f"{label}: {parts}",
    )


def month_bars(series: list[tuple[dt.date, int]]) -> list[MonthBar]:
    """Vertical bars for (month, count) pairs, scaled to the largest month."""
    tallest = max((n for _m, n in series), default=0) or 1
    bars = []
    for index, (month, n) in enumerate(series):
        year = month.year if index == 0 or month.month == 1 else None
        height = (MONTH_HEIGHT - 20) * n / tallest
        x = index * MONTH_STEP + (MONTH_STEP - MONTH_BAR) / 2
        bars.append(
            MonthBar(
                month=month,
                count=n,
                x=x,
                y=MONTH_HEIGHT - height,
                height=height,
                label_x=x + MONTH_BAR / 2,
                label_y=MONTH_HEIGHT - height - 4,
                year=year,
            )
        )
    return bars


def month_chart_width(series: list) -> int:
    return max(len(series), 1) * MONTH_STEP

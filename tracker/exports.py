"""CSV exports: a spreadsheet must never run a cell as a formula.

`safe_cell` is shared by the status pages' export and the admin's.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import ActionItem

# Spreadsheets treat a cell starting with one of these as a formula (CSV/formula injection);
# tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 2000


def safe_cell(value: object) -> str:
    """`value` as text a spreadsheet shows as text: a leading apostrophe neutralises a formula.

    None is the empty string; numbers and dates are their usual text (a negative number gets the
    apostrophe too, which keeps it readable and harmless).
    """
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def item_columns() -> list[str]:
    return [
        _("Key"),
        _("Title (English)"),
        _("Title (Korean)"),
        _("Status"),
        _("Priority"),
        _("Due date"),
        _("Source"),
        _("Theme"),
        _("Lead organization"),
        _("Owner"),
        _("Co-owners"),
        _("Last update"),
        _("Marking"),
        _("Link"),
    ]


def item_row(item: ActionItem, *, link: str) -> list[object]:
    return [
        item.key,
        item.title_en,
        item.title_ko,
        item.get_status_display(),
        item.get_priority_display(),
        item.due_date.isoformat() if item.due_date else "",
        item.source.key,
        item.theme.title,
        item.lead_organization.name,
        item.owner.get_username() if item.owner else "",
        " ".join(sorted(u.get_username() for u in item.co_owners.all())),
        _local(item.last_update_at),
        item.get_marking_display(),
        link,
    ]


def _local(when: dt.datetime | None) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""


def export_queryset(items: QuerySet) -> QuerySet:
    """The rows and relations the export reads, in a fixed number of queries."""
    return items.select_related("source", "theme", "lead_organization", "owner").prefetch_related(
        "co_owners"
    )


def csv_lines(
    items: QuerySet, *, link_for: Callable[[ActionItem], str], language: str, tz: dt.tzinfo
) -> Iterator[str]:
    """The CSV text of `items`, line by line, every cell neutralised; `link_for(item)` -> URL.

    A streamed response is written after the view returns, so the reader's language and time
    zone are given here and held while the lines are made. Rows are read in chunks: memory stays
    flat at any size, at one query (and one for co-owners) per chunk.
    """
    writer = csv.writer(_Echo())
    with translation.override(language), timezone.override(tz):
        yield "\ufeff"  # a byte-order mark, so spreadsheets read the Korean text as UTF-8
        yield writer.writerow(_safe_row(item_columns()))
        for item in export_queryset(items).iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow(_safe_row(item_row(item, link=link_for(item))))


def _safe_row(cells: Iterable[object]) -> list[str]:
    return [safe_cell(c) for c in cells]

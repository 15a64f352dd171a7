"""The one CSV format of action items, written by both exports (status pages and admin) and read
back by the admin's import (tracker/admin/imports.py).

- UTF-8 with a byte-order mark (so Excel reads Korean), one header row in the reader's
  language, then one row an item;
- names (theme, organizations), choices (status, priority, releasability) and headers in the
  reader's language, times in their time zone (YYYY-MM-DD HH:MM), dates as YYYY-MM-DD;
- every cell a spreadsheet would run as a formula starts with an apostrophe (the import takes
  it off again);
- `COLUMNS` says which model field each column feeds on import; a column without one
  (status, times, link) is written for readers and ignored on import.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .models import ActionItem

# Spreadsheets treat a cell starting with one of these as a formula (CSV/formula injection);
# tab and carriage return can hide such a start.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_CHUNK = 2000
# Between people (user names have no commas) and between organizations (whose names may).
PEOPLE_SEPARATOR = ", "
ORGANIZATION_SEPARATOR = "; "


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


def restore_cell(value):
    """What `safe_cell` was given: the apostrophe it added before a formula start comes off."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _local(when: dt.datetime | None) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""


def _user(user) -> str:
    return user.get_username() if user else ""


@dataclass(frozen=True)
class Column:
    header: object  # a lazy translation: the header in the reader's language
    value: Callable[[ActionItem, str], object]  # (item, link) -> cell
    field: str = ""  # the model field it feeds on import; "" for a column readers only read


COLUMNS = [
    Column(_("Key"), lambda i, link: i.key, "key"),
    Column(_("Title (English)"), lambda i, link: i.title_en, "title_en"),
    Column(_("Title (Korean)"), lambda i, link: i.title_ko, "title_ko"),
    Column(_("Status"), lambda i, link: i.get_status_display()),
    Column(_("Priority"), lambda i, link: i.get_priority_display(), "priority"),
    Column(_("Due date"), lambda i, link: i.due_date.isoformat() if i.due_date else "", "due_date"),
    Column(_("Owner"), lambda i, link: _user(i.owner), "owner"),
    Column(_("Owner's role (English)"), lambda i, link: i.owner_role_en, "owner_role_en"),
    Column(_("Owner's role (Korean)"), lambda i, link: i.owner_role_ko, "owner_role_ko"),
    Column(
        _("Co-owners"),
        lambda i, link: PEOPLE_SEPARATOR.join(sorted(_user(u) for u in i.co_owners.all())),
        "co_owners",
    ),
    Column(_("Lead organization"), lambda i, link: i.lead_organization.name, "lead_organization"),
    Column(
        _("Partner organizations"),
        lambda i, link: ORGANIZATION_SEPARATOR.join(
            sorted(o.name for o in i.partner_organizations.all())
        ),
        "partner_organizations",
    ),
    Column(_("Report (key)"), lambda i, link: i.source.key, "source"),
    Column(_("Theme"), lambda i, link: i.theme.title, "theme"),
    Column(_("Summary (English)"), lambda i, link: i.summary_en, "summary_en"),
    Column(_("Summary (Korean)"), lambda i, link: i.summary_ko, "summary_ko"),
    Column(_("Paragraph"), lambda i, link: i.paragraph, "paragraph"),
    Column(_("Excerpt"), lambda i, link: i.excerpt, "excerpt"),
    Column(_("Follow-up every (days)"), lambda i, link: i.cadence_days, "cadence_days"),
    Column(_("Releasability"), lambda i, link: i.get_marking_display(), "marking"),
    Column(_("Last update"), lambda i, link: _local(i.last_update_at)),
    Column(_("Next follow-up"), lambda i, link: _local(i.next_follow_up_at)),
    Column(_("Version"), lambda i, link: i.version, "version"),
    Column(_("Link"), lambda i, link: link),
]


def item_columns() -> list[str]:
    """The header row, in the active language."""
    return [str(column.header) for column in COLUMNS]


def item_row(item: ActionItem, *, link: str) -> list[object]:
    return [column.value(item, link) for column in COLUMNS]


def export_queryset(items: QuerySet) -> QuerySet:
    """The rows and relations the export reads, in a fixed number of queries."""
    return items.select_related("source", "theme", "lead_organization", "owner").prefetch_related(
        "co_owners", "partner_organizations"
    )


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    items: QuerySet, *, link_for: Callable[[ActionItem], str], language: str, tz: dt.tzinfo
) -> Iterator[str]:
    """The CSV text of `items`, line by line, every cell neutralised; `link_for(item)` -> URL.

    A streamed response is written after the view returns, so the reader's language and time
    zone are given here and held while the lines are made. Rows are read in chunks: memory stays
    flat at any size, at a fixed number of queries per chunk.
    """
    writer = csv.writer(_Echo())
    with translation.override(language), timezone.override(tz):
        yield "\ufeff"  # a byte-order mark, so spreadsheets read the Korean text as UTF-8
        yield writer.writerow(_safe_row(item_columns()))
        for item in export_queryset(items).iterator(chunk_size=EXPORT_CHUNK):
            yield writer.writerow(_safe_row(item_row(item, link=link_for(item))))


def file_name(*, today: dt.date) -> str:
    """The export's file name: the reader's local date, so two exports of a day sort together."""
    return f"action-items-{today.isoformat()}.csv"


def _safe_row(cells: Iterable[object]) -> list[str]:
    return [safe_cell(c) for c in cells]

"""A snapshot as a report: a PDF (English, Korean, or both side by side), CSV and XLSX.

Everything is drawn from the snapshot's stored content, never from the items as they are now,
so the report a reader holds is the one its SHA-256 speaks for. The PDF is a Django template
(tracker/reports/snapshot.html) laid out by WeasyPrint, with the Korean text set in Noto Sans
CJK (Debian's fonts-noto-cjk; `make pdf-deps`). Cells of the CSV and XLSX are neutralised as
in every export (exports.safe_cell).

Callers check `snapshots.may_open` first: nothing here asks who is reading. A long report's PDF
(more than REPORT_PDF_NOW_ITEMS items) is laid out by a worker and kept (SnapshotReport).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from . import charts
from .comparison import Change, Changes
from .exports import safe_cell
from .models import Edition, Snapshot, SnapshotReport, Status
from .snapshots import citation

LANGUAGES = ("en", "ko", "both")
LABELS = {
    "snapshot": _("Snapshot"),
    "as_of": _("As of"),
    "edition": _("Edition"),
    "frozen": _("Frozen"),
    "summary": _("Summary"),
    "total": _("Items"),
    "open": _("Open"),
    "closed": _("Closed"),
    "overdue": _("Overdue"),
    "by_status": _("Items by status"),
    "items": _("Action items"),
    "key": _("Key"),
    "title": _("Title"),
    "status": _("Status"),
    "owner": _("Owner"),
    "due": _("Due date"),
    "last_update": _("Last update"),
    "provenance": _("From"),
    "decided_at": _("Decided at"),
    "none": _("none"),
    "changes": _("What changed"),
    "no_changes": _("Nothing changed."),
    "closed_items": _("Closed"),
    "reopened": _("Reopened"),
    "newly_overdue": _("Newly overdue"),
    "due_moved": _("Due date moved"),
    "owner_changed": _("Owner changed"),
    "new_items": _("New items"),
    "dropped": _("No longer in the report"),
    "days": _("days"),
    "hash": _("SHA-256 of the content"),
    "page": _("Page"),
}
CHANGE_LABELS = {"closed": "closed_items"}


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


def label(text, language: str) -> str:
    """`text` in `language`, or for "both" the English and the Korean, side by side."""
    if language != "both":
        return _in(language, text)
    english, korean = _in("en", text), _in("ko", text)
    return english if english == korean else f"{english} / {korean}"


@dataclass(frozen=True)
class Line:
    """One item of the report, labelled for the chosen language."""

    row: dict
    status: str
    titles: list[tuple[str, str]]  # (language code, title)


def _titles(row: dict, language: str) -> list[tuple[str, str]]:
    if language == "en":
        return [("en", row["title_en"])]
    if language == "ko":
        return [("ko", row["title_ko"] or row["title_en"])]
    return [("en", row["title_en"]), ("ko", row["title_ko"])]


def numbered(number: int, language: str) -> str:
    """“Snapshot 12”, or for "both" “Snapshot 12 / 스냅숏 12”."""
    text = _("Snapshot %(n)s")
    codes = ("en", "ko") if language == "both" else (language,)
    return " / ".join(dict.fromkeys(_in(code, text) % {"n": number} for code in codes))


def _status_rows(summary: dict, language: str) -> list[charts.BarRow]:
    groups = [
        (label(status.label, language), {status.value: summary["by_status"].get(status.value, 0)})
        for status in Status
    ]
    return charts.stacked_rows((name, counts, lambda _s: "") for name, counts in groups)


def report_context(*, snapshot: Snapshot, language: str, changes: tuple | None = None) -> dict:
    """What the PDF template shows; `changes` is (what is compared, in words; Changes)."""
    content = snapshot.content
    lines = [
        Line(
            row=row,
            status=label(Status(row["status"]).label, language),
            titles=_titles(row, language),
        )
        for row in content["items"]
    ]
    return {
        "snapshot": snapshot,
        "content": content,
        "language": language,
        "html_language": "ko" if language == "ko" else "en",
        "labels": {key: label(text, language) for key, text in LABELS.items()},
        "numbered": numbered(snapshot.number, language),
        "edition": label(Edition(content["edition"]).label, language),
        "lines": lines,
        "status_rows": _status_rows(content["summary"], language),
        "changes": _change_groups(changes, language),
    }


def status_words(change: Change, language: str) -> Change:
    """`change` with a status code before or after it put in words."""
    words = {
        side: label(Status(value).label, language)
        for side, value in (("before", change.before), ("after", change.after))
        if value in Status.values
    }
    return dataclasses.replace(change, **words)


def _change_groups(changes: tuple[str, Changes] | None, language: str) -> dict | None:
    if changes is None:
        return None
    heading, found = changes
    groups = [
        (
            label(LABELS[CHANGE_LABELS.get(name, name)], language),
            name,
            [status_words(c, language) for c in items],
        )
        for name, items in found.groups()
        if items
    ]
    return {"heading": heading, "groups": groups, "count": found.count}


def pdf_bytes(*, snapshot: Snapshot, language: str, changes: tuple | None = None) -> bytes:
    """The report as a PDF. WeasyPrint needs Pango (`make pdf-deps`), so it is imported here:
    the rest of the tracker runs on a machine without it."""
    import weasyprint

    context = report_context(snapshot=snapshot, language=language, changes=changes)
    html = render_to_string("tracker/reports/snapshot.html", context)
    return weasyprint.HTML(string=html).write_pdf()


def ready_pdf(*, snapshot: Snapshot, language: str) -> bytes | None:
    """The PDF a worker laid out for `snapshot` in `language`, or None (not yet)."""
    found = SnapshotReport.objects.filter(snapshot=snapshot, language=language).first()
    return bytes(found.pdf) if found is not None else None


def lay_out_pdf(*, snapshot_id: int, language: str, now: dt.datetime) -> bool:
    """Lay out and keep a snapshot's PDF in `language` (without a "what changed" section: which
    earlier snapshot a reader may see depends on the reader). Safe to run twice: a PDF already
    kept is left as it is. Returns whether one was made."""
    snapshot = Snapshot.objects.filter(pk=snapshot_id).first()
    if snapshot is None or language not in LANGUAGES:
        return False
    if SnapshotReport.objects.filter(snapshot=snapshot, language=language).exists():
        return False
    pdf = pdf_bytes(snapshot=snapshot, language=language)
    _made, created = SnapshotReport.objects.get_or_create(
        snapshot=snapshot, language=language, defaults={"pdf": pdf, "made_at": now}
    )
    return created


COLUMNS = (
    ("key", _("Key")),
    ("title_en", _("Title (English)")),
    ("title_ko", _("Title (Korean)")),
    ("status", _("Status")),
    ("priority", _("Priority")),
    ("owner", _("Owner")),
    ("due_date", _("Due date")),
    ("overdue", _("Overdue")),
    ("lead_en", _("Lead organization")),
    ("theme_en", _("Theme")),
    ("last_update_at", _("Last update")),
    ("last_update_note", _("Last update note")),
    ("source_key", _("Source")),
    ("paragraph", _("Paragraph")),
    ("excerpt", _("Excerpt")),
    ("origin_meeting", _("Decided at")),
    ("marking", _("Marking")),
)


def table(snapshot: Snapshot) -> Iterator[list[str]]:
    """The report's rows for CSV and XLSX: a heading with the citation and hash, then the
    column names and one row an item, every cell neutralised."""
    yield [safe_cell(citation(snapshot))]
    yield [safe_cell(f"SHA-256 {snapshot.sha256}")]
    yield [safe_cell(str(name)) for _key, name in COLUMNS]
    for row in snapshot.content["items"]:
        yield [safe_cell(_cell(row, key)) for key, _name in COLUMNS]


def _cell(row: dict, key: str) -> object:
    value = row.get(key)
    if key == "overdue":
        return str(_("yes")) if value else ""
    return value


def csv_text(snapshot: Snapshot) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so spreadsheets read the Korean text as UTF-8
    writer = csv.writer(out)
    for row in table(snapshot):
        writer.writerow(row)
    return out.getvalue()


def xlsx_bytes(snapshot: Snapshot) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=f"snapshot-{snapshot.number}")
    for row in table(snapshot):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

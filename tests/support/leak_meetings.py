"""The leak matrix's meetings and reports: a forum following every item, a held meeting with an
outcome on each (its text carries the item's marker), a coming one whose requests for updates
fall in the matrix's digests, and a snapshot of each edition (of the report's items, and of the
coming meeting's agenda), each holding the markers of the items it may hold.

`document_text` reads what a PDF or XLSX download shows, so the matrix checks reports as it
checks pages.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from tracker import meetings, outcomes, snapshots
from tracker.models import (
    ActionItem,
    Edition,
    Forum,
    Meeting,
    MeetingStatus,
    Organization,
    ScopeKind,
    Snapshot,
    Source,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def meetings_and_reports(
    *, root, items: dict[str, ActionItem], markers: dict, source: Source, org: Organization, now
) -> tuple[list[Meeting], list[Snapshot]]:
    forum = Forum.objects.create(
        key="leak-forum", short_name="LEAKF", name_en="Leak forum", secretariat=org
    )
    forum.items.set(items.values())
    held = Meeting.objects.create(forum=forum, key="held", date=now.date() - dt.timedelta(days=8))
    meetings.hold(meeting=held, by=root, now=now)
    for marking, item in items.items():
        en, ko = markers[marking]
        outcomes.record_update(
            meeting=held, item=item, by=root, text_en=f"Agreed on {en}", text_ko=ko, now=now
        )
    # Requests on 30 November and 7 December: the matrix's sweeps are on 7 and 8 December.
    coming = Meeting.objects.create(
        forum=forum, key="coming", date=dt.date(2026, 12, 14), status=MeetingStatus.PLANNED
    )
    coming.agenda_entries.create(item=items[next(iter(items))])
    frozen = []
    for edition in Edition.values:
        for scope in (
            snapshots.Scope(kind=ScopeKind.SOURCE, source=source),
            snapshots.Scope(kind=ScopeKind.MEETING, meeting=coming),
        ):
            ask = snapshots.Request(scope=scope, edition=edition, as_of=now, zone=dt.UTC)
            frozen.append(snapshots.freeze(request=ask, by=root, now=now))
    return [held, coming], frozen


def document_text(body: bytes, content_type: str) -> str:
    """The text a PDF (through poppler's pdftotext) or an XLSX download shows; "" otherwise, or
    when pdftotext is missing (tests/snapshots/test_reports.py fails in CI without it)."""
    if content_type.startswith("application/pdf") and shutil.which("pdftotext"):
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / "report.pdf"
            pdf.write_bytes(body)
            # An evidence file that only starts like a PDF is no document to read: its bytes,
            # checked as they are, are all there is (response_text reads them too).
            run = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=False)
        return run.stdout.decode("utf-8", "replace")
    if content_type.startswith(XLSX):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(body), read_only=True)
        cells = (c for s in book.worksheets for row in s.iter_rows(values_only=True) for c in row)
        return "\n".join(str(c) for c in cells if c is not None)
    return ""

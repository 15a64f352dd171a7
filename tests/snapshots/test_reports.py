"""The report a reader holds: the PDF (read back with poppler's pdftotext, its first two pages
pictured with pdftoppm into test-artifacts/), the CSV and the XLSX, the pages, and who may
download them."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tests.conftest import in_ci
from tracker import meetings, snapshots, workflow
from tracker.models import ActionItem, Edition, Marking, MeetingStatus, ScopeKind, Snapshot, Status

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TITLES = [
    ("Revise the committee charter", "위원회 헌장 개정"),
    ("Share requirements earlier", "소요 조기 공유"),
    ("Review export licensing", "수출 허가 검토"),
]


def poppler() -> bool:
    found = shutil.which("pdftotext") and shutil.which("pdftoppm")
    if not found and in_ci():
        pytest.fail("poppler-utils is missing: `make pdf-deps` installs it")
    return bool(found)


@pytest.fixture
def report(item_factory, dticc, meeting_factory, coordinator):
    """A DTICC meeting's agenda of enough items to fill two pages, frozen by one click."""
    for n in range(45):
        en, ko = TITLES[n] if n < len(TITLES) else (f"Filler item {n}", f"보충 항목 {n}")
        item = item_factory(f"item-{n:02d}", title_en=en, title_ko=ko, owner=coordinator)
        dticc.items.add(item)
    workflow.change_status(item=item, to=Status.BLOCKED, by=coordinator, now=timezone.now())
    meeting_factory(timezone.localdate() - dt.timedelta(days=30), status=MeetingStatus.HELD)
    return meeting_factory(timezone.localdate() + dt.timedelta(days=10))


def freeze_on_the_meeting(client, meeting, edition=Edition.ALL) -> Snapshot:
    response = client.post(f"/meetings/{meeting.pk}/freeze/", {"edition": edition})
    assert response.status_code == 302, response.content[:500]
    return Snapshot.objects.order_by("-number").first()


def test_the_pdf_names_each_item_in_both_languages_and_the_snapshot_number(
    client, report, coordinator, tmp_path
):
    client.force_login(coordinator)
    snapshot = freeze_on_the_meeting(client, report)
    assert snapshot.scope == ScopeKind.MEETING and snapshot.item_count == 45
    response = client.get(f"/snapshots/{snapshot.number}/report.pdf?language=both")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    if not poppler():
        pytest.skip("poppler-utils is not installed (make pdf-deps)")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    for en, ko in TITLES:
        assert en in flat and ko in flat
    assert "Filler item 44" in flat and "보충 항목 44" in flat
    assert f"Snapshot {snapshot.number}" in flat and snapshot.sha256 in flat
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-f",
            "1",
            "-l",
            "2",
            "-r",
            "60",
            "-png",
            str(pdf),
            str(ARTIFACTS / "snapshot-report"),
        ],
        check=True,
    )
    pictures = sorted(ARTIFACTS.glob("snapshot-report-*.png"))
    assert len(pictures) >= 2 and all(p.stat().st_size > 10_000 for p in pictures[:2])


def test_a_korean_pdf_is_set_in_korean(client, report, coordinator, tmp_path):
    client.force_login(coordinator)
    snapshot = freeze_on_the_meeting(client, report)
    response = client.get(f"/snapshots/{snapshot.number}/report.pdf?language=ko")
    if not poppler():
        pytest.skip("poppler-utils is not installed (make pdf-deps)")
    (tmp_path / "ko.pdf").write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "ko.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "위원회 헌장 개정" in text and "Revise the committee charter" not in text


def test_the_pdf_says_what_changed_since_the_previous_snapshot(
    client, report, coordinator, tmp_path
):
    client.force_login(coordinator)
    freeze_on_the_meeting(client, report)
    first = ActionItem.objects.get(key="item-00")
    workflow.change_status(
        item=first, to=Status.SUPERSEDED, by=coordinator, note="signed", now=timezone.now()
    )
    second = freeze_on_the_meeting(client, report)
    page = client.get(f"/snapshots/{second.number}/compare/?with={second.number - 1}")
    assert "item-00" in page.content.decode()
    if not poppler():
        pytest.skip("poppler-utils is not installed (make pdf-deps)")
    (tmp_path / "c.pdf").write_bytes(
        client.get(f"/snapshots/{second.number}/report.pdf?language=en").content
    )
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"from snapshot {second.number - 1} to snapshot {second.number}" in text
    assert "Closed (1)" in text


def test_csv_and_xlsx_hold_the_same_rows_with_formulas_neutralised(
    client, item_factory, source, coordinator
):
    item_factory("formula", title_en='=HYPERLINK("http://x")', title_ko="수식")
    snapshot = snapshots.freeze(
        request=snapshots.Request(
            scope=snapshots.Scope(kind=ScopeKind.SOURCE, source=source),
            edition=Edition.ALL,
            as_of=timezone.now(),
            zone=dt.UTC,
        ),
        by=coordinator,
        now=timezone.now(),
    )
    client.force_login(coordinator)
    text = client.get(f"/snapshots/{snapshot.number}/report.csv").content.decode("utf-8-sig")
    assert f"snapshot {snapshot.number}" in text and snapshot.sha256 in text
    assert "'=HYPERLINK" in text and "수식" in text
    book = load_workbook(
        io.BytesIO(client.get(f"/snapshots/{snapshot.number}/report.xlsx").content)
    )
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row if c]
    assert '\'=HYPERLINK("http://x")' in cells and "formula" in cells


@pytest.mark.parametrize(
    "suffix", ["", "report.pdf", "report.csv", "report.xlsx", "compare/?with=now"]
)
def test_a_snapshot_holding_an_item_someone_may_not_see_is_not_found_for_them(
    client, item_factory, source, coordinator, user_factory, suffix
):
    item_factory("us-eyes", marking=Marking.US_ONLY)
    snapshot = snapshots.freeze(
        request=snapshots.Request(
            scope=snapshots.Scope(kind=ScopeKind.SOURCE, source=source),
            edition=Edition.US,
            as_of=timezone.now(),
            zone=dt.UTC,
        ),
        by=coordinator,
        now=timezone.now(),
    )
    client.force_login(user_factory("reader"))
    assert client.get(f"/snapshots/{snapshot.number}/{suffix}").status_code == 404
    assert "us-eyes" not in client.get("/snapshots/").content.decode()
    client.force_login(coordinator)
    assert client.get(f"/snapshots/{snapshot.number}/{suffix}").status_code == 200


def test_freezing_from_the_list_page_takes_a_past_moment_and_a_filter(
    client, item_factory, source, coordinator
):
    item_factory("kept", title_en="Kept by the filter")
    item_factory("other", title_en="Something else")
    client.force_login(coordinator)
    response = client.post(
        "/snapshots/freeze/",
        {"freeze-scope": "", "freeze-edition": Edition.ALL, "query": "q=Kept"},
    )
    assert response.status_code == 302
    snapshot = Snapshot.objects.get()
    assert [r["key"] for r in snapshot.content["items"]] == ["kept"]
    assert snapshot.scope == ScopeKind.FILTER and snapshot.filter_query == "q=Kept"
    refused = client.post(
        "/snapshots/freeze/",
        {"freeze-scope": f"source:{source.key}", "freeze-edition": Edition.ALL,
         "freeze-as_of": "2999-01-01T00:00"},
    )  # fmt: skip
    assert refused.status_code == 400 and "still to come" in refused.content.decode()


def test_a_held_meetings_page_offers_its_frozen_reports(client, report, coordinator):
    client.force_login(coordinator)
    snapshot = freeze_on_the_meeting(client, report)
    meetings.hold(meeting=report, by=coordinator, now=timezone.now() + dt.timedelta(days=11))
    page = client.get(f"/meetings/{report.pk}/").content.decode()
    assert f"/snapshots/{snapshot.number}/" in page


@pytest.mark.parametrize(
    "path", ["/snapshots/99999999999999999999999/", "/meetings/99999999999999999999999/"]
)
def test_a_number_beyond_any_id_is_not_found(client, coordinator, path):
    client.force_login(coordinator)
    assert client.get(path).status_code == 404

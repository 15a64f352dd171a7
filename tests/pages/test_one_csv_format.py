"""The one CSV format (tracker/exports.py): both exports write the same bytes for the same filter,
in the reader's language and time zone, and the admin's import reads them back, Excel-saved
Korean included."""

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tracker.models import ActionItem, Profile, UpdateKind


@pytest.fixture
def two_exports(world, settings, kr_org):
    """The status pages' export and the admin's, for the same user."""
    settings.ADMIN_REQUIRE_OTP = False
    world.public.partner_organizations.set([kr_org])
    world.public.owner_role_en, world.public.owner_role_ko = "Export policy lead", "수출 정책 담당"
    world.public.title_en = "=HYPERLINK(1)"
    world.public.save()
    client = Client()
    client.force_login(world.coordinator)

    def both(pages_query: str, admin_query: str | None = None) -> tuple:
        """(pages' response, its bytes, admin's response, its bytes) for the same filter."""
        pages = client.get(f"/items/export.csv{pages_query}")
        admin_query = pages_query if admin_query is None else admin_query
        admin = client.get(f"/admin/tracker/actionitem/export/{admin_query}")
        assert pages.status_code == admin.status_code == 200
        return pages, b"".join(pages.streaming_content), admin, admin.content

    return client, both


@pytest.mark.parametrize("language", ["en", "ko"])
@pytest.mark.parametrize(
    ("pages_query", "admin_query"),
    [("", ""), ("?status=in_progress", "?status=in_progress"), ("?overdue=on", "?overdue=yes")],
)
def test_both_exports_of_the_same_filter_give_the_same_bytes(
    two_exports, language, pages_query, admin_query
):
    client, both = two_exports
    client.cookies["django_language"] = language
    pages, pages_bytes, admin, admin_bytes = both(pages_query, admin_query)
    assert pages_bytes == admin_bytes
    assert pages_bytes.startswith(b"\xef\xbb\xbf")  # a byte-order mark: Excel reads Korean
    assert b"'=HYPERLINK(1)" in pages_bytes  # the formula cell, neutralised
    assert pages_bytes.count(b"\r\n") > 1  # a header and rows
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo("America/New_York")).isoformat()
    for response in (pages, admin):
        assert response["Content-Disposition"] == f'attachment; filename="action-items-{today}.csv"'


def test_the_export_writes_local_times_and_the_readers_words(two_exports, world):
    client, both = two_exports
    world.public.last_update_at = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.UTC)
    world.public.save()
    Profile.objects.filter(user=world.coordinator).update(time_zone="Asia/Seoul", language="ko")
    _pages, body, _admin, _ = both("?status=in_progress")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (
        row["상태"] == "진행 중" and row["우선순위"] == "보통" and row["공개 범위"] == "모두 공개"
    )
    assert row["최근 갱신"] == "2026-12-04 11:00"  # Seoul time
    assert row["협력 기관"] == "방위사업청" and row["담당자 역할 (한국어)"] == "수출 정책 담당"


def excel_saves(data: bytes) -> bytes:
    """What Excel writes back when a Korean user opens the file and saves it as “CSV UTF-8”:
    a byte-order mark, CRLF line ends, quotes only where needed, and dates as it shows them."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    due = rows[0].index("기한")
    for row in rows[1:]:
        if row[due]:
            day = dt.date.fromisoformat(row[due])
            row[due] = f"{day.year}. {day.month}. {day.day}."
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def test_an_excel_style_korean_copy_of_the_export_imports_back(two_exports, world, kr_org):
    client, both = two_exports
    client.cookies["django_language"] = "ko"
    _pages, exported, _admin, _ = both("")
    unchanged = client.post(
        "/admin/tracker/actionitem/import/",
        {"format": "0", "import_file": SimpleUploadedFile("항목.csv", excel_saves(exported))},
    )
    result = unchanged.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert {row.import_type for row in result.valid_rows()} == {"skip"}  # read exactly

    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    header, public = rows[0], next(r for r in rows if r[0] == "public-item")
    public[header.index("제목 (한국어)")] = "수출 통제 조화 (개정)"
    public[header.index("우선순위")] = "높음"
    public[header.index("기한")] = "2027-08-31"
    public[header.index("협력 기관")] = "방위사업청; 미국 국방부"
    out = io.StringIO()
    csv.writer(out).writerows([header, public])
    preview = client.post(
        "/admin/tracker/actionitem/import/",
        {
            "format": "0",
            "import_file": SimpleUploadedFile(
                "항목.csv", excel_saves(out.getvalue().encode("utf-8"))
            ),
        },
    )
    assert "수출 통제 조화 (개정)" in preview.content.decode()
    form = preview.context["confirm_form"]
    client.post(
        "/admin/tracker/actionitem/process_import/",
        {name: form.initial.get(name, "") for name in form.fields},
    )
    item = ActionItem.objects.get(key="public-item")
    assert item.title_ko == "수출 통제 조화 (개정)" and item.priority == "high"
    assert item.due_date == dt.date(2027, 8, 31)
    assert item.title_en == "=HYPERLINK(1)"  # the apostrophe came off again
    assert {o.key for o in item.partner_organizations.all()} == {"dapa", "dod"}
    assert item.updates.first().kind == UpdateKind.IMPORT

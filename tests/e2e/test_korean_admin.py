"""A Korean coordinator walks the admin in Chromium at 1366 × 768: index, item list, item page (and
saves a due-date move with a note there), reminder log and a digest, import (upload, preview,
refused file) and history. On every page: no English word but proper names, keys and data (a
word counts as English when the English catalogues' messages use it), and nothing wider than
the window, the page or any box in it. Screenshots of each page go to test-artifacts/.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zoneinfo
from pathlib import Path

import django
import import_export
import pytest
import simple_history
from django.utils import timezone

from tests.conftest import KR_CLEARANCES, make_user
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.test_catalogue import CATALOGUE, read_catalogue
from tracker import exports, roles, workflow
from tracker.models import (
    ActionItem,
    Country,
    Organization,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderState,
    Source,
    Status,
    Theme,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WINDOW = {"width": 1366, "height": 768}
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
# Names that read the same in a Korean page: formats, standards and abbreviations.
PROPER = {"csv", "utf", "excel", "url", "id", "smtp", "iana", "csrf", "yyyy", "mm", "dd", "ctrl"}
WORD = re.compile(r"[A-Za-z][A-Za-z’']+")


def english_words() -> set[str]:
    """Every word of the English messages the admin's pages are made of: ours, Django's,
    django-import-export's and django-simple-history's."""
    site = Path(django.__file__).parent
    catalogues = [
        CATALOGUE,
        site / "contrib" / "admin" / "locale" / "ko" / "LC_MESSAGES" / "django.po",
        site / "conf" / "locale" / "ko" / "LC_MESSAGES" / "django.po",
        Path(import_export.__file__).parent / "locale" / "ko" / "LC_MESSAGES" / "django.po",
        Path(simple_history.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    ]
    words = set()
    for path in catalogues:
        for entry in read_catalogue(path):
            for text in (entry.msgid, entry.plural or ""):
                words |= {w.lower() for w in WORD.findall(re.sub(r"%\(\w+\)\w|%\w", " ", text))}
    return words - PROPER


def _data_texts(*, items, source, orgs, users, reminders) -> list[str]:
    """What the world holds that may stay English on a Korean page: the report's own words,
    keys, user names, addresses, and what people or mail servers wrote."""
    texts = [source.key, source.title_en, source.publisher, source.citation, source.author]
    for item in items:
        texts += [item.key, item.title_en, item.summary_en, item.excerpt, item.owner_role_en]
    texts += [org.key for org in orgs] + [org.name_en for org in orgs]
    for user in users:
        texts += [user.get_username(), user.email, user.get_username().upper()]
    for reminder in reminders:
        texts += [reminder.last_error, reminder.message_id]
    return sorted({t for t in texts if t}, key=len, reverse=True)


@pytest.fixture
def korean_world(db, tmp_path):
    """A Korean coordinator, a report with Korean names, items with a history, digests (one
    failed) and, ready before the browser starts, CSV files to import."""
    now = timezone.now()
    source = Source.objects.create(
        key="csis-dapa-2021",
        title_en="CSIS-DAPA conference summary",
        title_ko="CSIS-방위사업청 회의 요약",
        publisher="CSIS",
        author="Gregory Sanders",
        citation="Gregory Sanders, CSIS-DAPA conference summary (CSIS, 2022).",
        date=dt.date(2022, 12, 1),
    )
    theme = Theme.objects.create(
        source=source, key="g2g", title_en="Government cooperation", title_ko="정부 간 협력"
    )
    dapa = Organization.objects.create(
        key="dapa",
        name_en="Defense Acquisition Program Administration",
        name_ko="방위사업청",
        country=Country.KR,
    )
    mnd = Organization.objects.create(
        key="rok-mnd",
        name_en="ROK Ministry of National Defense",
        name_ko="대한민국 국방부",
        country=Country.KR,
    )
    coordinator = make_user(
        "kim-coord",
        role=roles.COORDINATORS,
        country=Country.KR,
        clearances=KR_CLEARANCES,
        time_zone="Asia/Seoul",
        language="ko",
        organization=dapa,
    )
    owner = make_user(
        "park-owner",
        role=roles.OWNERS,
        country=Country.KR,
        clearances=KR_CLEARANCES,
        time_zone="Asia/Seoul",
        language="ko",
        organization=dapa,
    )
    successor = make_user(
        "lee-owner",
        role=roles.OWNERS,
        country=Country.KR,
        clearances=KR_CLEARANCES,
        time_zone="Asia/Seoul",
        language="ko",
        organization=mnd,
    )
    items = [
        ActionItem.objects.create(
            key=f"rdp-mou-talks-{n}" if n else "rdp-mou-talks",
            source=source,
            theme=theme,
            title_en="Pursue talks on a reciprocal defense procurement MOU",
            title_ko="상호국방조달협정(RDP) 양해각서 체결 협의 추진",
            summary_en="Agree on the text of the agreement with DoD.",
            summary_ko="미 국방부와 협정문에 합의한다.",
            paragraph=12,
            excerpt="Korea and the United States should conclude an RDP agreement",
            lead_organization=dapa if n % 2 == 0 else mnd,
            owner_role_en="DAPA international cooperation lead",
            owner_role_ko="방위사업청 국제협력 담당",
            owner=owner,
            status=[Status.IN_PROGRESS, Status.BLOCKED, Status.NOT_STARTED][n % 3],
            due_date=dt.date(2027, 3, 31) if n else dt.date(2026, 1, 31),
        )
        for n in range(12)
    ]
    item = items[0]
    item.partner_organizations.set([mnd])
    item.co_owners.set([successor])
    workflow.change_status(
        item=item, to=Status.BLOCKED, by=owner, note="부처 간 협의를 기다립니다.", now=now
    )
    item.due_date = dt.date(2027, 6, 30)
    workflow.save_edit(
        item=item,
        by=coordinator,
        expected_version=item.version,
        now=now,
        note="협의 일정이 늦어졌습니다.",
    )
    workflow.reassign_owner(
        item=item,
        owner=successor,
        by=coordinator,
        now=now,
        role=("MND policy office", "국방부 정책실"),
    )
    sent = Reminder.objects.create(
        recipient=successor,
        local_date=timezone.localdate(now, SEOUL),
        created_at=now,
        state=ReminderState.SENT,
        sent_at=now,
        attempts=1,
        message_id="<20261204.1@tracker.example.org>",
    )
    failed = Reminder.objects.create(
        recipient=owner,
        local_date=timezone.localdate(now, SEOUL) - dt.timedelta(days=1),
        created_at=now,
        state=ReminderState.FAILED,
        attempts=8,
        last_error="421 4.7.0 mail.example.org Service not available, closing channel",
    )
    for reminder in (sent, failed):
        ReminderItem.objects.create(reminder=reminder, item=item, kind=ReminderKind.OVERDUE)
    return {
        "item": item,
        "reminder": failed,
        "data": _data_texts(
            items=items,
            source=source,
            orgs=[dapa, mnd],
            users=[coordinator, owner, successor],
            reminders=[sent, failed],
        ),
        # Not the item the walk edits: its version in the file would be stale by then.
        "good_file": _excel_copy(items[1:], changed_title="상호국방조달협정 양해각서 협의 (수정)"),
        "bad_file": _excel_copy(items[1:], theme="없는-주제"),
    }


def _excel_copy(items, *, changed_title: str = "", theme: str = "") -> bytes:
    """The Korean export of `items`, changed and saved again as Excel saves “CSV UTF-8”."""
    queryset = ActionItem.objects.filter(pk__in=[i.pk for i in items]).order_by("key")
    text = "".join(
        exports.csv_lines(queryset, link_for=lambda i: "", language="ko", tz=SEOUL)
    ).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    if changed_title:
        rows[1][header.index("제목 (한국어)")] = changed_title
    if theme:
        rows[2][header.index("주제")] = theme
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@pytest.fixture
def korean_page(korean_world, settings):
    if not Path(CHROMIUM).exists():
        from tests.conftest import in_ci

        reason = f"Chromium is not installed at {CHROMIUM} (run `make browser-deps`)"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    settings.ADMIN_REQUIRE_OTP = False
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # A browser in Seoul: the admin's date widgets compare its clock with the user's zone.
        context = browser.new_context(viewport=WINDOW, locale="ko-KR", timezone_id="Asia/Seoul")
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


# Boxes a reader would have to scroll sideways: their content is wider than they are.
SCROLLING_BOXES = """() => [...document.querySelectorAll('body *')].filter(el => {
    const x = getComputedStyle(el).overflowX;
    return (x === 'auto' || x === 'scroll') && el.scrollWidth > el.clientWidth + 1;
}).map(el => `${el.id || el.className || el.tagName} ${el.scrollWidth} > ${el.clientWidth}`)"""


class Walk:
    """Checks each page the walk opens, and keeps its screenshot."""

    def __init__(self, page, data: list[str]):
        self.page, self.data, self.english = page, data, english_words()
        self.problems: list[str] = []
        ARTIFACTS.mkdir(exist_ok=True)

    def check(self, name: str) -> str:
        page = self.page
        page.screenshot(path=str(ARTIFACTS / f"admin-ko-{name}.png"), full_page=True)
        text = page.locator("body").inner_text()
        left = text
        for datum in self.data:
            left = left.replace(datum, " ")
        found = sorted({w for w in WORD.findall(left) if w.lower() in self.english})
        if found:
            self.problems.append(f"{name}: English words {found}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WINDOW["width"]:
            self.problems.append(f"{name}: the page is {width} px wide")
        scrolling = page.evaluate(SCROLLING_BOXES)
        if scrolling:
            self.problems.append(f"{name}: scrolls sideways inside {scrolling}")
        return text


def test_a_korean_coordinator_walks_the_admin_in_korean_at_1366_by_768(
    live_server, korean_world, korean_page
):
    page, base, item = korean_page, live_server.url, korean_world["item"]
    walk = Walk(page, korean_world["data"])
    page.goto(f"{base}/admin/login/")
    walk.check("login")
    page.locator("#id_username").fill("kim-coord")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.get_by_role("heading", name="조정").wait_for()
    assert "조치 항목" in walk.check("index")

    page.goto(f"{base}/admin/tracker/actionitem/")
    listing = walk.check("item-list")
    assert "상호국방조달협정(RDP) 양해각서 체결 협의 추진" in listing and "lee-owner" in listing

    page.goto(f"{base}/admin/tracker/actionitem/{item.pk}/change/")
    text = walk.check("item-page")
    assert "담당자 변경" in text and "park-owner → lee-owner" in text
    assert "2026년 1월 31일 → 2027년 6월 30일" in text  # the due-date move, in Korean dates
    # A due-date move with its reason, typed in the timeline box, saved by the one Save button.
    page.locator("#id_due_date").fill("2027-07-31")
    page.locator("#id_note").fill("국회 일정으로 한 달 늦춥니다.")
    page.locator("input[name=_continue]").click()
    page.locator(".messagelist").wait_for()
    timeline = page.locator(".item-timeline").inner_text()
    assert "2027년 6월 30일 → 2027년 7월 31일" in timeline
    assert "국회 일정으로 한 달 늦춥니다." in timeline and "kim-coord" in timeline
    walk.check("item-page-saved")

    page.goto(f"{base}/admin/tracker/actionitem/{item.pk}/history/")
    assert "변경 이력" in walk.check("history")

    page.goto(f"{base}/admin/tracker/reminder/")
    log = walk.check("reminder-log")
    assert "Service not available, closing channel" in log  # the whole error, wrapped
    page.goto(f"{base}/admin/tracker/reminder/{korean_world['reminder'].pk}/change/")
    walk.check("digest")

    page.goto(f"{base}/admin/tracker/actionitem/import/")
    walk.check("import")
    upload(page, korean_world["bad_file"])
    assert "없는-주제" in walk.check("import-refused")
    page.goto(f"{base}/admin/tracker/actionitem/import/")
    upload(page, korean_world["good_file"])
    preview = walk.check("import-preview")
    assert "상호국방조달협정 양해각서 협의 (수정)" in preview
    page.get_by_role("button", name="확인", exact=True).click()
    page.locator(".messagelist").wait_for()
    walk.check("import-done")

    assert walk.problems == [], "\n".join(walk.problems)


def upload(page, data: bytes) -> None:
    page.locator("#id_import_file").set_input_files(
        {"name": "조치항목.csv", "mimeType": "text/csv", "buffer": data}
    )
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()

"""Working together on an item, in a real browser (Playwright, Debian's Chromium, a live server).

The reviewed closure end to end: the owner claims implementation with a file of evidence, a
coordinator of the same country cannot accept it and returns it with a note, the owner adds
evidence and claims again, a coordinator of the other country accepts it (in Korean); the
timeline shows each step. Then a comment whose @mention is picked from the suggestions, and
the settings page. Screenshots go to test-artifacts/; with UPDATE_SCREENSHOTS=1 to docs/images/,
which docs/collaboration.md shows (commit them then).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD
from tests.support.db import restore_role_groups
from tracker import roles
from tracker.models import Marking, Status

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / ("docs/images" if os.environ.get("UPDATE_SCREENSHOTS") else "test-artifacts")

pytestmark = [
    pytest.mark.browser,
    # The live server reads the database from another thread. Not serialized_rollback: after the
    # sign-in tests' flushes its saved rows clash; the role groups are made here instead.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def team(transactional_db, user_factory, item_factory, settings):
    restore_role_groups()
    ContentType.objects.clear_cache()
    settings.REVIEW_REQUIRE_OTHER_COUNTRY = True
    people = {
        "owner": user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES),
        "us-coord": user_factory("us-coord", role=roles.COORDINATORS, clearances=US_CLEARANCES),
        "kr-coord": user_factory(
            "kr-coord",
            role=roles.COORDINATORS,
            country="KR",
            clearances=KR_CLEARANCES,
            time_zone="Asia/Seoul",
            language="ko",
        ),  # fmt: skip
        "kr-reader": user_factory("kr-reader", country="KR", clearances=KR_CLEARANCES),
    }
    item_factory(
        "defense-mou",
        title_en="Sign the reciprocal defense procurement MOU",
        title_ko="국방 상호조달 양해각서 서명",
        marking=Marking.US_KR,
        owner=people["owner"],
        status=Status.IN_PROGRESS,
        due_date=timezone.localdate() + timezone.timedelta(days=20),
    )
    return people


@pytest.fixture
def browser(team):
    """Chromium, started once the test's data exists (see tests/e2e/test_browser.py)."""
    if not Path(CHROMIUM).exists():
        from tests.conftest import in_ci

        if in_ci():
            pytest.fail(f"Chromium is not installed at {CHROMIUM}")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (run `make browser-deps`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in(browser, base: str, username: str):
    """A page in a browser context of its own, signed in as `username`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_errors = []
    page.on(
        "console",
        lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text),
    )
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/")
    return page


def a_pdf(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7\n% " + name.encode() + b"\n%%EOF")
    return str(path)


def timeline_kinds(page) -> list[str]:
    return [t.strip() for t in page.locator("ol.timeline > li > p.meta strong").all_inner_texts()]


def test_a_claim_is_returned_completed_and_accepted_by_the_other_country(
    live_server, team, browser, tmp_path
):
    IMAGES.mkdir(parents=True, exist_ok=True)
    base, item_url = live_server.url, f"{live_server.url}/items/defense-mou/"

    owner = signed_in(browser, base, "us-owner")
    owner.goto(item_url)
    claim = owner.locator("form[action$='/claim/']")
    claim.get_by_label("What was done").fill("The MOU was signed on 3 December.")
    claim.get_by_label("File").set_input_files(a_pdf(tmp_path, "mou-unsigned.pdf"))
    claim.get_by_role("button", name="Claim implemented").click()
    owner.get_by_text("Implementation claimed.").wait_for()
    assert "Implementation claimed" in owner.locator(".badges").inner_text()

    us_coord = signed_in(browser, base, "us-coord")
    us_coord.goto(item_url)
    panel = us_coord.locator("#review-section")
    assert "A coordinator of the other country accepts this claim." in panel.inner_text()
    assert panel.get_by_role("button", name="Accept: close as implemented").count() == 0
    panel.get_by_label("Note").fill("The copy is unsigned: attach the signed one.")
    panel.screenshot(path=str(IMAGES / "review-return.png"))
    panel.get_by_role("button", name="Return it with the note").click()
    us_coord.get_by_text("Claim returned.").wait_for()

    owner.goto(item_url)
    add = owner.locator("form[action$='/evidence/']")
    add.get_by_label("File").set_input_files(a_pdf(tmp_path, "mou-signed.pdf"))
    add.get_by_label("Note (optional)").fill("Signed copy, both seals.")
    add.get_by_role("button", name="Add evidence").click()
    owner.get_by_text("Evidence added.").wait_for()
    claim = owner.locator("form[action$='/claim/']")
    claim.get_by_label("What was done").fill("Signed copy attached.")
    claim.get_by_role("button", name="Claim implemented").click()
    owner.get_by_text("Implementation claimed.").wait_for()

    kr_coord = signed_in(browser, base, "kr-coord")
    kr_coord.goto(item_url)
    evidence = kr_coord.locator("#evidence-section").inner_text()
    assert "mou-signed.pdf" in evidence and "SHA-256" in evidence
    kr_coord.get_by_role("button", name="승인: 이행 완료로 종결").click()
    kr_coord.get_by_text("이행 주장을 승인했습니다.").wait_for()
    kr_coord.screenshot(path=str(IMAGES / "review-accepted-ko.png"), full_page=True)

    owner.goto(item_url)
    assert "Implemented" in owner.locator(".badges").inner_text()
    assert timeline_kinds(owner) == [
        "Claim accepted",
        "Implementation claimed",
        "Evidence added",
        "Claim returned",
        "Implementation claimed",
    ]
    timeline = owner.locator("ol.timeline").inner_text()
    assert "The copy is unsigned: attach the signed one." in timeline
    assert "mou-unsigned.pdf" in timeline and "mou-signed.pdf" in timeline
    owner.locator("#timeline-section").screenshot(path=str(IMAGES / "review-timeline.png"))
    for page in (owner, us_coord, kr_coord):
        assert page.csp_errors == []


def test_a_comment_mentions_someone_picked_from_the_suggestions(live_server, team, browser):
    IMAGES.mkdir(parents=True, exist_ok=True)
    owner = signed_in(browser, live_server.url, "us-owner")
    owner.goto(f"{live_server.url}/items/defense-mou/")
    box = owner.get_by_role("textbox", name="Comment")
    box.click()
    box.type("Draft is ready for **review**, @kr-r")
    choice = owner.locator("#mention-choices [role=option]")
    choice.first.wait_for()
    assert choice.all_inner_texts() == ["@kr-reader"]  # kr-coord's name starts otherwise
    owner.locator("form[action$='/comment/']").screenshot(path=str(IMAGES / "comment-mention.png"))
    box.press("Enter")
    assert box.input_value() == "Draft is ready for **review**, @kr-reader "
    owner.get_by_role("button", name="Post comment").click()
    owner.get_by_text("Comment posted.").wait_for()
    comment = owner.locator("ol.timeline .comment").first
    assert comment.locator("strong").inner_text() == "review"
    assert comment.locator(".mention").inner_text() == "@kr-reader"
    assert owner.get_by_role("button", name="Stop following").count() == 1  # the author follows
    owner.goto(f"{live_server.url}/settings/")
    owner.screenshot(path=str(IMAGES / "settings.png"), full_page=True)
    assert owner.csp_errors == []

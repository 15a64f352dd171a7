"""End to end in a real browser: Playwright drives Debian's Chromium against a live server.

Signs in, filters the list, opens an item, posts an update and sees it in the timeline, switches
to Korean and sees Korean labels, and saves screenshots of the dashboard in both languages under
test-artifacts/. Skipped when Chromium is missing, except in CI (CI=true), where that fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import in_ci

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery"  # tests.conftest.make_user's

pytestmark = [
    pytest.mark.browser,
    # The live server reads the database from another thread; restore the roles' groups after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser(world):
    """Chromium, started after the test's data exists: while Playwright's sync API runs, this
    thread has an event loop, and the test body stays off the database (the page shows it)."""
    if not Path(CHROMIUM).exists():
        reason = f"Chromium is not installed at {CHROMIUM} (run `make browser-deps`)"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.csp_errors = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_errors.append(message.text)
        ),
    )
    yield page
    context.close()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_an_owner_filters_opens_updates_and_reads_it_in_korean(live_server, world, page):
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    sign_in(page, base, "owner")
    page.screenshot(path=str(ARTIFACTS / "dashboard-en.png"), full_page=True)
    assert page.get_by_role("heading", name="Status by theme").is_visible()

    page.get_by_role("link", name="Items", exact=True).click()
    page.get_by_label("Search").fill("export controls")
    page.get_by_label("In progress").check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/items/?*q=export+controls*")
    rows = page.locator("table.items tbody tr")
    assert rows.count() == 1

    page.get_by_role("link", name="Harmonise export controls").click()
    page.get_by_role("heading", name="Harmonise export controls").wait_for()
    page.get_by_role("textbox", name="Progress update").fill("Draft text agreed with DAPA")
    page.get_by_role("button", name="Post update").click()
    page.get_by_text("Update posted.").wait_for()  # the page was reloaded from the database
    timeline = page.locator("ol.timeline")
    assert "Draft text agreed with DAPA" in timeline.inner_text()

    page.get_by_role("button", name="한국어").click()
    page.get_by_role("heading", name="진행 경과").wait_for()
    assert page.locator("html").get_attribute("lang") == "ko"
    assert page.get_by_role("heading", name="진행 상황 게시").is_visible()
    assert page.get_by_role("heading", name="수출 통제 조화").is_visible()

    page.get_by_role("link", name="대시보드").click()
    page.get_by_role("heading", name="주제별 상태").wait_for()
    page.screenshot(path=str(ARTIFACTS / "dashboard-ko.png"), full_page=True)
    assert page.csp_errors == []
    assert os.path.getsize(ARTIFACTS / "dashboard-ko.png") > 10_000

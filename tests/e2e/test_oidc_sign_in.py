"""Signing in through the organization's identity provider, in a real browser.

Chromium (Playwright) signs in at a real OpenID Connect provider (npm's oidc-provider, a separate
node process on loopback: tests/support/oidc.py) and comes back to the live tracker. The first
sign-in makes the account from the claims; a change at the provider shows at the next sign-in;
signing out ends the provider's session too; staff whose provider asserts multi-factor reach the
admin without the tracker's code; a forged state or an ID token for another audience is refused
with a page that says so, and nothing is created. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections

from tests.conftest import in_ci
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.support.oidc import LABEL, claims_of
from tracker import roles
from tracker.models import ExternalIdentity, Marking, Profile

pytestmark = pytest.mark.browser  # the database: transactional, through the `oidc` fixture
TITLES = {  # marking -> (English, Korean) title of one item
    Marking.KR_ONLY: ("Shipyard maintenance pact", "조선소 정비 협정"),
    Marking.US_ONLY: ("Export licence review", "수출 허가 검토"),
    Marking.US_KR: ("Joint supply chain map", "공동 공급망 지도"),
}


@pytest.fixture
def items(oidc, item_factory, kr_org):
    for marking, (english, korean) in TITLES.items():
        item_factory(f"item-{marking}", marking=marking, title_en=english, title_ko=korean)


@pytest.fixture
def browser(items, oidc):
    """Chromium, started after the data exists; the test body reads the database through
    from_database()."""
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
    context = browser.new_context(viewport={"width": 1100, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def from_database(read, *args):
    """read(*args) in a plain thread, its connection closed after: on this thread Playwright's
    sync API keeps an event loop, where Django refuses (or leaks) database connections."""

    def run():
        try:
            return read(*args)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def account_of(email: str) -> dict:
    user = User.objects.get(email=email)
    profile = Profile.objects.select_related("organization").get(user=user)
    return {
        "name": user.get_full_name(),
        "staff": user.is_staff,
        "roles": set(user.groups.values_list("name", flat=True)),
        "profile": (profile.country, profile.language, profile.time_zone, profile.organization.key),
        "clearances": (profile.may_see_us_only, profile.may_see_kr_only, profile.may_see_us_kr),
        "providers": list(
            ExternalIdentity.objects.filter(user=user).values_list("provider", flat=True)
        ),
        "accounts": User.objects.count(),
    }


def nothing_created() -> bool:
    return not User.objects.exists() and not ExternalIdentity.objects.exists()


def at_provider(page, login: str) -> None:
    """On the provider's own page: who signs in."""
    page.get_by_label("Account").fill(login)
    page.get_by_role("button", name="Continue").click()


def sign_in(page, base: str, login: str, *, start: str = "/accounts/login/") -> None:
    page.goto(base + start)
    page.locator("a.sign-in-provider").click()
    at_provider(page, login)


def item_titles(page, base: str) -> str:
    page.goto(f"{base}/items/")
    return page.locator("table.items").inner_text()


def test_the_first_sign_in_makes_the_account_and_the_next_follows_the_provider(
    live_server, oidc, page
):
    base = live_server.url
    oidc.set_account(
        "minji",
        **claims_of(
            "minji",
            name="Kim Minji",
            locale="ko-KR",
            zoneinfo="Asia/Seoul",
            country="KR",
            organization="dapa",
            groups=["readers"],
            clearances=["kr-only", "us-kr"],
        ),
    )
    page.goto(f"{base}/accounts/login/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sign-in-with-provider.png"))
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    at_provider(page, "minji")
    page.get_by_role("heading", name="대시보드").wait_for()  # the claimed language: Korean
    assert page.locator("html").get_attribute("lang") == "ko"
    assert "Asia/Seoul" in page.locator("footer").inner_text()
    shown = item_titles(page, base)
    assert "조선소 정비 협정" in shown and "공동 공급망 지도" in shown
    assert "수출 허가 검토" not in shown  # U.S. only: not cleared

    account = from_database(account_of, "minji@example.org")
    assert account["profile"] == ("KR", "ko", "Asia/Seoul", "dapa")
    assert account["name"] == "Kim Minji" and account["roles"] == {roles.READERS}
    assert account["clearances"] == (False, True, True) and account["providers"] == ["test"]

    # The provider changes her claims: coordinator now, English, cleared for U.S.-ROK only.
    oidc.set_account(
        "minji",
        **claims_of(
            "minji",
            name="Kim Minji",
            locale="en",
            zoneinfo="Asia/Seoul",
            country="KR",
            organization="dapa",
            groups=["coordinators"],
            clearances=["us-kr"],
        ),
    )
    page.get_by_role("button", name="로그아웃").click()  # signs out at the provider too
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(re.escape(f"{base}/accounts/login/")))  # with the provider's state
    sign_in(page, base, "minji")  # the provider asks again: its session ended
    page.get_by_role("heading", name="Dashboard").wait_for()
    assert page.get_by_role("link", name="Admin").is_visible()
    shown = item_titles(page, base)
    assert "Joint supply chain map" in shown and "Shipyard maintenance pact" not in shown

    account = from_database(account_of, "minji@example.org")
    assert account["staff"] and account["roles"] == {roles.COORDINATORS}
    assert account["profile"][1] == "en" and account["clearances"] == (False, False, True)
    assert account["accounts"] == 1

    # The provider asserted a password only: the admin still asks for the tracker's own code.
    page.goto(f"{base}/admin/")
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()


def test_staff_whose_provider_asserts_multi_factor_reach_the_admin_without_a_code(
    live_server, oidc, page, settings
):
    settings.ADMIN_REQUIRE_OTP = True
    oidc.set_account(
        "jsmith", amr=("pwd", "otp", "mfa"), **claims_of("jsmith", groups=["coordinators"])
    )
    base = live_server.url
    page.goto(f"{base}/admin/")
    page.get_by_role("link", name=f"Sign in with {LABEL}").click()
    at_provider(page, "jsmith")
    page.get_by_role("heading", name="Coordination").wait_for()
    assert page.url == f"{base}/admin/"
    page.screenshot(path=str(ARTIFACTS / "admin-after-provider-mfa.png"))


def test_a_forged_state_is_refused_and_creates_nothing(live_server, oidc, page):
    oidc.set_account("minji", **claims_of("minji"))

    def forge(route):  # the way to the provider, with its state changed on the way
        response = route.fetch(max_redirects=0)
        to_provider = re.sub(r"state=[^&]+", "state=forged", response.headers["location"])
        route.fulfill(response=response, headers={**response.headers, "location": to_provider})

    page.route(re.compile(r".*/accounts/oidc/test/login/.*"), forge)
    sign_in(page, live_server.url, "minji")
    page.get_by_role("heading", name="Not signed in").wait_for()
    assert "was not started here" in page.get_by_role("alert").inner_text()
    assert from_database(nothing_created)


def test_an_id_token_for_another_audience_is_refused_and_creates_nothing(live_server, oidc, page):
    oidc.set_account("minji", **claims_of("minji"))
    oidc.misbehave("audience")
    sign_in(page, live_server.url, "minji")
    page.get_by_role("heading", name="Not signed in").wait_for()
    assert "could not be verified" in page.get_by_role("alert").inner_text()
    page.screenshot(path=str(ARTIFACTS / "sign-in-refused.png"))
    assert from_database(nothing_created)

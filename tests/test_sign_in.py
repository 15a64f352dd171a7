"""Signing in through a real OpenID Connect provider (tests/support/oidc.py), over HTTP with
`requests` against the live server: what the browser tests (tests/e2e/test_oidc_sign_in.py) do
not need to show. Every failed check gets a page that says why and creates nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.test import Client

from tests.conftest import make_user
from tests.support.oidc import LABEL, NAME, claims_of, provider_entry, sign_in_over_http
from tracker.models import ExternalIdentity


def nothing_created() -> bool:
    return not User.objects.exists() and not ExternalIdentity.objects.exists()


def test_a_sign_in_lands_on_the_page_asked_for_with_the_account_made(oidc, live_server):
    oidc.set_account("minji", **claims_of("minji"))
    page = sign_in_over_http(
        requests.Session(), site_url=live_server.url, login="minji", next_url="/items/"
    )
    assert page.status_code == 200 and urlsplit(page.url).path == "/items/"
    assert User.objects.get(email="minji@example.org").external_identities.count() == 1


@pytest.mark.parametrize("mode", ["nonce", "signature", "audience"])
def test_an_id_token_that_fails_a_check_is_refused_and_creates_nothing(oidc, live_server, mode):
    oidc.set_account("minji", **claims_of("minji"))
    oidc.misbehave(mode)
    page = sign_in_over_http(requests.Session(), site_url=live_server.url, login="minji")
    assert page.status_code == 400
    assert "could not be verified" in page.text and "Not signed in" in page.text
    assert nothing_created()


def test_a_callback_used_twice_is_refused_the_second_time(oidc, live_server):
    oidc.set_account("minji", **claims_of("minji"))
    browser = requests.Session()
    to_callback = sign_in_over_http(
        browser, site_url=live_server.url, login="minji", stop_at_callback=True
    )
    callback = to_callback.headers["location"]
    assert browser.get(callback, timeout=30).status_code == 200  # signed in, on the dashboard
    replayed = browser.get(callback, timeout=30)
    assert replayed.status_code == 400 and "already used" in replayed.text


def test_a_refusal_is_explained_in_korean_to_a_korean_reader(oidc, live_server):
    oidc.set_account("minji", **claims_of("minji"))
    browser = requests.Session()
    browser.cookies.set("django_language", "ko")
    to_callback = sign_in_over_http(
        browser, site_url=live_server.url, login="minji", stop_at_callback=True
    )
    tampered = re.sub(r"state=[^&]+", "state=forged", to_callback.headers["location"])
    page = browser.get(tampered, timeout=30)
    assert page.status_code == 400 and 'lang="ko"' in page.text
    assert "로그인되지 않았습니다" in page.text and "로그인 페이지로 돌아가기" in page.text
    assert nothing_created()


def test_an_error_answered_by_the_provider_is_shown_with_its_reason(oidc, live_server):
    browser = requests.Session()
    started = browser.get(
        f"{live_server.url}/accounts/oidc/{NAME}/login/", allow_redirects=False, timeout=30
    )
    state = parse_qs(urlsplit(started.headers["location"]).query)["state"][0]
    page = browser.get(
        f"{live_server.url}/accounts/oidc/{NAME}/callback/",
        params={"error": "access_denied", "state": state},
        timeout=30,
    )
    assert page.status_code == 400
    assert f"{LABEL} did not sign you in" in page.text and "access_denied" in page.text


def test_an_answer_naming_another_issuer_is_refused(oidc, live_server):
    oidc.set_account("minji", **claims_of("minji"))
    browser = requests.Session()
    to_callback = sign_in_over_http(
        browser, site_url=live_server.url, login="minji", stop_at_callback=True
    )
    callback = to_callback.headers["location"]
    assert f"iss={requests.utils.quote(oidc.issuer, safe='')}" in callback  # it names itself
    mixed_up = re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fidp.example.net", callback)
    page = browser.get(mixed_up, timeout=30)
    assert page.status_code == 400 and "could not be verified" in page.text
    assert nothing_created()


def test_a_provider_requiring_a_role_refuses_an_account_without_one(oidc, live_server, settings):
    settings.OIDC_PROVIDERS = [oidc.settings_entry(require_role=True)]
    oidc.set_account("guest", **claims_of("guest", groups=["cafeteria"]))
    page = sign_in_over_http(requests.Session(), site_url=live_server.url, login="guest")
    assert page.status_code == 403 and "does not give you a role" in page.text
    assert nothing_created()


def _csrf_post(browser: requests.Session, url: str, page_url: str) -> requests.Response:
    page = browser.get(page_url, timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(
        url,
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": page_url},
        allow_redirects=False,
        timeout=30,
    )


def test_signing_out_ends_the_provider_session_too(oidc, live_server):
    oidc.set_account("minji", **claims_of("minji"))
    browser, base = requests.Session(), live_server.url
    sign_in_over_http(browser, site_url=base, login="minji")
    left = _csrf_post(browser, f"{base}/accounts/logout/", f"{base}/")
    end_session = left.headers["location"]
    assert end_session.startswith(f"{oidc.issuer}/session/end")
    query = parse_qs(urlsplit(end_session).query)
    assert query["post_logout_redirect_uri"] == [f"{base}/accounts/login/"]
    assert query["id_token_hint"]
    confirm = browser.get(end_session, timeout=30)  # the provider asks: sign out there too?
    form = re.search(r'<form[^>]*action="([^"]+)"', confirm.text).group(1)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', confirm.text))
    back = browser.post(
        requests.compat.urljoin(confirm.url, form), data={**fields, "logout": "yes"}, timeout=30
    )
    assert urlsplit(back.url).path == "/accounts/login/"
    assert browser.get(f"{base}/", allow_redirects=False, timeout=30).status_code == 302
    again = browser.get(f"{base}/accounts/oidc/{NAME}/login/", timeout=30)
    assert 'name="login"' in again.text  # the provider asks who you are again


@pytest.mark.parametrize(("amr", "reaches_admin"), [(["pwd", "mfa"], True), (["pwd"], False)])
def test_staff_skip_the_tracker_code_only_when_the_provider_asserts_multi_factor(
    oidc, live_server, settings, amr, reaches_admin
):
    settings.ADMIN_REQUIRE_OTP = True
    oidc.set_account("coord", amr=tuple(amr), **claims_of("coord", groups=["coordinators"]))
    browser = requests.Session()
    sign_in_over_http(browser, site_url=live_server.url, login="coord")
    admin = browser.get(f"{live_server.url}/admin/", allow_redirects=False, timeout=30)
    if reaches_admin:
        assert admin.status_code == 200 and "Coordination" in admin.text
        left = _csrf_post(browser, f"{live_server.url}/admin/logout/", f"{live_server.url}/admin/")
        assert left.headers["location"].startswith(f"{oidc.issuer}/session/end")
    else:
        assert admin.status_code == 302 and "/admin/two-factor/" in admin.headers["location"]


def test_an_unreachable_provider_gets_a_clear_page(db, settings):
    settings.OIDC_PROVIDERS = [provider_entry("http://127.0.0.1:9")]  # nothing listens there
    page = Client().get(f"/accounts/oidc/{NAME}/login/")
    assert page.status_code == 502
    assert f"{LABEL} cannot be reached just now" in page.content.decode()


def test_an_unknown_provider_is_not_found(db, settings):
    settings.OIDC_PROVIDERS = [provider_entry("http://127.0.0.1:9")]
    assert Client().get("/accounts/oidc/nobody/login/").status_code == 404
    assert Client().get("/accounts/oidc/nobody/callback/?code=x&state=y").status_code == 404


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/?next=/admin/"])
def test_both_login_pages_offer_the_provider_unless_turned_off(db, settings, path):
    settings.OIDC_PROVIDERS = [provider_entry("http://127.0.0.1:9")]
    shown = Client().get(path).content.decode()
    assert f"Sign in with {LABEL}" in shown and f"/accounts/oidc/{NAME}/login/" in shown
    assert 'name="password"' in shown  # beside the password form
    settings.OIDC_LOGIN_BUTTONS = False
    assert f"Sign in with {LABEL}" not in Client().get(path).content.decode()


@pytest.mark.parametrize(
    ("path", "post_to"),
    [("/accounts/login/", "/accounts/login/"), ("/admin/login/?next=/admin/", "/admin/login/")],
)
def test_with_password_sign_in_off_only_the_provider_signs_in(db, settings, path, post_to):
    settings.OIDC_PROVIDERS = [provider_entry("http://127.0.0.1:9")]
    settings.PASSWORD_SIGN_IN = False
    make_user("coordinator", role="Coordinators")
    shown = Client().get(path).content.decode()
    assert f"Sign in with {LABEL}" in shown
    assert 'name="password"' not in shown and "or with your tracker password" not in shown
    browser = Client()
    posted = {"username": "coordinator", "password": "correct-horse-battery", "next": "/"}
    browser.post(post_to, posted)
    assert "_auth_user_id" not in browser.session  # the right password signs nobody in


def test_password_sign_in_off_without_a_provider_button_does_not_start():
    env = {**os.environ, "PASSWORD_SIGN_IN": "0", "OIDC_PROVIDERS": ""}
    run = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert "PASSWORD_SIGN_IN=0 needs a provider in OIDC_PROVIDERS" in run.stderr

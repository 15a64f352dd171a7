"""Security baseline: headers, cookies, CSRF, login throttling that cannot lock everyone out
(behind a proxy too). More in tests/security/: CSRF on every URL, production settings, CR/LF."""

import pytest
from django.test import Client

from tracker import roles


@pytest.fixture
def account(user_factory):
    return user_factory("alice", role=roles.READERS)


def login(client: Client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def test_pages_send_a_content_security_policy_without_inline_script(client, db):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_session_and_csrf_cookies_are_httponly_and_samesite(client, account):
    response = login(client, "alice", "correct-horse-battery")
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"]
    assert session["samesite"] == "Lax"


def test_a_login_post_without_the_csrf_token_is_refused(account):
    client = Client(enforce_csrf_checks=True)
    response = login(client, "alice", "correct-horse-battery")
    assert response.status_code == 403


def test_repeated_failures_lock_that_username_from_that_address_only(client, account, user_factory):
    user_factory("bob", role=roles.READERS)
    for _ in range(5):
        login(client, "alice", "wrong-password")
    locked = login(Client(), "alice", "correct-horse-battery")
    assert locked.status_code == 429
    # Someone else behind the same address still signs in,
    assert login(Client(), "bob", "correct-horse-battery").status_code == 302
    # and so does alice from another address.
    assert login(Client(), "alice", "correct-horse-battery", ip="10.0.0.2").status_code == 302


def test_weak_passwords_are_refused(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password123", "12345678901", "short"):
        with pytest.raises(ValidationError):
            validate_password(weak)


def test_sessions_expire(settings):
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


# --- Login throttling behind a proxy --------------------------------------------------------------

PROXY = "10.9.9.9"  # the reverse proxy in front of the web processes


def login_via_proxy(client: Client, username: str, password: str, forwarded: str):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1  # AXES_PROXY_COUNT=1 in the environment


def test_behind_a_proxy_a_lockout_of_one_client_does_not_lock_another(account, one_proxy):
    for _ in range(5):
        login_via_proxy(Client(), "alice", "wrong-password", "203.0.113.5")
    assert login_via_proxy(
        Client(), "alice", "correct-horse-battery", "203.0.113.5"
    ).status_code == (429)
    # alice at another address behind the same proxy is not locked out.
    good = login_via_proxy(Client(), "alice", "correct-horse-battery", "198.51.100.7")
    assert good.status_code == 302


def test_behind_a_proxy_a_made_up_forwarded_entry_does_not_dodge_a_lockout(account, one_proxy):
    for n in range(5):
        # The client writes the left part; the proxy appends the address it saw.
        login_via_proxy(Client(), "alice", "wrong-password", f"192.0.2.{n}, 203.0.113.5")
    retry = login_via_proxy(Client(), "alice", "correct-horse-battery", "192.0.2.99, 203.0.113.5")
    assert retry.status_code == 429


def test_without_a_proxy_the_forwarded_header_is_ignored(account, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        login_via_proxy(Client(), "alice", "wrong-password", f"203.0.113.{n}")
    # Every attempt came from the proxy's own address, whatever the header said.
    assert login_via_proxy(
        Client(), "alice", "correct-horse-battery", "198.51.100.7"
    ).status_code == (429)

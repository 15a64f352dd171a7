"""Security baseline: headers, cookies, CSRF, login throttling that cannot lock everyone out."""

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

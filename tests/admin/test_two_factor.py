"""Two-factor sign-in for staff in the admin (ADMIN_REQUIRE_OTP)."""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.admin import CHANGELIST, current_token, text_of, verify_second_factor
from tracker import enrolment


@pytest.fixture
def otp_on(settings):
    settings.ADMIN_REQUIRE_OTP = True


def path_of(url: str) -> str:
    return urlsplit(url).path


def sign_in_with_password(client, username):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": "correct-horse-battery", "next": "/admin/"},
    )
    assert response.status_code == 302
    return response


def test_a_password_alone_does_not_open_the_changelist(client, otp_on, coordinator, item_factory):
    item_factory(title_en="Secret-free but still gated")
    sign_in_with_password(client, "coord")
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/two-factor/")
    assert "Secret-free but still gated" not in text_of(client.get(CHANGELIST, follow=True))


def test_a_verified_token_opens_the_changelist(client, otp_on, coordinator, item_factory):
    item_factory(title_en="Visible after two factors")
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    sign_in_with_password(client, "coord")
    verify_second_factor(client, device)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "Visible after two factors" in text_of(response)


def test_a_wrong_token_is_refused_with_a_message(client, otp_on, coordinator):
    device = TOTPDevice.objects.create(user=coordinator, name="phone", confirmed=True)
    sign_in_with_password(client, "coord")
    wrong = str((int(current_token(device)) + 1) % 1_000_000).zfill(6)
    response = client.post("/admin/two-factor/", {"token": wrong})
    assert response.status_code == 200
    assert "That code was not accepted" in text_of(response)
    assert client.get(CHANGELIST).status_code == 302


def test_a_superuser_without_a_device_is_sent_to_enrolment(client, otp_on, user_factory):
    user_factory("root", role=None, superuser=True)
    sign_in_with_password(client, "root")
    response = client.get("/admin/auth/user/")
    assert response.status_code == 302
    assert "Set up two-factor sign-in" in text_of(client.get(response["Location"]))


def test_the_two_factor_pages_have_no_inline_script_or_style(client, otp_on, coordinator):
    sign_in_with_password(client, "coord")
    pages = [text_of(client.get("/admin/two-factor/"))]
    link = path_of(enrolment.issue_link(user=coordinator, by=None, now=timezone.now()))
    pages.append(text_of(client.get(link)))
    client.post(link)
    pages.append(text_of(client.get("/admin/two-factor/")))
    assert "otp-secret" in pages[-1]
    for page in pages:
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
        assert " style=" not in page and "<style" not in page


def test_the_otp_admin_client_fixture_reaches_the_changelist(otp_admin_client):
    assert otp_admin_client.get(CHANGELIST).status_code == 200


def test_the_login_page_says_plainly_when_two_factor_is_relaxed(client, settings, db):
    settings.ADMIN_REQUIRE_OTP = False
    assert "Two-factor sign-in is relaxed for this demo" in text_of(client.get("/admin/login/"))
    settings.ADMIN_REQUIRE_OTP = True
    page = text_of(client.get("/admin/login/"))
    assert "relaxed" not in page
    assert "authenticator app" in page


def test_with_two_factor_relaxed_a_password_opens_the_changelist(client, settings, coordinator):
    settings.ADMIN_REQUIRE_OTP = False
    sign_in_with_password(client, "coord")
    assert client.get(CHANGELIST).status_code == 200


def test_staff_who_owe_a_code_can_still_sign_out(client, otp_on, coordinator):
    sign_in_with_password(client, "coord")
    client.post("/admin/logout/")
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/two-factor/")["Location"].startswith("/admin/login/")

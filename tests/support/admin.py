"""Admin test helpers: signing in as a role, two-factor tokens, and reading admin pages.

Most admin tests run with ADMIN_REQUIRE_OTP off (`signed_in`); `otp_admin_client` is a superuser
who went through the real two-factor page with a token computed from the device key.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import US_CLEARANCES, make_user
from tracker import roles

CHANGELIST = "/admin/tracker/actionitem/"


def item_url(item, suffix: str = "change/") -> str:
    return f"{CHANGELIST}{item.pk}/{suffix}"


def current_token(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for this device."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    return str(code).zfill(device.digits)


def verify_second_factor(client: Client, device: TOTPDevice) -> None:
    response = client.post(
        "/admin/two-factor/", {"token": current_token(device), "next": "/admin/"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def signed_in(client, settings):
    """Sign the test client in as `user`, with two-factor off (the demo's setting)."""
    settings.ADMIN_REQUIRE_OTP = False

    def sign_in(user) -> Client:
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def coordinator(user_factory):
    """A U.S. coordinator, cleared for U.S.-only and U.S.-ROK items."""
    return user_factory("coord", role=roles.COORDINATORS, clearances=US_CLEARANCES)


@pytest.fixture
def as_coordinator(signed_in, coordinator):
    return signed_in(coordinator)


@pytest.fixture
def otp_admin_client(client, settings, db):
    """A superuser signed in with a password and a verified TOTP device (two-factor on)."""
    settings.ADMIN_REQUIRE_OTP = True
    user = make_user("otp-admin", role=None, superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)
    verify_second_factor(client, device)
    client.user = user
    return client


def text_of(response) -> str:
    return response.content.decode()

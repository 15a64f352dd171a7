"""Personal access tokens: made and revoked on the settings page by their owner, shown once,
stored hashed, with an expiry, a scope and a rate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.api.conftest import TokenClient, token_for
from tracker import api_tokens, roles
from tracker.models import ApiToken

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _make(client, **fields):
    form = {"name": "briefing script", "scope": "read", "days": "30", **fields}
    return client.post("/settings/tokens/", form)


def test_a_new_token_is_shown_once_and_stored_only_as_a_hash(user_factory):
    client = _signed_in(user_factory())
    response = _make(client)
    assert response.status_code == 201
    text = response.context["made"]
    assert text.startswith("trk_") and text in response.content.decode()
    row = ApiToken.objects.get()
    assert row.token_hash == api_tokens.token_hash(text) and text not in row.token_hash
    again = client.get("/settings/tokens/").content.decode()
    assert text not in again and row.prefix in again
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_token_works_until_it_is_revoked(user_factory):
    user = user_factory()
    client = _signed_in(user)
    text = _make(client).context["made"]
    api = TokenClient(text)
    assert api.get("/api/v1/me/").json()["username"] == user.username
    client.post(f"/settings/tokens/{ApiToken.objects.get().pk}/revoke/")
    assert api.get("/api/v1/me/").status_code == 401


def test_no_one_revokes_someone_elses_token(user_factory):
    owner, other = user_factory(), user_factory()
    text = token_for(owner)
    _signed_in(other).post(f"/settings/tokens/{ApiToken.objects.get().pk}/revoke/")
    assert TokenClient(text).get("/api/v1/me/").status_code == 200


def test_an_expired_token_is_refused(user_factory):
    user = user_factory()
    text = token_for(user, days=7)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = TokenClient(text).get("/api/v1/items/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/problem+json"


def test_staff_need_the_second_factor_to_make_a_token(user_factory, settings):
    settings.ADMIN_REQUIRE_OTP = True
    client = _signed_in(user_factory(role=roles.COORDINATORS))
    response = _make(client)
    assert response.status_code == 400
    assert "two-factor" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_reader_makes_a_token_without_a_second_factor(user_factory, settings):
    settings.ADMIN_REQUIRE_OTP = True
    assert _make(_signed_in(user_factory())).status_code == 201


def test_an_expiry_not_offered_is_refused(user_factory):
    response = _make(_signed_in(user_factory()), days="3650")
    assert response.status_code == 400 and not ApiToken.objects.exists()


def test_a_token_is_throttled_on_its_own(user_factory, settings):
    settings.API_THROTTLE_RATE = "3/min"
    busy, calm = TokenClient(token_for(user_factory())), TokenClient(token_for(user_factory()))
    answers = [busy.get("/api/v1/me/").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert calm.get("/api/v1/me/").status_code == 200
    refused = busy.get("/api/v1/me/")
    assert refused["Retry-After"] and refused.json()["status"] == 429


def test_a_korean_caller_reads_errors_in_korean(user_factory):
    response = TokenClient(token_for(user_factory()), HTTP_ACCEPT_LANGUAGE="ko").get(
        "/api/v1/items/no-such-item/"
    )
    assert response.status_code == 404
    assert response["Content-Language"] == "ko"

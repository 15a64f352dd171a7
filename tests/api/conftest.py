"""API fixtures: tokens for users, and a client that sends one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tracker import api_tokens


def token_for(user, *, scope: str = "write", days: int = 30) -> str:
    _row, text = api_tokens.create_token(
        user=user,
        name="test",
        scope=scope,
        days=days,
        now=timezone.now(),
        second_factor_missing=False,
    )
    return text


class TokenClient(Client):
    """A test client that sends `Authorization: Bearer <token>` on every request."""

    def __init__(self, token: str, **defaults):
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {token}", **defaults)


@pytest.fixture
def api_client():
    def make(user, *, scope: str = "write", language: str | None = None) -> TokenClient:
        extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        return TokenClient(token_for(user, scope=scope), **extra)

    return make


@pytest.fixture
def in_a_day(now) -> dt.datetime:
    return now + dt.timedelta(days=1)

"""Personal access tokens for the API: made and revoked by their owner, shown once, stored hashed,
with an expiry and a scope (read, or read and write).

A token is `trk_` and 43 characters of a 256-bit random secret; only its SHA-256 is stored (so a
copy of the database yields no usable token) with its first characters, for telling tokens apart.
Staff make one only in a session that passed the second factor, while ADMIN_REQUIRE_OTP is on:
a token is a password that skips the authenticator, so it needs what the admin needs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils.translation import gettext as _

from .models import ApiToken, TokenScope

PREFIX = "trk_"
PREFIX_SHOWN = 12  # "trk_" and 8 characters of the secret
EXPIRY_CHOICES = (7, 30, 90, 365)
NAME_MAX_LENGTH = 100
# How often a token's last use is written: one guarded UPDATE a minute, not one a request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class TokenRefused(Exception):
    """Why a token cannot be made or revoked, in words for its owner."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    *,
    user,
    name: str,
    scope: str,
    days: int,
    now: dt.datetime,
    second_factor_missing: bool,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret text, which is shown once and never again.

    Refused: an inactive user; staff whose session owes its second factor (when the admin
    requires one); an empty or overlong name, an unknown scope, an expiry beyond
    API_TOKEN_MAX_DAYS or not among EXPIRY_CHOICES."""
    if not (user and user.is_active):
        raise TokenRefused(_("Only an active account may have tokens."))
    if user.is_staff and second_factor_missing:
        raise TokenRefused(
            _("Staff make tokens only after two-factor sign-in: sign in to the admin first.")
        )
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_MAX_LENGTH:
        raise TokenRefused(_("Give the token a name of 1 to 100 characters."))
    if scope not in TokenScope.values:
        raise TokenRefused(_("Choose read, or read and write."))
    if days not in EXPIRY_CHOICES or days > settings.API_TOKEN_MAX_DAYS:
        raise TokenRefused(_("Choose one of the expiry periods offered."))
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=text[:PREFIX_SHOWN],
        token_hash=token_hash(text),
        scope=scope,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    return token, text


def revoke_token(*, user, token_id: int, now: dt.datetime) -> None:
    """Revoke one of `user`'s own tokens at once. Someone else's token, or one that does not
    exist, is refused alike (a token's existence is no one else's business)."""
    revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=now
    )
    if not revoked:
        raise TokenRefused(_("No such token, or it is revoked already."))


def tokens_of(user):
    """`user`'s tokens, newest first (revoked and expired ones included, for the record)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def authenticate(*, text: str, now: dt.datetime) -> ApiToken | None:
    """The live token this text is, with its user; None for anything else (unknown, revoked,
    expired, or its user inactive), alike."""
    if not text.startswith(PREFIX) or len(text) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user__profile")
        .filter(token_hash=token_hash(text), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token

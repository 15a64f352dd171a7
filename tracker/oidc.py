"""OpenID Connect sign-in through Authlib: the configured providers, their clients, and what a
sign-in leaves in the session (the provider, its ID token for signing out there, and whether it
asserted multi-factor sign-in).

Authlib does the protocol: discovery, the authorization code flow with PKCE (S256), state and
nonce kept in the session, the ID token's signature (the provider's published keys), issuer,
audience, expiry and nonce, and the end-session address. The claims mapping is tracker/identity.py.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from .identity import ProviderRules

log = logging.getLogger(__name__)

SESSION_KEY = "tracker_oidc"
METADATA_MAX_AGE = 3600.0  # seconds; the provider's discovery document is read again after


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    rules: ProviderRules

    @property
    def callback_path(self) -> str:
        return reverse("oidc_callback", args=[self.name])


def providers() -> dict[str, Provider]:
    """The providers of settings.OIDC_PROVIDERS, by name, in their order."""
    return {
        entry["name"]: Provider(
            name=entry["name"],
            label=entry["label"],
            issuer=entry["issuer"],
            client_id=entry["client_id"],
            client_secret=entry["client_secret"],
            scopes=entry["scopes"],
            rules=ProviderRules.from_settings(entry),
        )
        for entry in settings.OIDC_PROVIDERS
    }


def login_buttons() -> list[Provider]:
    """The providers whose "Sign in with ..." buttons the login pages show."""
    return list(providers().values()) if settings.OIDC_LOGIN_BUTTONS else []


_clients: dict[tuple, tuple[float, DjangoOAuth2App]] = {}


def client(provider: Provider) -> DjangoOAuth2App:
    """Authlib's client for `provider`, kept while its configuration is the same (so the
    discovery document and keys are fetched once an hour, not on every sign-in)."""
    key = (provider.name, provider.issuer, provider.client_id, provider.client_secret)
    key += (provider.scopes, settings.OIDC_TIMEOUT)
    made, app = _clients.get(key, (0.0, None))
    if app is None or time.monotonic() - made > METADATA_MAX_AGE:
        app = OAuth().register(
            name=provider.name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=f"{provider.issuer}/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "default_timeout": settings.OIDC_TIMEOUT,
            },
        )
        _clients[key] = (time.monotonic(), app)
    return app


def redirect_uri(provider: Provider) -> str:
    """The address the provider sends people back to: register it at the provider."""
    return settings.SITE_URL + provider.callback_path


def remember(request: HttpRequest, *, provider: Provider, id_token: str, mfa: bool) -> None:
    """Note, after auth.login, who signed in through which provider (with which ID token, and
    whether it asserted multi-factor sign-in)."""
    request.session[SESSION_KEY] = {
        "provider": provider.name,
        "user": request.user.pk,
        "id_token": id_token,
        "mfa": mfa,
    }


def _record(request: HttpRequest) -> dict[str, Any] | None:
    """The session's sign-in record, if it is the signed-in user's own."""
    session = getattr(request, "session", None)
    record = session.get(SESSION_KEY) if session is not None else None
    user = getattr(request, "user", None)
    if not record or user is None or not user.is_authenticated or record.get("user") != user.pk:
        return None
    return record


def asserted_multi_factor(request: HttpRequest) -> bool:
    """Whether this session's user signed in through a provider that asserted multi-factor
    sign-in (amr/acr in its signed ID token, as that provider's settings count them)."""
    record = _record(request)
    return bool(record and record.get("mfa") and record.get("provider") in providers())


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to end the provider's session too (RP-initiated logout), or None: not signed in
    through a provider, or the provider offers no end-session endpoint, or cannot be reached.
    Call it before the tracker's own session ends."""
    record = _record(request)
    provider = providers().get(record["provider"]) if record else None
    if provider is None:
        return None
    app = client(provider)
    try:
        if not app.load_server_metadata().get("end_session_endpoint"):
            return None
        return app.create_logout_url(
            post_logout_redirect_uri=settings.SITE_URL + reverse("login"),
            id_token_hint=record["id_token"],
            client_id=provider.client_id,
        )["url"]
    except (requests.RequestException, AuthlibBaseError, ValueError) as error:
        log.warning("sign-out at %s skipped: %r", provider.name, error)
        return None

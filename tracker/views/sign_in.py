"""Sign-in through an identity provider (OpenID Connect) and signing out of it.

Thin: Authlib (tracker/oidc.py) checks the provider's answer; tracker/identity.py decides the
account. A failed state, nonce, signature, audience or issuer, an error from the provider, or an
account the tracker refuses gets a page that says so, in the reader's language, and creates
nothing.
"""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.views import LogoutView
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from joserfc.errors import JoseError

from .. import identity, oidc

log = logging.getLogger(__name__)

NEXT_KEY = "tracker_oidc_next"
BACKEND = "tracker.auth_backend.ProfileBackend"


def _unreachable() -> str:
    return _("%(provider)s cannot be reached just now. Try again in a few minutes.")


def _provider_or_404(name: str) -> oidc.Provider:
    provider = oidc.providers().get(name)
    if provider is None:
        raise Http404("No such identity provider.")
    return provider


def _safe_next(request: HttpRequest) -> str:
    wanted = request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def refused(request: HttpRequest, *, provider: oidc.Provider, message: str, status: int):
    """The page for a sign-in that did not happen: why, and a way back to the login page."""
    context = {"provider": provider, "message": message}
    return render(request, "registration/sign_in_refused.html", context, status=status)


@never_cache
@require_GET
def oidc_login(request: HttpRequest, provider: str) -> HttpResponse:
    """Send the browser to the provider (authorization code flow with PKCE, state and nonce)."""
    chosen = _provider_or_404(provider)
    request.session[NEXT_KEY] = _safe_next(request)
    try:
        return oidc.client(chosen).authorize_redirect(
            request, oidc.redirect_uri(chosen), ui_locales=translation.get_language()
        )
    except (requests.RequestException, AuthlibBaseError, RuntimeError, ValueError) as error:
        log.warning("sign-in via %s: provider unreachable: %r", chosen.name, error)
        message = _unreachable() % {"provider": chosen.label}
        return refused(request, provider=chosen, message=message, status=502)


def _verified_claims(request: HttpRequest, provider: oidc.Provider) -> tuple[dict, dict, str]:
    """(ID token claims, all claims, raw ID token) from the provider's answer, checked by
    Authlib; the user-info response adds claims when the provider offers one, and must be
    about the same subject."""
    app = oidc.client(provider)
    issuer = request.GET.get("iss")  # RFC 9207: whose answer this is, against mix-ups
    if issuer is not None and issuer != app.load_server_metadata().get("issuer"):
        raise OAuthError(description=f"the answer names another issuer: {issuer[:100]!r}")
    token = app.authorize_access_token(request)
    id_claims = token.get("userinfo")
    if not id_claims or not token.get("id_token"):
        raise OAuthError(description="no ID token in the provider's answer")
    claims = dict(id_claims)
    if app.load_server_metadata().get("userinfo_endpoint"):
        extra = app.userinfo(token=token)
        if str(extra.get("sub")) != str(id_claims["sub"]):
            raise OAuthError(description="user-info is about someone else")
        claims = {**extra, **id_claims}
    return dict(id_claims), claims, token["id_token"]


def _why_not(request: HttpRequest, provider: oidc.Provider, error: Exception) -> tuple[str, int]:
    """What the refusal page says about a provider answer that failed, and its status."""
    values = {"provider": provider.label}
    if isinstance(error, MismatchingStateError):
        log.warning("sign-in via %s refused: unknown or reused state", provider.name)
        message = _(
            "This sign-in was not started here, or was already used. Start again from the "
            "sign-in page."
        )
        return message, 400
    if isinstance(error, requests.RequestException):
        log.warning("sign-in via %s: provider unreachable: %r", provider.name, error)
        return _unreachable() % values, 502
    if isinstance(error, OAuthError) and request.GET.get("error"):
        log.info("sign-in via %s: the provider answered %s", provider.name, error.error)
        message = _("%(provider)s did not sign you in (it answered “%(error)s”).")
        return message % {**values, "error": request.GET["error"][:80]}, 400
    log.warning("sign-in via %s refused: %r", provider.name, error)
    message = _(
        "The answer from %(provider)s could not be verified, so you were not signed in. "
        "Start again from the sign-in page."
    )
    return message % values, 400


@never_cache
@require_GET
def oidc_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider's answer: verified, then the account signed in (made or updated first)."""
    chosen = _provider_or_404(provider)
    try:
        id_claims, claims, id_token = _verified_claims(request, chosen)
    except (requests.RequestException, AuthlibBaseError, JoseError, ValueError, KeyError) as error:
        message, status = _why_not(request, chosen, error)
        return refused(request, provider=chosen, message=message, status=status)
    try:
        user = identity.sign_in_account(rules=chosen.rules, claims=claims, now=timezone.now())
    except identity.SignInRefused as refusal:
        return refused(request, provider=chosen, message=str(refusal.message), status=403)
    next_url = request.session.pop(NEXT_KEY, "") or resolve_url(settings.LOGIN_REDIRECT_URL)
    auth.login(request, user, backend=BACKEND)
    mfa = identity.asserts_multi_factor(rules=chosen.rules, id_token=id_claims)
    oidc.remember(request, provider=chosen, id_token=id_token, mfa=mfa)
    log.info("signed in via %s: account %s (multi-factor: %s)", chosen.name, user.pk, mfa)
    return HttpResponseRedirect(next_url)


class SignOutView(LogoutView):
    """Django's sign-out, then the provider's too where the user signed in through one that
    offers it (RP-initiated logout); it sends them back to the login page."""

    def post(self, request, *args, **kwargs):
        at_provider = oidc.provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(at_provider) if at_provider else response

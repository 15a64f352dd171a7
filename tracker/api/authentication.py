"""Personal access tokens, sent as `Authorization: Bearer trk_...` (tracker/api_tokens.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from tracker import api_tokens


class TokenAuthentication(authentication.BaseAuthentication):
    """A request with a Bearer token is that token's user, or refused (401) whatever else it
    carries; `request.auth` is the token, so its scope can be checked."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Bearer <token>”."))
        text = parts[1].decode("ascii", "replace")
        token = api_tokens.authenticate(text=text, now=timezone.now())
        if token is None:
            raise exceptions.AuthenticationFailed(_("The token is unknown, revoked or expired."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = TokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal access token."}

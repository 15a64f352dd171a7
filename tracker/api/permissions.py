"""Who may call what: any signed-in user reads; a read-only token only reads; coordinators' own
resources (the reminder log) are theirs. Which items anyone sees is releasability's alone."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tracker import roles
from tracker.models import ApiToken, TokenScope


class TokenScopeAllows(permissions.IsAuthenticated):
    message = _("This token may only read: make a read-and-write token to change items.")

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.scope != TokenScope.WRITE:
            return request.method in permissions.SAFE_METHODS
        return True


class IsCoordinator(TokenScopeAllows):
    message = _("Only coordinators may read the reminder log.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and roles.is_coordinator(request.user)

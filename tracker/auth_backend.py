"""Django's model backend, reading the signed-in user's profile with the user.

Each page reads the signed-in user's profile (language, time zone, clearances); reading it in the
same query as the user saves one query a request. Who may do what is Django's own decision.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ProfileBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        """A username and password, unless PASSWORD_SIGN_IN is off (providers only): then nobody."""
        if not settings.PASSWORD_SIGN_IN:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        """The active user with this id and their profile (None when they have none)."""
        model = get_user_model()
        try:
            user = model._default_manager.select_related("profile").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

"""Each signed-in user's language and time zone, from their profile, for every request."""

import zoneinfo

from django.utils import timezone, translation


class UserPreferencesMiddleware:
    """Activate the profile's time zone, and its language unless the user chose one on the page.

    A language picked with the switcher (Django's set_language, stored in a cookie) wins for the
    session; otherwise the profile's language applies.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        profile = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            profile = getattr(user, "profile", None)
        if profile is not None:
            try:
                timezone.activate(zoneinfo.ZoneInfo(profile.time_zone))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
            from django.conf import settings

            if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
        else:
            timezone.deactivate()
        return self.get_response(request)

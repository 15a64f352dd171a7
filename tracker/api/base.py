"""What every API view shares: the request's language and UTC times; the item a caller may see
or a 404; If-Match on every change of an item, and its ETag.

Language: `Accept-Language` decides (a browser's language cookie first, as on the pages);
without it, the caller's profile language. It picks the single-language fields (`title`,
`summary`, `name`) and the language of every message. Both languages' fields are always there.
"""

from __future__ import annotations

import datetime as dt
import re

from django.http import Http404
from django.utils import timezone, translation
from rest_framework.generics import GenericAPIView

from tracker import releasability
from tracker.models import ActionItem
from tracker.reminders.calendar import recipient_zone

from .problems import PreconditionRequired

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,9})"\s*$')


class ApiView(GenericAPIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttling
        if "HTTP_ACCEPT_LANGUAGE" in request.META:
            language = translation.get_language_from_request(request._request)
        else:
            profile = getattr(request.user, "profile", None)
            language = profile.language if profile else translation.get_language()
        translation.activate(language)
        request._request.LANGUAGE_CODE = language
        timezone.activate(dt.UTC)  # every time in the API is UTC

    def today(self) -> dt.date:
        """The caller's local date (for "overdue"), in their time zone as the pages and digests
        reckon it."""
        return timezone.localdate(timezone.now(), timezone=recipient_zone(self.request.user))

    def visible_items(self):
        return releasability.visible_items(self.request.user)

    def item_or_404(self, key: str, *, prefetch: tuple = ()) -> ActionItem:
        """The item with this key if the caller may see it; a 404 whether or not it exists."""
        item = (
            self.visible_items()
            .select_related("source", "theme", "lead_organization", "owner")
            .prefetch_related(*prefetch)
            .filter(key=key)
            .first()
        )
        if item is None:
            raise Http404
        return item


def etag(item: ActionItem) -> str:
    """The item's entity tag: its version, which every change raises."""
    return f'"{item.version}"'


def expected_version(request) -> int:
    """The version If-Match names; 428 without one (or with `*`, or one that is no ETag of
    ours: a change must say which version it was made against)."""
    match = _ETAG.match(request.headers.get("If-Match", ""))
    if match is None:
        raise PreconditionRequired
    return int(match.group(1))

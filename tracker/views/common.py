"""What the page views share: finding a visible item, and a paginator that counts cheaply."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property

from .. import selectors
from ..models import ActionItem

PER_PAGE = 50


def _render_version() -> str:
    """Changes whenever a template or the compiled catalogue changes (a deploy), so HTML cached
    by the previous code is never served by the next, even from a shared cache."""
    root = Path(__file__).resolve().parents[1]
    files = sorted([*(root / "templates").rglob("*.html"), *(root / "locale").rglob("*.mo")])
    stamp = "".join(f"{f.relative_to(root)}:{f.stat().st_mtime_ns};" for f in files)
    return hashlib.sha256(stamp.encode()).hexdigest()[:16]


RENDER_VERSION = _render_version()


def visible_items(request) -> QuerySet:
    return ActionItem.objects.visible_to(request.user)


def visible_item_or_404(request, key: str) -> ActionItem:
    """The item with this key if the viewer may see it; otherwise 404, whether or not it exists.

    It carries `history_stamp` (selectors.item_history_stamp): what changes with its owners,
    partners and timeline, so the page can keep them in the cache until then."""
    item = (
        visible_items(request)
        .select_related("source", "theme", "lead_organization", "owner")
        .annotate(history_stamp=selectors.item_history_stamp())
        .filter(key=key)
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    return item


def item_url(request, item: ActionItem) -> str:
    return request.build_absolute_uri(reverse("tracker:item_detail", args=[item.key]))


class CachedCountPaginator(Paginator):
    """A paginator whose total comes from the cache while no item has changed: at 100,000
    items, counting a filtered list on every page view costs more than the page itself."""

    @cached_property
    def count(self) -> int:
        return selectors.cached_count(self.object_list)


def cached_render(request, *, parts: tuple, stamp: tuple, render: Callable[[], Any]) -> Any:
    """What `render()` returns, from the cache when the same viewer-kind saw the same data.

    Rendering a page of Django templates costs far more than its (few, indexed) queries, so the
    pages keep their rendered HTML. The key holds everything the HTML depends on: `parts` (the
    page, its query string, the names it shows), what the viewer may see, their language, time
    zone and local date, and the items' change stamp. Nothing per user (name, CSRF token,
    messages) may be inside the cached HTML.
    """
    key = selectors.cache_key(
        RENDER_VERSION,
        *parts,
        selectors.viewer_key(request.user),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        stamp,
    )
    value = cache.get(key)
    if value is None:
        value = render()
        cache.set(key, value, selectors.CACHE_SECONDS)
    return value


def cacheable(request) -> bool:
    """Whether a page that is the user's own (their name, a CSRF token in its forms) may come
    from the cache: a GET, from a browser that has its CSRF cookie, with no message waiting."""
    return (
        request.method == "GET"
        and bool(request.META.get("CSRF_COOKIE"))
        # len() reads the waiting messages without marking them shown.
        and not len(messages.get_messages(request))
    )


def user_parts(user) -> tuple:
    """What of the user a page frame shows or depends on (besides what they may see, which
    cached_render keys on): their names and whether they get the admin link."""
    return (user.pk, user.get_username(), user.get_short_name(), user.is_superuser, user.is_staff)

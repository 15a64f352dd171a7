"""What the page views share: finding a visible item, and a paginator that counts cheaply."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property

from .. import selectors
from ..models import ActionItem

PER_PAGE = 50


def visible_items(request) -> QuerySet:
    return ActionItem.objects.visible_to(request.user)


def visible_item_or_404(request, key: str) -> ActionItem:
    """The item with this key if the viewer may see it; otherwise 404, whether or not it exists."""
    item = (
        visible_items(request)
        .select_related("source", "theme", "lead_organization", "owner")
        .prefetch_related("partner_organizations", "co_owners")
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

"""What the page views share: the items the viewer may see, one of them or a 404, its address."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse

from .. import releasability
from ..models import ActionItem

PER_PAGE = 50


def visible_items(request) -> QuerySet:
    return releasability.visible_items(request.user)


def visible_item_or_404(request, key: str) -> ActionItem:
    """The item with this key if the viewer may see it; otherwise 404, whether or not it exists."""
    item = (
        visible_items(request)
        .select_related("source", "theme", "lead_organization", "owner")
        .filter(key=key)
        .first()
    )
    if item is None:
        raise Http404("No such item.")
    return item


def item_url(request, item: ActionItem) -> str:
    return request.build_absolute_uri(reverse("tracker:item_detail", args=[item.key]))

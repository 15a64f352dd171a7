"""What an event's body says: the Standard Webhooks shape (type, timestamp, data), with the item
as it was when the event happened. Built once, when the event is recorded; every delivery and
retry sends the same bytes."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.urls import reverse

from tracker.models import ActionItem


def _stamp(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def item_data(item: ActionItem) -> dict:
    """The item's fields a receiver needs to act on an event without asking the API."""
    return {
        "key": item.key,
        "title_en": item.title_en,
        "title_ko": item.title_ko,
        "status": item.status,
        "priority": item.priority,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "marking": item.marking,
        "version": item.version,
        "url": settings.SITE_URL + reverse("tracker:item_detail", kwargs={"key": item.key}),
        "api_url": settings.SITE_URL + reverse("api:item-detail", kwargs={"key": item.key}),
    }


def event_body(*, event_type: str, item: ActionItem, now: dt.datetime, details: dict) -> str:
    """The JSON text of an event: compact, keys in a fixed order."""
    body = {
        "type": event_type,
        "timestamp": _stamp(now),
        "data": {"item": item_data(item), **details},
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)

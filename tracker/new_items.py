"""A new item, however it is made (the admin's form, a CSV import, a seed file): its first
follow-up planned, and an `item.created` webhook event recorded in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .follow_up import start_follow_up
from .models import ActionItem, EventType
from .webhooks import events


def create_item(*, item: ActionItem, by, now: dt.datetime) -> ActionItem:
    """Save the new `item`. The caller has checked its fields (the form, the import row, the
    seed file); `by` is who made it, None for the system."""
    with transaction.atomic():
        start_follow_up(item=item, now=now)
        item._history_date = now  # its history starts when it was made, as its timeline does
        item.save()
        events.item_changed(EventType.ITEM_CREATED, item=item, by=by, now=now)
    return item

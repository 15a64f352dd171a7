"""Recording an event where the change is made, in the same transaction, so it is never lost and
never sent for a change that rolled back.

Called by workflow.py (status changes, updates, due-date moves), new_items.py and the sweep
(items that became overdue). An event is recorded only when an active endpoint subscribes to its
type and its audience may receive the item (releasability.endpoint_may_receive); sending checks
again, since a marking may change in between.
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.dispatch import Signal

from tracker.models import (
    ActionItem,
    EventType,
    StatusUpdate,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracker.releasability import endpoint_may_receive

from .payloads import event_body

# Sent once the transaction that recorded deliveries commits, with `delivery_ids`; tasks.py
# listens and hands them to a worker. (The rules never import the task layer.)
deliveries_recorded = Signal()


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def subscribed(event_type: str) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to `event_type` (one query; a handful of rows)."""
    endpoints = WebhookEndpoint.objects.filter(active=True).select_related("owner__profile")
    return [endpoint for endpoint in endpoints if event_type in endpoint.events]


def subscribers(*, event_type: str, item: ActionItem) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to `event_type` whose audience may receive `item`."""
    return [e for e in subscribed(event_type) if endpoint_may_receive(e, item.marking)]


_pending = threading.local()


def _drain() -> None:
    """On commit: everything announced so far in this thread, in one signal (so a transaction
    that recorded many events hands them to workers in full batches, not one task an event).
    Ids of a transaction that rolled back wait here for the next commit; their rows do not
    exist, and a worker given them finds nothing to send."""
    ids, _pending.ids = getattr(_pending, "ids", []), []
    if ids:
        deliveries_recorded.send(sender=WebhookDelivery, delivery_ids=ids)


def announce(delivery_ids: list[int]) -> None:
    """Tell the listeners (tasks.py) about `delivery_ids` once the current transaction commits
    (at once outside one)."""
    if delivery_ids:
        if not hasattr(_pending, "ids"):
            _pending.ids = []
        _pending.ids.extend(delivery_ids)
        transaction.on_commit(_drain)


def _store(event_type: str, *, item, body: str, now, once_key, to: list) -> list[int]:
    """The event row and one delivery row per endpoint, in a savepoint; [] when `once_key` was
    recorded a moment ago by another sweep (the unique key refuses the second)."""
    retry_until = now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                message_id=new_message_id(),
                type=event_type,
                item=item,
                marking=item.marking,
                payload=body,
                created_at=now,
                once_key=once_key,
            )
            rows = WebhookDelivery.objects.bulk_create(
                WebhookDelivery(
                    event=event,
                    endpoint=endpoint,
                    created_at=now,
                    next_attempt_at=now,
                    retry_until=retry_until,
                )
                for endpoint in to
            )
    except IntegrityError:
        return []
    return [row.pk for row in rows]


def record_item_event(
    *,
    event_type: str,
    item: ActionItem,
    now: dt.datetime,
    details: dict | None = None,
    once_key: str | None = None,
    endpoints: list[WebhookEndpoint] | None = None,
) -> list[int]:
    """Record that `event_type` happened to `item` at `now`: the ids of the deliveries made.

    Nothing is recorded (and [] returned) when no endpoint may receive it, or when `once_key`
    names an event recorded before (two sweeps at once: the unique key lets one through).
    `endpoints`, when given, are the active endpoints subscribed to `event_type` (a caller
    recording many events reads them once); releasability is still checked here.
    """
    if endpoints is None:
        endpoints = subscribers(event_type=event_type, item=item)
    else:
        endpoints = [e for e in endpoints if endpoint_may_receive(e, item.marking)]
    if not endpoints:
        return []
    if once_key and WebhookEvent.objects.filter(once_key=once_key).exists():
        return []
    body = event_body(event_type=event_type, item=item, now=now, details=details or {})
    ids = _store(event_type, item=item, body=body, now=now, once_key=once_key, to=endpoints)
    announce(ids)
    return ids


# --- What workflow.py records, change by change -----------------------------------------------


def item_changed(event_type: str, *, item: ActionItem, by, now: dt.datetime, **details) -> list:
    """Record `event_type` for a change `by` made (None: the system), in its transaction."""
    details["by"] = by.get_username() if by is not None else None
    return record_item_event(event_type=event_type, item=item, now=now, details=details)


def update_recorded(update: StatusUpdate, *, item: ActionItem, by) -> list:
    """A timeline entry that changed the status (a status change, a claim, a review's
    decision), or posted an update (a note, on track)."""
    details = {"update_id": update.pk, "kind": update.kind, "note": update.note}
    event = EventType.UPDATE_POSTED
    if update.from_status != update.to_status:
        event = EventType.STATUS_CHANGED
        details.update(from_status=update.from_status, to_status=update.to_status)
    return item_changed(event, item=item, by=by, now=update.created_at, **details)


def edit_recorded(*, item: ActionItem, saved: ActionItem, by, now, note: str, moved: list) -> None:
    """The events of a field edit: a moved due date; a note alone is a progress update."""
    if item.due_date != saved.due_date:
        item_changed(
            EventType.DUE_DATE_CHANGED,
            item=item,
            by=by,
            now=now,
            from_due_date=saved.due_date,
            to_due_date=item.due_date,
        )
    if note and not moved:
        item_changed(EventType.UPDATE_POSTED, item=item, by=by, now=now, kind="note", note=note)

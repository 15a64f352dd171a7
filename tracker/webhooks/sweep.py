"""Beat's webhook tick: record the items that became overdue, turn off endpoints failing for a
day, and find the deliveries to hand to workers. Returns ids; never sends.

    record_overdue      open items whose due date passed in the last OVERDUE_LOOKBACK_DAYS
                        (UTC dates), one `item.overdue` event per item and due date (a unique
                        key: two sweeps at once record it once)
    due_deliveries      pending rows whose time has come, and rows whose worker's claim is
                        stale: the safety net for a lost task, a dead worker or a Redis outage;
                        a failing endpoint gets one row (its probe), the rest wait for it
    untold_owners       endpoints turned off whose owner has not been told yet
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Min, Q

from tracker.models import (
    ActionItem,
    DeliveryState,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

from . import endpoints as endpoint_rules
from .events import record_item_event, subscribed

OVERDUE_LOOKBACK_DAYS = 7
SWEEP_LIMIT = 5000


@dataclass
class SweepResult:
    due_ids: list[int] = field(default_factory=list)
    untold_endpoint_ids: list[int] = field(default_factory=list)
    overdue_recorded: int = 0


def overdue_key(item: ActionItem) -> str:
    return f"{EventType.OVERDUE}:{item.pk}:{item.due_date.isoformat()}"


def record_overdue(*, now: dt.datetime) -> list[int]:
    """One `item.overdue` event for each open item whose due date passed lately and has none
    yet; the delivery ids. Cheap when no endpoint subscribes (one query)."""
    endpoints = subscribed(EventType.OVERDUE)
    if not endpoints:
        return []
    today = now.astimezone(dt.UTC).date()
    items = list(
        ActionItem.objects.open().filter(
            due_date__lt=today, due_date__gte=today - dt.timedelta(days=OVERDUE_LOOKBACK_DAYS)
        )
    )
    keys = {overdue_key(item): item for item in items}
    done = set(WebhookEvent.objects.filter(once_key__in=keys).values_list("once_key", flat=True))
    ids: list[int] = []
    for key, item in keys.items():
        if key in done:
            continue
        details = {"days_overdue": (today - item.due_date).days}
        ids += record_item_event(
            event_type=EventType.OVERDUE,
            item=item,
            now=now,
            details=details,
            once_key=key,
            endpoints=endpoints,
        )
    return ids


def disable_long_failing(*, now: dt.datetime) -> None:
    limit = now - dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    for endpoint in WebhookEndpoint.objects.filter(active=True, failing_since__lte=limit):
        reason = f"Failing since {endpoint.failing_since.isoformat(timespec='minutes')} UTC."
        endpoint_rules.disable(endpoint_id=endpoint.pk, now=now, reason=reason)


def due_deliveries(*, now: dt.datetime) -> list[int]:
    """Pending rows to hand out now: due ones of healthy endpoints, stale claims, and one probe
    for each failing endpoint whose next try has come."""
    stale = now - dt.timedelta(minutes=settings.WEBHOOK_PENDING_TIMEOUT_MINUTES)
    pending = WebhookDelivery.objects.filter(
        state=DeliveryState.PENDING, endpoint__active=True, next_attempt_at__lte=now
    ).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
    healthy = pending.filter(endpoint__failing_since__isnull=True).order_by("next_attempt_at")
    ids = list(healthy.values_list("pk", flat=True)[:SWEEP_LIMIT])
    probes = (
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING,
            endpoint__active=True,
            endpoint__failing_since__isnull=False,
            endpoint__next_try_at__lte=now,
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .values("endpoint")
        .annotate(first=Min("pk"))
    )
    return ids + [row["first"] for row in probes]


def untold_owners() -> list[int]:
    return list(
        WebhookEndpoint.objects.filter(
            active=False, disabled_at__isnull=False, owner_told_at__isnull=True
        ).values_list("pk", flat=True)
    )


def sweep(*, now: dt.datetime) -> SweepResult:
    """One tick. The overdue events' deliveries are announced on commit like any others (and
    are among the due rows at the next tick if that hand-over is lost)."""
    recorded = record_overdue(now=now)
    disable_long_failing(now=now)
    fresh = set(recorded)
    due = [pk for pk in due_deliveries(now=now) if pk not in fresh]
    return SweepResult(
        due_ids=due, untold_endpoint_ids=untold_owners(), overdue_recorded=len(recorded)
    )

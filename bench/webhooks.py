"""Webhook fan-out stage: 1,000 events to 10 endpoints on loopback, delivered per second, beside a
plain httpx loop posting the same bodies to the same receiver.

`python -m bench.webhooks` (DATABASE_URL names a data set): ten endpoints of one coordinator,
each subscribed to "update posted", on a receiver in its own process (bench/hooksink.py); two
Celery worker processes (one node, prefork, concurrency 2, as the Procfile runs it) on Redis.
1,000 events are recorded by the product's rule (webhooks.record_item_event) in one transaction;
the clock runs from its commit (the first task handed to the broker) until the receiver has all
10,000 deliveries. The floor: one httpx.Client, keep-alive, posting the same 10,000 bodies with
their signed headers, one after another. Three runs; the one with the median ratio is reported.
Everything the stage makes (endpoints, events, deliveries) is deleted afterwards: the data set is
left as it was.
"""

from __future__ import annotations

import argparse
import itertools
import time

import django

django.setup()

import httpx  # noqa: E402
import redis  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tracker.models import (  # noqa: E402
    ActionItem,
    Audience,
    DeliveryState,
    EventType,
    Marking,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tracker.webhooks import record_item_event  # noqa: E402
from tracker.webhooks.endpoints import new_secret  # noqa: E402
from tracker.webhooks.sending import signed_headers  # noqa: E402

from .delivery import FirstPublish, start_worker_process  # noqa: E402
from .env import LOGIN_USERNAME, REDIS_URL, emit, stop_process  # noqa: E402
from .hooksink import HookSink  # noqa: E402

EVENTS = 1_000
ENDPOINTS = 10
RUNS = 3


def make_endpoints(sink: HookSink, now) -> list[WebhookEndpoint]:
    owner = get_user_model().objects.get(username=LOGIN_USERNAME)
    return [
        WebhookEndpoint.objects.create(
            owner=owner,
            url=sink.url(f"/hook/{n}"),
            secret=new_secret(),
            events=[EventType.UPDATE_POSTED],
            audience=Audience.ALL,
            created_at=now,
        )
        for n in range(ENDPOINTS)
    ]


def record_events(now) -> None:
    """1,000 events in one transaction; their deliveries go to the workers when it commits.

    The events are updates on the items releasable to all, in turn (the 1,000-item set holds
    about 650 of them, so some items get two)."""
    items = list(ActionItem.objects.filter(marking=Marking.ALL).order_by("pk")[:EVENTS])
    with transaction.atomic():
        for item in itertools.islice(itertools.cycle(items), EVENTS):
            details = {"kind": "note", "note": f"Bench note on {item.key}.", "by": LOGIN_USERNAME}
            record_item_event(
                event_type=EventType.UPDATE_POSTED, item=item, now=now, details=details
            )


def plain_loop(deliveries: list[WebhookDelivery], sink: HookSink) -> float:
    """The floor: the same bodies and signed headers, posted by one httpx client; seconds."""
    prepared = []
    for delivery in deliveries:
        body = delivery.event.payload.encode()
        headers = signed_headers(
            secret=delivery.endpoint.secret,
            message_id=delivery.event.message_id,
            body=body,
            at=timezone.now(),
        )
        prepared.append((delivery.endpoint.url, body, headers))
    with httpx.Client(timeout=10) as client:
        started = time.perf_counter()
        for url, body, headers in prepared:
            client.post(url, content=body, headers=headers).raise_for_status()
        return time.perf_counter() - started


def measure(sink: HookSink, worker_env: dict) -> dict:
    now = timezone.now()
    first = FirstPublish()
    endpoints = make_endpoints(sink, now)
    sink.reset()
    worker = start_worker_process("webhook-worker.log", worker_env)
    try:
        record_events(now)
        expected = WebhookDelivery.objects.filter(endpoint__in=endpoints).count()
        finished = sink.wait_for(expected, timeout=600)
        ours = finished - first.at
        distinct = sink.counts()["distinct"]
        time.sleep(1)  # the "sent" marks follow the receiver's answer
        sent = WebhookDelivery.objects.filter(
            endpoint__in=endpoints, state=DeliveryState.SENT
        ).count()
    finally:
        stop_process(worker)
    rows = list(
        WebhookDelivery.objects.filter(endpoint__in=endpoints)
        .select_related("event", "endpoint")
        .order_by("pk")
    )
    sink.reset()
    floor = plain_loop(rows, sink)
    WebhookEvent.objects.filter(created_at=now).delete()  # and their deliveries
    WebhookEndpoint.objects.filter(pk__in=[e.pk for e in endpoints]).delete()
    return {
        "deliveries": expected,
        "received_distinct": distinct,
        "sent": sent,
        "ours": {"seconds": ours, "rate": expected / ours},
        "floor": {"seconds": floor, "rate": len(rows) / floor},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    redis.Redis.from_url(REDIS_URL).flushdb()
    with HookSink() as sink:
        runs = [measure(sink, {"LOG_LEVEL": "WARNING"}) for _ in range(args.runs)]
    ranked = sorted(runs, key=lambda r: r["ours"]["rate"] / r["floor"]["rate"])
    chosen = dict(ranked[len(ranked) // 2])
    chosen["runs"] = [{"ours": r["ours"]["rate"], "floor": r["floor"]["rate"]} for r in runs]
    chosen["complete"] = all(
        r["received_distinct"] == r["deliveries"] == r["sent"] == EVENTS * ENDPOINTS for r in runs
    )
    emit({"events": EVENTS, "endpoints": ENDPOINTS, **chosen})


if __name__ == "__main__":
    main()

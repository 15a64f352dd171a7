"""Sending claimed deliveries: take the rows, check releasability again, sign, POST, mark.

Called by the deliver_webhooks task with a batch of ids. The rows are taken in one short
transaction (locked, then one conditional UPDATE): a row sent already, held by a live worker, not
due yet, past its day of retries, or whose endpoint is off is left alone or settled. No
transaction is open while a receiver is talking. Each row is marked sent by one guarded UPDATE
once the batch is done (one UPDATE for all it delivered); a worker that dies before that leaves
them claimed, and the sweep hands them out again once the claim is stale: at least once, with the
same `webhook-id`, and at most one batch (WEBHOOK_BATCH_SIZE) sent twice.

An endpoint that fails (timeout, refused connection, 5xx, 408, 429) enters a run of failures:
its deliveries wait for its next try, when one of them goes first as a probe; when the probe
gets through, every delivery waiting for it is due at once. A receiver that is down for an hour
costs a handful of timeouts, not one per event. After WEBHOOK_DISABLE_AFTER_HOURS of failures
the endpoint is turned off (endpoints.disable) and its owner is told (notices.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Prefetch, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from tracker.models import ActionItem, DeliveryState, WebhookDelivery, WebhookEndpoint
from tracker.releasability import endpoint_may_receive

from . import endpoints as endpoint_rules
from .client import Answer, post

logger = logging.getLogger(__name__)

# Multiples of WEBHOOK_RETRY_BASE_SECONDS between tries of a failing endpoint or delivery
# (10 s, 30 s, 2 min, 5 min, 15 min, 30 min, then hourly by default), plus up to 10 % jitter.
BACKOFF_STEPS = (1, 3, 12, 30, 90, 180, 360)


def backoff(failures: int) -> dt.timedelta:
    step = BACKOFF_STEPS[min(max(failures, 1), len(BACKOFF_STEPS)) - 1]
    seconds = step * settings.WEBHOOK_RETRY_BASE_SECONDS
    return dt.timedelta(seconds=seconds * (1 + random.uniform(0, 0.1)))


@dataclass
class BatchResult:
    """What became of each row, and what the caller should do next: hand `follow_up_ids` to a
    worker (deliveries due at once after their endpoint came back) and tell the owners of
    `disabled_endpoint_ids`."""

    outcomes: dict[int, str] = field(default_factory=dict)
    follow_up_ids: list[int] = field(default_factory=list)
    disabled_endpoint_ids: list[int] = field(default_factory=list)
    delivered: dict[int, list[int]] = field(default_factory=dict)  # status -> ids, to mark

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for state in self.outcomes.values():
            counts[state] = counts.get(state, 0) + 1
        return counts


def _settle(row: WebhookDelivery, state: str, detail: str) -> str:
    WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(
        state=state, claimed_at=None, last_error=detail[:500]
    )
    return state


def _defer(row: WebhookDelivery, until: dt.datetime) -> str:
    WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(
        next_attempt_at=until, claimed_at=None
    )
    return "waiting"


# --- Taking the rows ------------------------------------------------------------------------------


def _probe(endpoint: WebhookEndpoint, now: dt.datetime) -> bool:
    """Whether this worker may try a failing endpoint now: its next try has come and no other
    worker took it first (a conditional UPDATE moves the next try past this attempt)."""
    if endpoint.next_try_at and endpoint.next_try_at > now:
        return False
    hold = now + dt.timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS * 2 + 5)
    won = WebhookEndpoint.objects.filter(pk=endpoint.pk, next_try_at=endpoint.next_try_at).update(
        next_try_at=hold
    )
    endpoint.next_try_at = hold
    return bool(won)


def _verdict(row: WebhookDelivery, now: dt.datetime, cutoff: dt.datetime, probing: set) -> str:
    """'take', or what to do with a row this worker may not send now."""
    endpoint = row.endpoint
    if row.state != DeliveryState.PENDING:
        return row.state
    if row.claimed_at is not None and row.claimed_at >= cutoff:
        return "busy"
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return "not due"
    if not endpoint.active:
        return _settle(row, DeliveryState.FAILED, _("The endpoint is turned off."))
    if row.retry_until < now:
        return _settle(row, DeliveryState.FAILED, _("Gave up after a day of retries."))
    if endpoint.failing_since is None:
        return "take"
    if endpoint.pk not in probing and _probe(endpoint, now):
        probing.add(endpoint.pk)
        return "take"
    return _defer(row, endpoint.next_try_at or now)


def _with_owners_and_items(rows: list[WebhookDelivery]) -> None:
    """Each row's endpoint owner (with the profile releasability reads) and its item's current
    marking, read for the whole batch."""
    prefetch_related_objects(
        rows,
        Prefetch("endpoint__owner", get_user_model().objects.select_related("profile")),
        Prefetch("event__item", ActionItem.objects.only("pk", "marking")),
    )


def _take(ids: list[int], now: dt.datetime) -> tuple[list[WebhookDelivery], dict[int, str]]:
    cutoff = now - dt.timedelta(minutes=settings.WEBHOOK_PENDING_TIMEOUT_MINUTES)
    outcomes: dict[int, str] = {}
    taken: list[WebhookDelivery] = []
    probing: set[int] = set()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.filter(pk__in=ids)
            .select_related("event", "endpoint")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        for row in rows:
            verdict = _verdict(row, now, cutoff, probing)
            if verdict == "take":
                taken.append(row)
            else:
                outcomes[row.pk] = verdict
        WebhookDelivery.objects.filter(pk__in=[r.pk for r in taken]).update(
            claimed_at=now, last_attempt_at=now, attempts=F("attempts") + 1
        )
    for row in taken:
        row.attempts += 1
    if taken:
        _with_owners_and_items(taken)
    return taken, outcomes


# --- After the receiver answered ----------------------------------------------------------------


def _mark_sent(delivered: dict[int, list[int]], at: dt.datetime) -> None:
    """The rows the receivers accepted, marked sent: one guarded UPDATE a status code, once the
    batch is done. A worker that dies before it leaves them claimed, for the sweep to send again
    (at least once: at most one batch sent twice, each copy with its webhook-id)."""
    for status, ids in delivered.items():
        WebhookDelivery.objects.filter(pk__in=ids, state=DeliveryState.PENDING).update(
            state=DeliveryState.SENT,
            delivered_at=at,
            claimed_at=None,
            last_status=status,
            last_error="",
        )


def _delivered(row: WebhookDelivery, answer: Answer, at: dt.datetime, result: BatchResult) -> str:
    result.delivered.setdefault(answer.status, []).append(row.pk)
    endpoint = row.endpoint
    if endpoint.failing_since is not None or endpoint.failures:
        recovered = WebhookEndpoint.objects.filter(pk=endpoint.pk, failures__gt=0).update(
            failing_since=None, failures=0, next_try_at=None
        )
        if recovered:
            waiting = WebhookDelivery.objects.filter(
                endpoint=endpoint, state=DeliveryState.PENDING, claimed_at__isnull=True
            )
            ids = list(waiting.values_list("pk", flat=True))
            waiting.filter(pk__in=ids).update(next_attempt_at=at)
            result.follow_up_ids.extend(ids)
        endpoint.failing_since, endpoint.failures = None, 0
    return DeliveryState.SENT


def _failed(row: WebhookDelivery, answer: Answer, at: dt.datetime, result: BatchResult) -> str:
    """A refusal (3xx, 4xx) fails the row; a failure worth retrying backs off the row and its
    endpoint, and turns the endpoint off after a day of them."""
    if not answer.retry:
        WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED,
            claimed_at=None,
            last_status=answer.status,
            last_error=answer.detail[:500],
        )
        return DeliveryState.FAILED
    endpoint = row.endpoint
    endpoint.failures += 1
    endpoint.failing_since = endpoint.failing_since or at
    endpoint.next_try_at = at + backoff(endpoint.failures)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=Coalesce(F("failing_since"), at),
        failures=F("failures") + 1,
        next_try_at=endpoint.next_try_at,
    )
    WebhookDelivery.objects.filter(pk=row.pk, state=DeliveryState.PENDING).update(
        claimed_at=None,
        last_status=answer.status,
        last_error=answer.detail[:500],
        next_attempt_at=max(at + backoff(row.attempts), endpoint.next_try_at),
    )
    limit = dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if at - endpoint.failing_since >= limit:
        reason = _("Failing since %(since)s UTC: %(detail)s") % {
            "since": endpoint.failing_since.isoformat(timespec="minutes"),
            "detail": answer.detail,
        }
        if endpoint_rules.disable(endpoint_id=endpoint.pk, now=at, reason=reason):
            result.disabled_endpoint_ids.append(endpoint.pk)
    return DeliveryState.PENDING


# --- Sending --------------------------------------------------------------------------------------


def signed_headers(*, secret: str, message_id: str, body: bytes, at: dt.datetime) -> dict:
    """The Standard Webhooks headers for one attempt (the timestamp is the attempt's)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=at, data=body),
        "content-type": "application/json",
    }


def _send_one(row: WebhookDelivery, at: dt.datetime, result: BatchResult) -> str:
    event, endpoint = row.event, row.endpoint
    if not endpoint_may_receive(endpoint, event.marking, event.item.marking):
        detail = _("The item is no longer releasable to this endpoint's audience.")
        return _settle(row, DeliveryState.SKIPPED, detail)
    body = event.payload.encode("utf-8")
    headers = signed_headers(secret=endpoint.secret, message_id=event.message_id, body=body, at=at)
    answer = post(endpoint.url, body=body, headers=headers)
    if answer.ok:
        return _delivered(row, answer, at, result)
    logger.info("Webhook delivery %s to %s: %s", row.pk, endpoint.pk, answer.detail)
    return _failed(row, answer, at, result)


def _give_back(rows: list[WebhookDelivery], until: dt.datetime) -> None:
    """Rows taken but not tried (their endpoint just failed, or the batch ran out of time): the
    attempt is not counted."""
    WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows], state=DeliveryState.PENDING).update(
        claimed_at=None, attempts=F("attempts") - 1, next_attempt_at=until
    )


def deliver_batch(*, delivery_ids: list[int], now: dt.datetime) -> BatchResult:
    """Send the deliveries `delivery_ids` that are due; mark the accepted ones sent at the end.

    Safe to run twice: rows sent already, or held by a live worker, are left alone. Once an
    endpoint fails in this batch, its other rows wait for its next try untried; after
    WEBHOOK_BATCH_SECONDS the rows left are given back, due at once.
    """
    started = time.monotonic()
    taken, outcomes = _take(list(delivery_ids), now)
    result = BatchResult(outcomes=outcomes)
    try:
        _send_all(taken, now, started, result)
    finally:
        _mark_sent(result.delivered, now + dt.timedelta(seconds=time.monotonic() - started))
    return result


def _send_all(taken: list, now: dt.datetime, started: float, result: BatchResult) -> None:
    failed: dict[int, dt.datetime] = {}
    for index, row in enumerate(taken):
        at = now + dt.timedelta(seconds=time.monotonic() - started)
        if index and time.monotonic() - started > settings.WEBHOOK_BATCH_SECONDS:
            _give_back(taken[index:], at)
            break
        if row.endpoint_id in failed:
            _give_back([row], failed[row.endpoint_id])
            result.outcomes[row.pk] = "waiting"
            continue
        result.outcomes[row.pk] = _send_one(row, at, result)
        if result.outcomes[row.pk] == DeliveryState.PENDING:
            failed[row.endpoint_id] = row.endpoint.next_try_at or at

"""Celery tasks: thin callers of the reminder sweep and of delivery, and of webhook delivery. They
take ids, are safe to run twice, and are enqueued only once the rows they name are committed
(enqueue_sends, enqueue_webhooks)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import delivery, reports
from .reminders.sweep import sweep
from .webhooks import notices as webhook_notices
from .webhooks import sending as webhook_sending
from .webhooks import sweep as webhook_sweep

logger = logging.getLogger(__name__)


def batches(ids: Sequence[int], size: int | None = None) -> Iterator[list[int]]:
    """The ids in batches of `size` (REMINDER_BATCH_SIZE): what one task sends."""
    size = size or settings.REMINDER_BATCH_SIZE
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def _hand_over(task, ids: list[int]) -> None:
    try:
        task.delay(ids)
    except Exception:
        # The rows stay pending and due: the sweeps hand them out again.
        logger.exception("Could not enqueue %s %s; a sweep will", task.name, ids)


def _enqueue(task, ids: Sequence[int], size: int) -> None:
    """Hand the rows to the workers, a batch a task, once the current transaction commits (at
    once outside one), so a worker never looks for a row it cannot see yet."""
    for chunk in batches(ids, size):
        transaction.on_commit(functools.partial(_hand_over, task, chunk))


def enqueue_sends(reminder_ids: Sequence[int]) -> None:
    """Hand claimed digests to the workers, REMINDER_BATCH_SIZE a task."""
    _enqueue(send_reminders, reminder_ids, settings.REMINDER_BATCH_SIZE)


@shared_task(name="tracker.tasks.sweep_reminders")
def sweep_reminders() -> int:
    result = sweep(now=timezone.now())
    enqueue_sends(result.to_send)
    return result.run.pk


# max_retries=None here, on the tasks: the row's give_up_after (REMINDER_MAX_ATTEMPTS) is the only
# limit. (Passed to retry() instead, None means Celery's default of 3, after which the row would
# wait for the sweep's pending timeout instead of its backoff.)
@shared_task(name="tracker.tasks.send_reminders", bind=True, max_retries=None)
def send_reminders(self, reminder_ids: list[int]) -> dict[str, int]:
    """Send a batch through one connection; retry only the rows that asked for it."""
    batch = delivery.deliver_batch(reminder_ids=reminder_ids, now=timezone.now())
    if batch.retry_ids:
        # A short countdown only (capped in settings): the sweep is the long-term safety net.
        raise self.retry(args=[batch.retry_ids], countdown=batch.retry_in)
    return batch.counts()


def enqueue_report(snapshot_id: int, language: str) -> None:
    """Have a worker lay out a long snapshot's PDF once the current transaction commits."""
    transaction.on_commit(functools.partial(render_report.delay, snapshot_id, language))


@shared_task(name="tracker.tasks.render_report")
def render_report(snapshot_id: int, language: str) -> bool:
    """Lay out and keep a snapshot's PDF; a second run finds it kept and does nothing."""
    return reports.lay_out_pdf(snapshot_id=snapshot_id, language=language, now=timezone.now())


# --- Webhooks -------------------------------------------------------------------------------------


def enqueue_webhooks(delivery_ids: Sequence[int]) -> None:
    """Hand webhook deliveries to the workers, WEBHOOK_BATCH_SIZE a task."""
    _enqueue(deliver_webhooks, delivery_ids, settings.WEBHOOK_BATCH_SIZE)


def on_deliveries_recorded(sender, delivery_ids: list[int], **kwargs) -> None:
    """webhooks.deliveries_recorded's listener (connected in apps.py): the transaction that
    recorded them has committed."""
    enqueue_webhooks(delivery_ids)


def _tell_owners(endpoint_ids: Sequence[int]) -> None:
    for endpoint_id in endpoint_ids:
        transaction.on_commit(functools.partial(tell_webhook_owner.delay, endpoint_id))


@shared_task(name="tracker.tasks.deliver_webhooks")
def deliver_webhooks(delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch; what is left to retry waits for the webhook sweep (no countdowns)."""
    result = webhook_sending.deliver_batch(delivery_ids=delivery_ids, now=timezone.now())
    enqueue_webhooks(result.follow_up_ids)
    _tell_owners(result.disabled_endpoint_ids)
    return result.counts()


@shared_task(name="tracker.tasks.sweep_webhooks")
def sweep_webhooks() -> int:
    result = webhook_sweep.sweep(now=timezone.now())
    enqueue_webhooks(result.due_ids)
    _tell_owners(result.untold_endpoint_ids)
    return len(result.due_ids)


@shared_task(name="tracker.tasks.tell_webhook_owner")
def tell_webhook_owner(endpoint_id: int) -> bool:
    return webhook_notices.tell_owner(endpoint_id=endpoint_id, now=timezone.now())

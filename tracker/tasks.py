"""Celery tasks: thin callers of the reminder sweep and of delivery. They take ids, are safe to run
twice, and are enqueued only once the rows they name are committed (enqueue_sends)."""

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

logger = logging.getLogger(__name__)


def batches(reminder_ids: Sequence[int]) -> Iterator[list[int]]:
    """The ids in batches of REMINDER_BATCH_SIZE: what one task sends through one connection."""
    size = settings.REMINDER_BATCH_SIZE
    for start in range(0, len(reminder_ids), size):
        yield list(reminder_ids[start : start + size])


def _hand_over(reminder_ids: list[int]) -> None:
    try:
        send_reminders.delay(reminder_ids)
    except Exception:
        # The rows stay pending; the sweep re-enqueues them once they are stale.
        logger.exception("Could not enqueue reminders %s; the sweep will retry them", reminder_ids)


def enqueue_sends(reminder_ids: Sequence[int]) -> None:
    """Hand the rows to the workers, a batch a task, once the current transaction commits (at
    once outside one), so a worker never looks for a row it cannot see yet."""
    for chunk in batches(reminder_ids):
        transaction.on_commit(functools.partial(_hand_over, chunk))


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

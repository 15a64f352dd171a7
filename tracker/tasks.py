"""Celery tasks: thin callers of reminders.py and delivery.py. They take ids and are safe to run
twice."""

from celery import shared_task
from django.utils import timezone

from . import delivery, reminders


@shared_task(name="tracker.tasks.sweep_reminders")
def sweep_reminders() -> int:
    return reminders.sweep(now=timezone.now()).run.pk


# max_retries=None here, on the tasks: the row's give_up_after (REMINDER_MAX_ATTEMPTS) is the only
# limit. (Passed to retry() instead, None means Celery's default of 3, after which the row would
# wait for the sweep's pending timeout instead of its backoff.)
@shared_task(name="tracker.tasks.send_reminders", bind=True, max_retries=None)
def send_reminders(self, reminder_ids: list[int]) -> dict[str, int]:
    """Send a batch (the sweep enqueues REMINDER_BATCH_SIZE ids a task) through one connection."""
    batch = delivery.deliver_batch(reminder_ids=reminder_ids, now=timezone.now())
    if batch.retry_ids:
        # Only the rows to try again, after the longest of their waits. A short countdown only
        # (capped in settings): the sweep is the long-term safety net.
        raise self.retry(args=[batch.retry_ids], countdown=batch.retry_in)
    return batch.counts()


@shared_task(name="tracker.tasks.send_reminder", bind=True, max_retries=None)
def send_reminder(self, reminder_id: int) -> str:
    """Send one row (messages queued before batches existed, and callers naming one row)."""
    outcome = delivery.deliver(reminder_id=reminder_id, now=timezone.now())
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.state

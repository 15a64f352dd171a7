"""Celery tasks: thin callers of reminders.py. They take ids and are safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import delivery, reminders


@shared_task(name="tracker.tasks.sweep_reminders")
def sweep_reminders() -> int:
    return reminders.sweep(now=timezone.now()).run.pk


@shared_task(name="tracker.tasks.send_reminder", bind=True)
def send_reminder(self, reminder_id: int) -> str:
    outcome = delivery.deliver(reminder_id=reminder_id, now=timezone.now())
    if outcome.retry_in is not None:
        # A short countdown only (capped in settings): the sweep is the long-term safety net.
        raise self.retry(countdown=outcome.retry_in, max_retries=None)
    return outcome.state

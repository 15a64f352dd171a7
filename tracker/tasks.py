"""Celery tasks: thin callers of reminders.py. They take ids and are safe to run twice."""

from celery import shared_task
from django.utils import timezone

from . import reminders


@shared_task(name="tracker.tasks.sweep_reminders")
def sweep_reminders() -> int:
    return reminders.sweep(now=timezone.now()).pk

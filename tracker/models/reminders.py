"""Reminder digests (one per recipient per local day, claimed before sent), used
one-click links, sweep runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    ReminderKind,
    ReminderState,
)
from .items import (
    ActionItem,
)


class Reminder(models.Model):
    """One digest to one recipient for one local day, claimed before it is sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    local_date = models.DateField(help_text=_("The recipient's local day this digest is for."))
    state = models.CharField(
        max_length=16, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    items = models.ManyToManyField(ActionItem, through="ReminderItem", related_name="reminders")
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a worker last took it to send.")
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    # Delivery bookkeeping (delivery.py). `attempts` counts the times a worker took the row to
    # send: each reached SMTP (one cut short by a dead worker included) unless the row ended
    # skipped. The sweep re-enqueues a pending row untouched for too long.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the next send is due (after a retry).")
    )
    send_before = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("End of the recipient's morning window; empty for a digest sent by hand."),
    )
    give_up_after = models.PositiveSmallIntegerField(
        default=8, help_text=_("Mark failed once attempts reach this number.")
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "local_date"], name="reminder_one_per_recipient_per_day"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_valid_state"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state="pending"),
                name="reminder_pending_idx",
            ),
            # The dashboard's count of pending and failed digests, on every view: a few rows
            # among years of sent ones.
            models.Index(
                fields=["state"],
                condition=Q(state__in=["pending", "failed"]),
                name="reminder_unsettled_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient} on {self.local_date} ({self.state})"


class ReminderItem(models.Model):
    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="entries")
    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="reminder_entries")
    kind = models.CharField(max_length=16, choices=ReminderKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reminder", "item"], name="reminder_item_once"),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_item_valid_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ({self.kind})"


class UsedLink(models.Model):
    """A one-click email link that has acted; its token hash is unique, so it acts only once."""

    token_hash = models.CharField(max_length=64, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="used_links"
    )
    item = models.ForeignKey(ActionItem, on_delete=models.CASCADE, related_name="used_links")
    action = models.CharField(max_length=16)
    used_at = models.DateTimeField()

    class Meta:
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.action} on {self.item_id} by {self.recipient_id} at {self.used_at}"


class SweepRun(models.Model):
    """When the reminder sweep last ran, so /healthz can tell a stopped beat."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    claimed = models.PositiveIntegerField(default=0)
    requeued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="sweep_started_idx")]

    def __str__(self) -> str:
        return f"Sweep at {self.started_at:%Y-%m-%d %H:%M}"

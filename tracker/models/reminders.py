"""Reminder digests (one per recipient per local day, claimed before sent), used
one-click links, sweep runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import formats
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
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    local_date = models.DateField(
        _("local date"), help_text=_("The recipient's local day this digest is for.")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    items = models.ManyToManyField(
        ActionItem, through="ReminderItem", related_name="reminders", verbose_name=_("items")
    )
    created_at = models.DateTimeField(_("created"))
    claimed_at = models.DateTimeField(
        _("claimed"), null=True, blank=True, help_text=_("When a worker last took it to send.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    # Delivery bookkeeping (delivery.py). `attempts` counts the times a worker took the row to
    # send: each reached SMTP (one cut short by a dead worker included) unless the row ended
    # skipped. The sweep re-enqueues a pending row untouched for too long.
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        help_text=_("When the next send is due (after a retry)."),
    )
    send_before = models.DateTimeField(
        _("send before"),
        null=True,
        blank=True,
        help_text=_("End of the recipient's morning window; empty for a digest sent by hand."),
    )
    give_up_after = models.PositiveSmallIntegerField(
        _("give up after"), default=8, help_text=_("Mark failed once attempts reach this number.")
    )

    class Meta:
        verbose_name = _("reminder digest")
        verbose_name_plural = _("reminder digests")
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
        return _("Digest for %(recipient)s on %(date)s (%(state)s)") % {
            "recipient": self.recipient,
            "date": formats.date_format(self.local_date, "DATE_FORMAT"),
            "state": self.get_state_display(),
        }


class ReminderItem(models.Model):
    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="entries", verbose_name=_("digest")
    )
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="reminder_entries",
        verbose_name=_("action item"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices)

    class Meta:
        verbose_name = _("digest entry")
        verbose_name_plural = _("digest entries")
        constraints = [
            models.UniqueConstraint(fields=["reminder", "item"], name="reminder_item_once"),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_item_valid_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ({self.kind})"


class PersonalSnooze(models.Model):
    """One person's reminders about one item held until a time: what "Snooze" from a digest
    does. The item's other owners and its coordinator still hear of it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="snoozes",
        verbose_name=_("person"),
    )
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="personal_snoozes",
        verbose_name=_("item"),
    )
    until = models.DateTimeField(_("snoozed until"))

    class Meta:
        verbose_name = _("personal snooze")
        verbose_name_plural = _("personal snoozes")
        constraints = [
            models.UniqueConstraint(fields=["user", "item"], name="personal_snooze_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} snoozed {self.item_id} until {self.until:%Y-%m-%d}"


class UsedLink(models.Model):
    """A one-click email link that has acted; its token hash is unique, so it acts only once."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="used_links",
        verbose_name=_("recipient"),
    )
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="used_links",
        verbose_name=_("action item"),
    )
    action = models.CharField(_("action"), max_length=16)
    used_at = models.DateTimeField(_("used"))

    class Meta:
        verbose_name = _("used email link")
        verbose_name_plural = _("used email links")
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.action} on {self.item_id} by {self.recipient_id} at {self.used_at}"


class SweepRun(models.Model):
    """When the reminder sweep last ran, so /healthz can tell a stopped beat."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    claimed = models.PositiveIntegerField(_("digests claimed"), default=0)
    requeued = models.PositiveIntegerField(_("digests queued again"), default=0)

    class Meta:
        verbose_name = _("reminder sweep")
        verbose_name_plural = _("reminder sweeps")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="sweep_started_idx")]

    def __str__(self) -> str:
        return f"Sweep at {self.started_at:%Y-%m-%d %H:%M}"

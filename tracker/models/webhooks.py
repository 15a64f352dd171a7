"""Webhook endpoints, the events recorded for them, and one delivery row per (event, endpoint),
claimed in the database before it is sent, like a reminder digest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .items import ActionItem


class EventType(models.TextChoices):
    ITEM_CREATED = "item.created", _("Item created")
    STATUS_CHANGED = "item.status_changed", _("Status changed")
    DUE_DATE_CHANGED = "item.due_date_changed", _("Due date changed")
    OVERDUE = "item.overdue", _("Item overdue")
    UPDATE_POSTED = "item.update_posted", _("Update posted")


class Audience(models.TextChoices):
    """Which edition of the items an endpoint receives: the markings releasable to it are
    decided in releasability.py."""

    ALL = "all", _("Releasable to all only")
    US = "us", _("U.S. edition")
    KR = "kr", _("ROK edition")
    US_KR = "us-kr", _("U.S.-ROK edition")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Delivered")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (no longer releasable)")


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        verbose_name=_("owner"),
    )
    url = models.URLField(max_length=500, verbose_name=_("URL"))
    description = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    secret = models.CharField(max_length=100, verbose_name=_("signing secret"))
    events = models.JSONField(default=list, verbose_name=_("events"))
    audience = models.CharField(
        max_length=8, choices=Audience.choices, default=Audience.ALL, verbose_name=_("audience")
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    created_at = models.DateTimeField(verbose_name=_("created"))
    # The current run of failures: when it began, how long it is, and when to try again.
    failing_since = models.DateTimeField(null=True, blank=True, verbose_name=_("failing since"))
    failures = models.PositiveIntegerField(default=0, verbose_name=_("failures in a row"))
    next_try_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next try"))
    disabled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("turned off"))
    disabled_reason = models.CharField(max_length=300, blank=True, verbose_name=_("why"))
    owner_told_at = models.DateTimeField(null=True, blank=True, verbose_name=_("owner told"))

    class Meta:
        ordering = ["url", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.CheckConstraint(
                condition=Q(audience__in=Audience.values), name="webhook_endpoint_valid_audience"
            ),
        ]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """Something that happened to an item, recorded in the transaction that made it happen.

    `message_id` is the `webhook-id` every delivery of it carries (the same on each retry), so
    a receiver can drop a second copy. `payload` is the signed body, fixed at recording."""

    message_id = models.CharField(max_length=40, unique=True, verbose_name="webhook-id")
    type = models.CharField(max_length=32, choices=EventType.choices, verbose_name=_("event"))
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="webhook_events",
        verbose_name=_("action item"),
    )
    # The item's marking when the event happened.
    marking = models.CharField(max_length=16, verbose_name=_("releasability"))
    payload = models.TextField(verbose_name=_("payload"))
    created_at = models.DateTimeField(verbose_name=_("created"))
    # Set where an event must happen once only (an item overdue for a given due date).
    once_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        constraints = [
            models.CheckConstraint(
                condition=Q(type__in=EventType.values), name="webhook_event_valid_type"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class WebhookDelivery(models.Model):
    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("webhook endpoint"),
    )
    state = models.CharField(
        max_length=16,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
        verbose_name=_("state"),
    )
    created_at = models.DateTimeField(verbose_name=_("created"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    last_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last attempt"))
    next_attempt_at = models.DateTimeField(null=True, blank=True, verbose_name=_("next attempt"))
    retry_until = models.DateTimeField(
        verbose_name=_("retried until"), help_text=_("Retries stop after this moment.")
    )
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered"))
    last_status = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("last answer")
    )
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("last error"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once"),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="webhook_delivery_valid_state"
            ),
        ]
        indexes = [
            # The sweep: pending rows whose time has come.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_delivery_due_idx",
            ),
            models.Index(fields=["endpoint", "state"], name="webhook_delivery_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id} ({self.state})"

"""Webhook endpoints (coordinators register their own) and the delivery log, with replay.

A coordinator sees and changes only their own endpoints and their deliveries (a superuser sees
all); a delivery of an item the viewer may not see is not listed at all. The rules are in
tracker/webhooks/ (endpoints.py decides what may be registered).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy, ngettext

from tracker import roles
from tracker.models import EventType, WebhookDelivery, WebhookEndpoint
from tracker.releasability import visible_filter
from tracker.tasks import enqueue_webhooks
from tracker.webhooks import endpoints as endpoint_rules


class EndpointForm(forms.ModelForm):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=gettext_lazy("events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "audience", "active"]

    def clean(self):
        data = super().clean()
        owner = self.instance.owner if self.instance.pk else self.editor
        problems = endpoint_rules.endpoint_problems(
            owner=owner,
            url=data.get("url") or "",
            events=data.get("events") or [],
            audience=data.get("audience") or "",
        )
        for field, message in problems.items():
            self.add_error(field if field in self.fields else None, message)
        return data


class CoordinatorsOnly:
    """Coordinators' pages: each sees their own rows; a superuser sees every row."""

    def has_module_permission(self, request) -> bool:
        return roles.is_coordinator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return roles.is_coordinator(request.user)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(CoordinatorsOnly, admin.ModelAdmin):
    form = EndpointForm
    list_display = ["url", "owner", "audience", "active", "failing_since", "disabled_at"]
    list_filter = ["active", "audience"]
    list_select_related = ["owner"]
    search_fields = ["url", "description"]
    readonly_fields = [
        "owner",
        "secret",
        "created_at",
        "failing_since",
        "failures",
        "next_try_at",
        "disabled_at",
        "disabled_reason",
        "owner_told_at",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(owner=request.user)

    def has_add_permission(self, request) -> bool:
        return roles.is_coordinator(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return roles.is_coordinator(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return roles.is_coordinator(request.user)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ["owner"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user})

    def save_model(self, request, obj, form, change):
        endpoint_rules.save_endpoint(endpoint=obj, by=request.user, now=timezone.now())


@admin.action(description=gettext_lazy("Send again (replay)"), permissions=["replay"])
def replay(modeladmin, request, queryset):
    ids = endpoint_rules.replay(
        delivery_ids=list(queryset.values_list("pk", flat=True)), now=timezone.now()
    )
    enqueue_webhooks(ids)
    left = queryset.count() - len(ids)
    text = ngettext(
        "%(count)d delivery queued again.", "%(count)d deliveries queued again.", len(ids)
    ) % {"count": len(ids)}
    modeladmin.message_user(request, text, messages.SUCCESS)
    if left:
        text = ngettext(
            "%(count)d delivery is to an endpoint turned off, and was left as it is.",
            "%(count)d deliveries are to an endpoint turned off, and were left as they are.",
            left,
        ) % {"count": left}
        modeladmin.message_user(request, text, messages.WARNING)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(CoordinatorsOnly, admin.ModelAdmin):
    list_display = [
        "created_at",
        "endpoint",
        "event_type",
        "item_key",
        "state",
        "attempts",
        "last_status",
        "delivered_at",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = ["state", "event__type"]
    list_select_related = ["endpoint", "event__item"]
    search_fields = ["event__message_id", "event__item__key"]
    show_full_result_count = False
    actions = [replay]
    fields = [
        "endpoint",
        "event_type",
        "item_key",
        "message_id",
        "state",
        "attempts",
        "created_at",
        "last_attempt_at",
        "next_attempt_at",
        "retry_until",
        "delivered_at",
        "last_status",
        "last_error",
        "payload",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = (
            super()
            .get_queryset(request)
            .filter(visible_filter(request.user, prefix="event__item__"))
        )
        if request.user.is_superuser:
            return queryset
        return queryset.filter(endpoint__owner=request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_replay_permission(self, request) -> bool:
        return roles.is_coordinator(request.user)

    @admin.display(description=gettext_lazy("event"), ordering="event__type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.get_type_display()

    @admin.display(description=gettext_lazy("item"))
    def item_key(self, delivery: WebhookDelivery) -> str:
        return delivery.event.item.key

    @admin.display(description=gettext_lazy("webhook-id"))
    def message_id(self, delivery: WebhookDelivery) -> str:
        return delivery.event.message_id

    @admin.display(description=gettext_lazy("payload"))
    def payload(self, delivery: WebhookDelivery) -> str:
        return delivery.event.payload

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, delivery: WebhookDelivery) -> str:
        return Truncator(delivery.last_error).chars(80)

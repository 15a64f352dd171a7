"""Telling an endpoint's owner that it was turned off, by email in their language."""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from tracker.models import WebhookEndpoint


def build_notice(endpoint: WebhookEndpoint) -> EmailMultiAlternatives:
    owner = endpoint.owner
    profile = getattr(owner, "profile", None)
    language = profile.language if profile else settings.LANGUAGE_CODE
    path = reverse("admin:tracker_webhookendpoint_change", args=[endpoint.pk])
    context = {
        "user": owner,
        "endpoint": endpoint,
        "url": settings.SITE_URL + path,
        "hours": math.ceil(settings.WEBHOOK_DISABLE_AFTER_HOURS),
        "language": language,
    }
    with translation.override(language):
        subject = render_to_string("tracker/email/webhook_disabled_subject.txt", context)
        text = render_to_string("tracker/email/webhook_disabled.txt", context)
        html = render_to_string("tracker/email/webhook_disabled.html", context)
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text, to=[owner.email])
    message.attach_alternative(html, "text/html")
    return message


def tell_owner(*, endpoint_id: int, now: dt.datetime) -> bool:
    """Email the owner of a turned-off endpoint, once it is sent mark them told; whether a
    message went. Nothing for an endpoint that is on again, told already, or an owner without
    an address. A crash between the send and the mark sends it again (at least once)."""
    endpoint = (
        WebhookEndpoint.objects.select_related("owner__profile")
        .filter(pk=endpoint_id, active=False, owner_told_at__isnull=True)
        .first()
    )
    if endpoint is None:
        return False
    if endpoint.owner.email:
        build_notice(endpoint).send(fail_silently=False)
    WebhookEndpoint.objects.filter(pk=endpoint_id, owner_told_at__isnull=True).update(
        owner_told_at=now
    )
    return bool(endpoint.owner.email)

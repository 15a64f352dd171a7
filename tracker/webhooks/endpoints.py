"""Registering webhook endpoints: who may, which URLs, which events and audience; their secrets.

Coordinators register endpoints (in the admin). An endpoint's audience may not reach beyond its
owner's own clearances, and its URL must be one the server may post to: HTTPS on a public
address unless settings allow plain HTTP or private addresses (a test bench, a private network).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import secrets
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from tracker import roles
from tracker.models import Audience, DeliveryState, EventType, WebhookDelivery, WebhookEndpoint
from tracker.releasability import may_register_audience

SECRET_PREFIX = "whsec_"


class EndpointRefused(Exception):
    """Why an endpoint cannot be registered or changed; `problems` maps field to message."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _private(host: str) -> bool:
    """Whether `host` is, or resolves to, an address that is not public (loopback, private,
    link-local: a cloud's metadata service, the server itself)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False  # unknown today: posting to it fails and is retried like any failure
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            return True
    return False


def url_problem(url: str) -> str | None:
    """Why the server may not post to `url`, or None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return _("Enter an http or https address.")
    if parts.scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        return _("Use an https address: events carry item text.")
    if parts.username or parts.password:
        return _("Leave credentials out of the address: the signature proves the sender.")
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and _private(parts.hostname):
        return _("That address is on a private network or the server itself.")
    return None


def endpoint_problems(*, owner, url: str, events: list[str], audience: str) -> dict[str, str]:
    """What is wrong with an endpoint `owner` wants, by field; empty when nothing is."""
    problems: dict[str, str] = {}
    if not roles.is_coordinator(owner):
        problems["owner"] = _("Only a coordinator may register a webhook endpoint.")
    if message := url_problem(url):
        problems["url"] = message
    if not events or any(e not in EventType.values for e in events):
        problems["events"] = _("Choose at least one of the events offered.")
    if audience not in Audience.values:
        problems["audience"] = _("Choose one of the audiences offered.")
    elif not may_register_audience(owner, audience):
        problems["audience"] = _(
            "You are not cleared for every marking this audience receives: choose a narrower one."
        )
    return problems


def save_endpoint(*, endpoint: WebhookEndpoint, by, now: dt.datetime) -> WebhookEndpoint:
    """Save a new or changed endpoint (the admin's form): refused with EndpointRefused when
    `endpoint_problems` finds anything. A new one belongs to `by`, with a fresh secret; one
    turned back on forgets its run of failures and is tried at once."""
    owner = endpoint.owner if endpoint.pk else by
    problems = endpoint_problems(
        owner=owner, url=endpoint.url, events=endpoint.events, audience=endpoint.audience
    )
    if problems:
        raise EndpointRefused(problems)
    if endpoint.pk is None:
        endpoint.owner, endpoint.secret, endpoint.created_at = by, new_secret(), now
    elif endpoint.active and endpoint.disabled_at is not None:
        reset_failures(endpoint)
    endpoint.save()
    return endpoint


def register_endpoint(
    *, owner, url: str, events: list[str], audience: str, description: str = "", now: dt.datetime
) -> WebhookEndpoint:
    """A new active endpoint for `owner`, with a fresh secret; EndpointRefused says why not."""
    endpoint = WebhookEndpoint(
        url=url, events=list(events), audience=audience, description=description
    )
    return save_endpoint(endpoint=endpoint, by=owner, now=now)


def reset_failures(endpoint: WebhookEndpoint) -> None:
    """Forget the endpoint's run of failures (on its owner's turning it back on): deliveries are
    tried again at once. The caller saves it."""
    endpoint.failing_since = None
    endpoint.failures = 0
    endpoint.next_try_at = None
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.owner_told_at = None


def disable(*, endpoint_id: int, now: dt.datetime, reason: str) -> bool:
    """Turn the endpoint off (if it is still on) and fail its pending deliveries: it gets nothing
    more until its owner turns it back on. Whether this call turned it off."""
    turned_off = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True).update(
        active=False, disabled_at=now, disabled_reason=reason[:300], owner_told_at=None
    )
    if turned_off:
        WebhookDelivery.objects.filter(endpoint_id=endpoint_id, state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED, claimed_at=None, last_error=reason[:500]
        )
    return bool(turned_off)


def replay(*, delivery_ids: list[int], now: dt.datetime) -> list[int]:
    """Send the deliveries again (a receiver lost them, or has been fixed): each becomes pending,
    due now, with a fresh day of retries; the ids to hand to a worker. Deliveries to an endpoint
    that is turned off are left as they are (it gets nothing more); releasability is checked
    again when each is sent."""
    rows = WebhookDelivery.objects.filter(pk__in=delivery_ids, endpoint__active=True)
    ids = list(rows.values_list("pk", flat=True))
    WebhookDelivery.objects.filter(pk__in=ids).update(
        state=DeliveryState.PENDING,
        next_attempt_at=now,
        retry_until=now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
        claimed_at=None,
        last_error="",
    )
    return ids

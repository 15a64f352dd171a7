"""Which address a sign-in attempt comes from, for django-axes' lockout (settings.AXES_*).

Behind `TRUSTED_PROXY_COUNT` reverse proxies, REMOTE_ADDR is the nearest proxy for everyone: a
lockout keyed on it would lock a username for every client at once. Each proxy appends the
address it saw to X-Forwarded-For, so the client is the entry the outermost proxy wrote, counted
from the right; entries further left were written by the client itself and are ignored, so a
made-up header cannot dodge a lockout.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address as the outermost trusted proxy saw it (REMOTE_ADDR without proxies).

    A request that did not pass through every proxy (too few forwarded entries), or whose entry
    is not an address, is keyed on REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote

"""The HTTP side of a delivery: one httpx client per worker process (connections to each
receiver kept alive between tasks), short timeouts, no redirects, and an answer classified.

A receiver that is slow to connect, to read the body or to answer is cut off after
WEBHOOK_CONNECT_TIMEOUT_SECONDS / WEBHOOK_TIMEOUT_SECONDS (httpx's timeouts apply to each
phase); at most WEBHOOK_MAX_ANSWER_BYTES of its answer are read. The task's soft time limit is
the outer bound for a receiver that trickles bytes to dodge the per-read timeout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

WEBHOOK_MAX_ANSWER_BYTES = 64 * 1024
USER_AGENT = "recommendations-tracker-webhooks/1"

_client: httpx.Client | None = None
_client_pid: int | None = None


@dataclass(frozen=True)
class Answer:
    """How a receiver answered: `ok` (2xx), or whether the failure is worth retrying."""

    ok: bool
    retry: bool
    status: int | None
    detail: str


def client() -> httpx.Client:
    """This process's client (a forked worker makes its own: sockets are not shared)."""
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        _client = httpx.Client(
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc from the worker's environment
            headers={"user-agent": USER_AGENT},
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        _client_pid = os.getpid()
    return _client


def classify(status: int) -> Answer:
    if 200 <= status < 300:
        return Answer(ok=True, retry=False, status=status, detail="")
    detail = _("The receiver answered %(status)d.") % {"status": status}
    # Timeouts and server errors are worth another try; a refusal or a redirect is not.
    retry = status >= 500 or status in (408, 429)
    return Answer(ok=False, retry=retry, status=status, detail=detail)


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url`; never raises for anything the receiver or the network does."""
    try:
        timeout = httpx.Timeout(
            settings.WEBHOOK_TIMEOUT_SECONDS, connect=settings.WEBHOOK_CONNECT_TIMEOUT_SECONDS
        )
        with client().stream(
            "POST", url, content=body, headers=headers, timeout=timeout
        ) as response:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read > WEBHOOK_MAX_ANSWER_BYTES:
                    break
            return classify(response.status_code)
    except httpx.TimeoutException:
        return Answer(ok=False, retry=True, status=None, detail=_("The receiver timed out."))
    except httpx.HTTPError as error:
        detail = _("Could not reach the receiver (%(error)s).") % {"error": type(error).__name__}
        return Answer(ok=False, retry=True, status=None, detail=detail)

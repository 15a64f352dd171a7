"""One-click links in reminder digests: "still on track" and "snooze 7 days".

A link carries a signed token bound to one recipient, one item and one action, with the time it
was issued. A GET only shows a confirmation page, so mail scanners that follow links change
nothing; the POST from that page acts once (the token's hash is stored) as the recipient,
through workflow.py. Tampered, expired, reused and other people's links say so and change nothing.
The page itself is tracker/views/links.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import workflow
from .models import ActionItem, UsedLink
from .releasability import can_see

SALT = "tracker.reminders.link"
ON_TRACK = "on-track"
SNOOZE = "snooze"
SNOOZE_DAYS = 7
ACTIONS = {
    ON_TRACK: _("Mark this item as still on track"),
    SNOOZE: _("Snooze this item's reminders for 7 days"),
}
CLOCK_SKEW = dt.timedelta(minutes=5)


def item_url(item: ActionItem) -> str:
    """The item page (behind the login)."""
    return settings.SITE_URL + reverse("tracker:item_detail", kwargs={"key": item.key})


def make_token(
    *, recipient_id: int, item_id: int, action: str, now: dt.datetime, signer=None
) -> str:
    payload = {"r": recipient_id, "i": item_id, "a": action, "t": int(now.timestamp())}
    return (signer or signing.Signer(salt=SALT)).sign_object(payload)


class DigestLinks:
    """The URLs in one digest, all signed by one signer for its recipient."""

    def __init__(self, *, recipient_id: int, now: dt.datetime):
        self.recipient_id, self.now = recipient_id, now
        self._signer = signing.Signer(salt=SALT)

    def action(self, *, item_id: int, action: str) -> str:
        token = make_token(
            recipient_id=self.recipient_id,
            item_id=item_id,
            action=action,
            now=self.now,
            signer=self._signer,
        )
        return settings.SITE_URL + reverse("tracker:reminder-link", kwargs={"token": token})

    def item(self, item: ActionItem) -> str:
        """The item page (behind the login)."""
        return item_url(item)


class LinkRefused(Exception):
    """The link cannot act; the message (lazy: shown in the page's language) is for its holder."""

    def __init__(self, message, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Link:
    recipient: object
    item: ActionItem
    action: str
    token_hash: str


def _payload(token: str) -> dict:
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        payload = None
    fields_ok = isinstance(payload, dict) and all(
        isinstance(payload.get(k), int) for k in ("r", "i", "t")
    )
    if not fields_ok or payload.get("a") not in ACTIONS:
        raise LinkRefused(_("This link is not valid: it may have been altered or cut."), 400)
    return payload


def read_link(*, token: str, now: dt.datetime) -> Link:
    """The link's recipient, item and action, or LinkRefused saying why not."""
    payload = _payload(token)
    issued = dt.datetime.fromtimestamp(payload["t"], tz=dt.UTC)
    if issued > now + CLOCK_SKEW:
        raise LinkRefused(
            _("This link is not valid yet: it was made for a later time. Open the item instead."),
            400,
        )
    if now - issued > dt.timedelta(days=settings.REMINDER_LINK_MAX_AGE_DAYS):
        raise LinkRefused(_("This link has expired. Open the item to update it."), 410)
    recipient = (
        get_user_model()
        .objects.filter(pk=payload["r"], is_active=True)
        .select_related("profile")
        .first()
    )
    item = ActionItem.objects.filter(pk=payload["i"]).first()
    if recipient is None or item is None or not can_see(recipient, item):
        raise LinkRefused(_("This item is not available."), 404)
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    if UsedLink.objects.filter(token_hash=token_hash).exists():
        raise LinkRefused(_("This link has already been used; it works once."), 410)
    return Link(recipient=recipient, item=item, action=payload["a"], token_hash=token_hash)


def use_link(*, link: Link, now: dt.datetime) -> str:
    """Act once, as the recipient; returns what was done. Refusals change nothing."""
    try:
        with transaction.atomic():
            UsedLink.objects.create(
                token_hash=link.token_hash,
                recipient=link.recipient,
                item=link.item,
                action=link.action,
                used_at=now,
            )
            if link.action == ON_TRACK:
                workflow.mark_on_track(item=link.item, by=link.recipient, now=now)
                return _("Recorded: the item is still on track.")
            workflow.snooze(
                item=link.item, by=link.recipient, days=SNOOZE_DAYS, now=now, for_everyone=False
            )
            return _(
                "Snoozed: you will hear nothing of this item for %(n)d days; its other owners "
                "still will."
            ) % {"n": SNOOZE_DAYS}
    except IntegrityError as exc:
        raise LinkRefused(_("This link has already been used; it works once."), 410) from exc
    except workflow.WorkflowError as exc:
        raise LinkRefused(str(exc), 409) from exc

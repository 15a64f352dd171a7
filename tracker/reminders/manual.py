"""What coordinators do by hand from the admin: send today's digest now, retry failed ones.

Both return the ids of the rows to send; the admin action hands them to delivery once committed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tracker.models import ActionItem, Reminder, ReminderKind, ReminderState
from tracker.releasability import can_see, visible_items

from .calendar import recipient_zone
from .policy import DUE_SOON_MARKS, worst_first
from .sweep import DigestPlan, claim_digests


@dataclass
class SendNowResult:
    reminder_ids: list[int] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return len(self.reminder_ids)


def _manual_kind(item: ActionItem, today: dt.date) -> str:
    if item.is_overdue(today):
        return ReminderKind.OVERDUE
    if item.due_date is not None and (item.due_date - today).days <= max(DUE_SOON_MARKS):
        return ReminderKind.DUE_SOON
    return ReminderKind.FOLLOW_UP


def _owners_of(items: list[ActionItem], result: SendNowResult) -> dict[int, tuple]:
    """{user id: (user, their items)} for the active owners and co-owners who may see each
    open item; what is left out is noted in `result.skipped` with the reason."""
    by_user: dict[int, tuple] = {}
    for item in items:
        if not item.is_open:
            result.skipped.append((item.key, _("closed")))
            continue
        owners = [u for u in [item.owner, *item.co_owners.all()] if u is not None and u.is_active]
        if not owners:
            result.skipped.append((item.key, _("no owner")))
        for user in owners:
            if not can_see(user, item):
                reason = _("%(user)s may not see it") % {"user": user.get_username()}
                result.skipped.append((item.key, reason))
                continue
            by_user.setdefault(user.pk, (user, []))[1].append(item)
    return by_user


_EXISTING_REASON = {
    ReminderState.SENT: gettext_noop("%(user)s: today's digest was already sent"),
    ReminderState.PENDING: gettext_noop("%(user)s: today's digest is already queued"),
    ReminderState.FAILED: gettext_noop(
        "%(user)s: today's digest failed; retry it from the reminder log"
    ),
    ReminderState.SKIPPED: gettext_noop("%(user)s: today's digest was skipped"),
}


def send_now(*, item_ids: list[int], by, now: dt.datetime) -> SendNowResult:
    """Claim today's digest for each owner and co-owner of the items, now, outside the window.

    Still one digest per recipient per local day: if that day's row exists, the items are
    listed in `skipped` with the reason. Items `by` may not see are reported as not found.
    """
    result = SendNowResult()
    items = list(
        visible_items(by)
        .filter(pk__in=item_ids)
        .select_related("owner__profile")
        .prefetch_related("co_owners__profile")
    )
    for missing in sorted(set(item_ids) - {item.pk for item in items}):
        result.skipped.append((f"#{missing}", _("not found")))
    for user, user_items in _owners_of(items, result).values():
        today = now.astimezone(recipient_zone(user)).date()
        entries = worst_first([(item, _manual_kind(item, today)) for item in user_items])
        claimed = claim_digests(plans=[DigestPlan(user, today, None, entries)], now=now)
        if claimed:
            result.reminder_ids.extend(claimed)
            continue
        existing = Reminder.objects.get(recipient=user, local_date=today)
        reason = _(_EXISTING_REASON[existing.state]) % {"user": user.get_username()}
        result.skipped.extend((item.key, reason) for item in user_items)
    return result


def retry_failed(*, reminder_ids: list[int], now: dt.datetime) -> list[int]:
    """Put failed rows back to pending; returns their ids, to enqueue once committed.

    Attempts and the last error are kept for the log; each row gets a fresh budget of
    REMINDER_MAX_ATTEMPTS and no window (a coordinator asked for it explicitly).
    """
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update()
            .filter(pk__in=reminder_ids, state=ReminderState.FAILED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        Reminder.objects.filter(pk__in=ids).update(
            state=ReminderState.PENDING,
            claimed_at=None,
            next_attempt_at=now,
            send_before=None,
            give_up_after=F("attempts") + settings.REMINDER_MAX_ATTEMPTS,
        )
    return ids

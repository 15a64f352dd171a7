"""When an item next needs an update: a cadence after its last one, never inside a snooze.

Every open item has a next follow-up time; "follow-up due" (models.follow_up_due_q,
ActionItem.is_follow_up_due) and the reminders read only that field.
"""

from __future__ import annotations

import datetime as dt

from .models import OPEN_STATUSES, ActionItem


def next_follow_up(*, item: ActionItem, now: dt.datetime) -> dt.datetime | None:
    """When the item next needs an update: a cadence after `now`, never inside a snooze."""
    if item.status not in OPEN_STATUSES:
        return None
    due = now + dt.timedelta(days=item.cadence_days)
    if item.snoozed_until and item.snoozed_until > due:
        return item.snoozed_until
    return due


def start_follow_up(*, item: ActionItem, now: dt.datetime) -> None:
    """A new open item's first follow-up: a cadence after it is made (the caller saves it).

    Every open item has a next follow-up time; "follow-up due" (models.follow_up_due_q) and the
    reminders read only that field."""
    if item.next_follow_up_at is None:
        item.next_follow_up_at = next_follow_up(item=item, now=now)

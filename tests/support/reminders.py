"""Times, people and shortcuts the reminder tests share.

An ordinary working week: Monday 7 to Friday 11 December 2026, no holiday in either country.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from tracker.delivery import Outcome, deliver_batch
from tracker.models import Reminder
from tracker.reminders.sweep import plan_digests, sweep

UTC = dt.UTC
NY = zoneinfo.ZoneInfo("America/New_York")
SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
MON = dt.date(2026, 12, 7)
NY_MON_MORNING = dt.datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # 09:30 in New York
SEOUL_MON_MORNING = dt.datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # 09:30 in Seoul
FAR = dt.datetime(2027, 6, 1, tzinfo=UTC)


def day(n: int) -> dt.date:
    return MON + dt.timedelta(days=n)


def at(year, month, dd, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, dd, hour, minute, tzinfo=UTC)


def planned(now: dt.datetime) -> dict:
    """Who the sweep would send a digest to at `now`: username -> plan."""
    return {plan.recipient.username: plan for plan in plan_digests(now=now)}


def swept(now: dt.datetime) -> list[Reminder]:
    """The rows one sweep at `now` claims (nothing enqueued: tests send them themselves)."""
    return list(Reminder.objects.filter(pk__in=sweep(now=now).claimed_ids).order_by("pk"))


def claim_one(now: dt.datetime = NY_MON_MORNING) -> Reminder:
    return swept(now)[0]


def deliver(reminder_id: int, now: dt.datetime) -> Outcome:
    """Deliver one row as a batch of one: its outcome."""
    return deliver_batch(reminder_ids=[reminder_id], now=now).outcomes[reminder_id]

"""What coordinators do by hand: send today's digest now, retry failed ones."""

from __future__ import annotations

import datetime as dt

from tests.support.reminders import NY_MON_MORNING, at, claim_one, day
from tracker import roles
from tracker.models import Marking, Reminder, ReminderState, Status
from tracker.reminders.manual import retry_failed, send_now


def test_send_now_claims_todays_digest_for_every_owner_regardless_of_the_window(
    item_factory, owner, kr_owner, coordinator
):
    item = item_factory("x", owner=owner, co_owners=[kr_owner], due_date=day(60))
    evening = at(2026, 12, 7, 23, 0)  # 18:00 in New York, 08:00 in Seoul
    result = send_now(item_ids=[item.pk], by=coordinator, now=evening)
    assert result.sent == 2 and result.skipped == []
    rows = Reminder.objects.order_by("recipient__username")
    assert [(r.recipient.username, r.local_date) for r in rows] == [
        ("ny-owner", dt.date(2026, 12, 7)),
        ("seoul-owner", dt.date(2026, 12, 8)),
    ]
    assert all(r.send_before is None for r in rows)


def test_send_now_says_why_it_skipped(item_factory, owner, user_factory, coordinator):
    uncleared = user_factory("uncleared", role=roles.OWNERS)
    sent_today = item_factory("sent-today", owner=owner, due_date=day(-1))
    claim_one()
    Reminder.objects.update(state=ReminderState.SENT)
    closed = item_factory("closed", owner=owner, status=Status.IMPLEMENTED)
    orphan = item_factory("orphan")
    secret = item_factory("secret", owner=owner, co_owners=[uncleared], marking=Marking.KR_ONLY)
    result = send_now(
        item_ids=[sent_today.pk, closed.pk, orphan.pk, secret.pk, 999999],
        by=coordinator,
        now=NY_MON_MORNING,
    )
    reasons = dict(result.skipped)
    assert result.sent == 0
    assert "already sent" in reasons["sent-today"]
    assert reasons["closed"] == "closed" and reasons["orphan"] == "no owner"
    assert "may not see" in reasons["secret"] and reasons["#999999"] == "not found"


def test_send_now_ignores_items_the_coordinator_may_not_see(item_factory, owner, user_factory):
    plain = user_factory("plain-coord", role=roles.COORDINATORS)
    secret = item_factory("secret", owner=owner, marking=Marking.US_ONLY)
    result = send_now(item_ids=[secret.pk], by=plain, now=NY_MON_MORNING)
    assert result.sent == 0 and result.skipped == [(f"#{secret.pk}", "not found")]
    assert not Reminder.objects.exists()


def test_retry_failed_puts_failed_rows_back_with_a_fresh_budget(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(state=ReminderState.FAILED, attempts=8, last_error="550 no such user")
    ids = retry_failed(reminder_ids=[row.pk], now=NY_MON_MORNING)
    row.refresh_from_db()
    assert ids == [row.pk]
    assert (row.state, row.attempts, row.last_error) == ("pending", 8, "550 no such user")
    assert row.give_up_after == 16 and row.send_before is None
    assert retry_failed(reminder_ids=[row.pk], now=NY_MON_MORNING) == []

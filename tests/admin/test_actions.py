"""Bulk actions: a confirmation page, then each item through the workflow, and a plain result."""

import datetime as dt

from django.contrib.messages import get_messages

from tests.conftest import KR_CLEARANCES
from tests.support.admin import CHANGELIST, text_of
from tracker import roles
from tracker.models import ActionItem, Marking, Status, StatusUpdate


def choose(client, action: str, items, **fields):
    """The first step: pick items and an action on the list."""
    data = {"action": action, "_selected_action": [i.pk for i in items], "index": 0}
    return client.post(CHANGELIST, {**data, **fields})


def apply(client, action: str, items, **fields):
    """The confirmation page's submit."""
    data = {"action": action, "_selected_action": [i.pk for i in items], "apply": "1"}
    return client.post(CHANGELIST, {**data, **fields}, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_closing_items_in_bulk_asks_for_a_note_first(as_coordinator, item_factory):
    items = [item_factory(status=Status.IN_PROGRESS) for _ in range(2)]
    page = choose(as_coordinator, "change_status", items)
    assert page.status_code == 200
    assert "Change status" in text_of(page) and items[0].key in text_of(page)
    refused = apply(as_coordinator, "change_status", items, to_status="implemented", note="")
    assert "A note is required, saying why: this closes or reopens" in text_of(refused)
    assert all(item.key in text_of(refused).split("closes or reopens")[1] for item in items)
    assert set(ActionItem.objects.values_list("status", flat=True)) == {Status.IN_PROGRESS}


def test_a_bulk_status_change_says_how_many_changed_and_why_others_did_not(
    as_coordinator, item_factory
):
    moving = item_factory("moving", status=Status.NOT_STARTED)
    blocked = item_factory("blocked", status=Status.BLOCKED)
    response = apply(
        as_coordinator, "change_status", [moving, blocked], to_status="blocked", note="waiting"
    )
    text = messages_of(response)
    assert "1 item changed." in text
    assert any("blocked: The item is already in that status." in m for m in text)
    moving.refresh_from_db()
    assert moving.status == Status.BLOCKED
    assert StatusUpdate.objects.get(item=moving).note == "waiting"


def test_reassigning_skips_items_the_new_owner_may_not_see(
    as_coordinator, item_factory, user_factory
):
    korean = user_factory("kr-owner", role=roles.OWNERS, clearances=KR_CLEARANCES)
    shared = item_factory("shared")
    us_only = item_factory("us-only-item", marking=Marking.US_ONLY)
    response = apply(
        as_coordinator, "reassign_owner", [shared, us_only], owner=korean.pk, role="keep"
    )
    text = messages_of(response)
    assert "1 item changed." in text
    assert any("us-only-item: kr-owner may not see items marked" in m for m in text)
    assert ActionItem.objects.get(key="shared").owner == korean
    assert ActionItem.objects.get(key="us-only-item").owner is None


def test_snoozing_holds_follow_ups_and_skips_closed_items(as_coordinator, item_factory):
    open_item = item_factory("open-one")
    closed = item_factory("closed-one", status=Status.IMPLEMENTED)
    page = choose(as_coordinator, "snooze_follow_up", [open_item, closed])
    assert 'name="days"' in text_of(page)
    response = apply(as_coordinator, "snooze_follow_up", [open_item, closed], days=10)
    assert "1 item changed." in messages_of(response)
    open_item.refresh_from_db()
    assert open_item.snoozed_until.date() >= dt.date.today() + dt.timedelta(days=9)
    assert any("closed-one: This item is closed" in m for m in messages_of(response))


def test_snoozing_for_too_many_days_is_a_form_error(as_coordinator, item_factory):
    item = item_factory()
    response = apply(as_coordinator, "snooze_follow_up", [item], days=400)
    assert "Ensure this value is less than or equal to 90." in text_of(response)
    item.refresh_from_db()
    assert item.snoozed_until is None


def test_an_action_on_all_matching_items_uses_the_filters(as_coordinator, item_factory):
    blocked = [item_factory(status=Status.BLOCKED) for _ in range(3)]
    untouched = item_factory(status=Status.NOT_STARTED)
    url = f"{CHANGELIST}?status=blocked"
    page = as_coordinator.post(
        url,
        {
            "action": "snooze_follow_up",
            "_selected_action": [blocked[0].pk],
            "index": 0,
            "select_across": "1",
        },
    )
    assert "This applies to 3 items" in text_of(page)
    as_coordinator.post(
        url,
        {
            "action": "snooze_follow_up",
            "_selected_action": [blocked[0].pk],
            "apply": "1",
            "select_across": "1",
            "days": 5,
        },
    )
    assert ActionItem.objects.filter(snoozed_until__isnull=False).count() == 3
    untouched.refresh_from_db()
    assert untouched.snoozed_until is None


def test_owners_have_no_bulk_actions(signed_in, user_factory, item_factory):
    owner = user_factory("own", role=roles.OWNERS)
    item = item_factory(owner=owner)
    client = signed_in(owner)
    page = text_of(client.get(CHANGELIST))
    assert "change_status" not in page and "snooze_follow_up" not in page
    apply(client, "snooze_follow_up", [item], days=5)
    item.refresh_from_db()
    assert item.snoozed_until is None


def test_sending_a_reminder_now_reports_what_was_sent_and_skipped(
    as_coordinator, item_factory, user_factory
):
    owner = user_factory("own", role=roles.OWNERS)
    owned = item_factory("owned", owner=owner)
    unowned = item_factory("unowned")
    page = choose(as_coordinator, "send_reminder_now", [owned, unowned])
    assert "Send a reminder now" in text_of(page)
    response = apply(as_coordinator, "send_reminder_now", [owned, unowned])
    text = messages_of(response)
    assert any("reminder sent" in m or "reminders sent" in m for m in text)
    assert any("unowned:" in m for m in text)

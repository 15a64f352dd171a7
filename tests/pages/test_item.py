"""The item page: every field, where the item comes from, its timeline and reminders; owners and
coordinators change it here through workflow.py, and a refused change changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from tracker import workflow
from tracker.models import (
    ActionItem,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderState,
    Status,
    StatusUpdate,
)


def reload(item: ActionItem) -> ActionItem:
    return ActionItem.objects.get(pk=item.pk)


def test_the_item_page_shows_its_fields_provenance_owners_and_organizations(client, world, kr_org):
    item = world.public
    item.partner_organizations.set([kr_org])
    item.source.citation = "Author, Test report (Place: Publisher, 2022)."
    item.source.save()
    client.force_login(world.reader)
    page = client.get("/items/public-item/").content.decode()
    for text in (
        "Harmonise export controls",
        "수출 통제 조화",
        "an excerpt",
        "Paragraph 1 of “Test report”",
        "Author, Test report (Place: Publisher, 2022).",
        "Department of Defense",
        "DAPA",
        "owner",
        "coowner",
        "In progress",
        "Overdue",
        "Releasable to all",
    ):
        assert text in page, text


def test_the_timeline_lists_updates_newest_first_with_author_and_note(client, world, now):
    workflow.post_update(item=world.public, by=world.owner, note="First step done", now=now)
    later = now + dt.timedelta(hours=1)
    workflow.post_update(item=world.public, by=world.co_owner, note="Second step done", now=later)
    client.force_login(world.reader)
    page = client.get("/items/public-item/").content.decode()
    assert page.index("Second step done") < page.index("First step done")
    assert "coowner" in page


def test_the_page_lists_the_reminders_sent_about_the_item(client, world, now):
    reminder = Reminder.objects.create(
        recipient=world.owner,
        local_date=now.date(),
        created_at=now,
        state=ReminderState.SENT,
        sent_at=now,
    )
    ReminderItem.objects.create(reminder=reminder, item=world.public, kind=ReminderKind.OVERDUE)
    client.force_login(world.coordinator)
    page = client.get("/items/public-item/").content.decode()
    section = page[page.index("Reminders sent") :]
    assert "Overdue" in section and "Sent" in section and "owner" in section
    assert "No reminders about this item yet." in client.get("/items/closed-item/").content.decode()


def test_an_owner_posts_an_update_and_sees_it_in_the_timeline(client, world):
    client.force_login(world.owner)
    response = client.post("/items/public-item/update/", {"update-note": "Draft sent to DAPA"})
    assert response.status_code == 302
    assert response["Location"].endswith("/items/public-item/#timeline")
    page = client.get(response["Location"]).content.decode()
    assert "Update posted." in page
    assert "Draft sent to DAPA" in page
    assert reload(world.public).last_update_at is not None


def test_a_co_owner_and_a_coordinator_may_post_updates_too(client, world):
    for user in (world.co_owner, world.coordinator):
        client.force_login(user)
        note = f"from {user.username}"
        assert client.post("/items/public-item/update/", {"update-note": note}).status_code == 302
    notes = set(StatusUpdate.objects.values_list("note", flat=True))
    assert notes == {"from coowner", "from coord"}


def test_an_empty_update_is_refused_on_the_form_and_nothing_is_written(client, world):
    client.force_login(world.owner)
    response = client.post("/items/public-item/update/", {"update-note": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_closing_without_a_note_is_refused_with_the_workflow_message(client, world):
    client.force_login(world.owner)
    response = client.post(
        "/items/public-item/status/",
        {"status-to": Status.SUPERSEDED, "status-note": "", "status-version": 1},
    )
    assert response.status_code == 400
    assert "A note is required: say why." in response.content.decode()
    assert reload(world.public).status == Status.IN_PROGRESS
    assert not StatusUpdate.objects.exists()


def test_closing_with_a_note_changes_the_status_and_records_why(client, world):
    client.force_login(world.owner)
    response = client.post(
        "/items/public-item/status/",
        {"status-to": Status.SUPERSEDED, "status-note": "Signed on Monday", "status-version": 1},
    )
    assert response.status_code == 302
    assert reload(world.public).status == Status.SUPERSEDED
    page = client.get("/items/public-item/").content.decode()
    assert "In progress → Superseded" in page and "Signed on Monday" in page


def test_a_transition_the_rules_forbid_is_not_offered_and_is_refused(client, world):
    client.force_login(world.owner)
    page = client.get("/items/public-item/").content.decode()
    assert 'value="not_started"' not in page  # started items never go back
    response = client.post(
        "/items/public-item/status/",
        {"status-to": Status.NOT_STARTED, "status-note": "undo", "status-version": 1},
    )
    assert response.status_code == 400
    assert reload(world.public).status == Status.IN_PROGRESS


def test_a_status_change_from_a_stale_page_is_refused(client, world, now):
    workflow.post_update(item=world.public, by=world.coordinator, note="meanwhile", now=now)
    client.force_login(world.owner)
    response = client.post(
        "/items/public-item/status/",
        {"status-to": Status.BLOCKED, "status-note": "", "status-version": 1},
    )
    assert response.status_code == 400
    assert "reload and try again" in response.content.decode()
    assert reload(world.public).status == Status.IN_PROGRESS


def test_an_owner_snoozes_their_own_reminders_for_some_days(client, world):
    from tracker.models import PersonalSnooze

    client.force_login(world.owner)
    page = client.get("/items/public-item/").content.decode()
    assert "Only your reminders wait" in page
    before = timezone.now()
    assert client.post("/items/public-item/snooze/", {"snooze-days": "10"}).status_code == 302
    assert reload(world.public).snoozed_until is None  # the co-owner still hears of it
    until = PersonalSnooze.objects.get(user=world.owner, item=world.public).until
    assert before + dt.timedelta(days=10) <= until <= timezone.now() + dt.timedelta(days=10)


def test_a_coordinator_snoozes_everyones_reminders_about_an_item(client, world):
    client.force_login(world.coordinator)
    assert "Everyone's reminders" in client.get("/items/public-item/").content.decode()
    before = timezone.now()
    assert client.post("/items/public-item/snooze/", {"snooze-days": "10"}).status_code == 302
    until = reload(world.public).snoozed_until
    assert before + dt.timedelta(days=10) <= until <= timezone.now() + dt.timedelta(days=10)


@pytest.mark.parametrize("days", ["0", "91", "ten", ""])
def test_a_snooze_out_of_range_is_refused_and_changes_nothing(client, world, days):
    client.force_login(world.owner)
    response = client.post("/items/public-item/snooze/", {"snooze-days": days})
    assert response.status_code == 400
    assert reload(world.public).snoozed_until is None


def test_still_on_track_restarts_the_follow_up(client, world):
    client.force_login(world.owner)
    response = client.post("/items/us-secret/on-track/", {"ontrack-note": ""})
    assert response.status_code == 302
    item = reload(world.us_only)
    assert item.next_follow_up_at > timezone.now()
    assert StatusUpdate.objects.get(item=item).note == "Still on track."


def test_an_overdue_item_is_not_simply_on_track_without_a_note(client, world):
    client.force_login(world.owner)
    response = client.post("/items/public-item/on-track/", {"ontrack-note": ""})
    assert response.status_code == 400 and "overdue or blocked" in response.content.decode()
    assert not StatusUpdate.objects.filter(item=world.public).exists()
    noted = {"ontrack-note": "Waiting for the ministry's signature; on track otherwise."}
    assert client.post("/items/public-item/on-track/", noted).status_code == 302
    assert StatusUpdate.objects.get(item=world.public).note.startswith("Waiting for")


def test_a_closed_item_offers_no_snooze_or_on_track(client, world):
    client.force_login(world.owner)
    page = client.get("/items/closed-item/").content.decode()
    assert "Snooze reminders" not in page and "Confirm still on track" not in page
    response = client.post("/items/closed-item/on-track/", {"ontrack-note": ""})
    assert response.status_code == 400
    assert "This item is closed" in response.content.decode()


@pytest.mark.parametrize(
    "path, data",
    [
        ("update", {"update-note": "a\x00b"}),
        ("status", {"status-to": "blocked\x00", "status-note": "x", "status-version": "1"}),
        ("status", {"status-to": "blocked", "status-note": "x", "status-version": "9" * 40}),
        ("status", {"status-to": "blocked", "status-note": "x", "status-version": "-1"}),
        ("snooze", {"snooze-days": "9" * 40}),
        ("update", {"update-note": "x" * 5000}),
    ],
)
def test_malformed_posts_are_refused_on_the_form_and_change_nothing(client, world, path, data):
    client.force_login(world.owner)
    response = client.post(f"/items/public-item/{path}/", data)
    assert response.status_code == 400
    assert "The change was not made" in response.content.decode()
    assert not StatusUpdate.objects.exists()
    assert reload(world.public).version == world.public.version


def test_a_cached_item_page_shows_new_co_owners_partners_and_updates_at_once(
    client, world, kr_org, user_factory, now
):
    client.force_login(world.reader)
    page = client.get("/items/public-item/").content.decode()
    assert "newowner" not in page and "DAPA" not in page
    world.public.co_owners.add(user_factory("newowner", role=None))
    world.public.partner_organizations.add(kr_org)
    page = client.get("/items/public-item/").content.decode()
    assert "newowner" in page and "DAPA" in page
    workflow.post_update(item=world.public, by=world.owner, note="Fresh news", now=now)
    assert "Fresh news" in client.get("/items/public-item/").content.decode()
    world.public.co_owners.clear()
    page = client.get("/items/public-item/").content.decode()
    co_owners = page[page.index("Co-owners") : page.index("Status</dt>")]
    assert "coowner" not in co_owners and "newowner" not in co_owners


def test_a_digest_sent_after_the_page_was_cached_shows_as_sent(client, world, now):
    reminder = Reminder.objects.create(recipient=world.owner, local_date=now.date(), created_at=now)
    ReminderItem.objects.create(reminder=reminder, item=world.public, kind=ReminderKind.OVERDUE)
    client.force_login(world.coordinator)
    page = client.get("/items/public-item/").content.decode()
    assert "Pending" in page[page.index("Reminders sent") :]
    # Delivery marks a digest sent with an update() that leaves the item untouched.
    Reminder.objects.filter(pk=reminder.pk).update(state=ReminderState.SENT, sent_at=now)
    section = client.get("/items/public-item/").content.decode()
    section = section[section.index("Reminders sent") :]
    assert "Sent" in section and "Pending" not in section


def test_an_item_page_is_each_viewers_own(client, world):
    """One user's name, admin link or forms never reach another user of the same browser, and
    a user made staff sees the admin link at once."""
    client.force_login(world.reader)
    client.get("/items/public-item/")  # the browser gets its CSRF cookie
    first = client.get("/items/public-item/").content.decode()
    assert world.reader.get_username() in first and "/admin/" not in first
    client.force_login(world.coordinator)  # same browser, same CSRF cookie
    page = client.get("/items/public-item/").content.decode()
    assert world.coordinator.get_username() in page and "Update this item" in page
    world.reader.is_staff = True
    world.reader.save()
    client.force_login(world.reader)
    page = client.get("/items/public-item/").content.decode()
    assert world.reader.get_username() in page and "/admin/" in page
    assert "Update this item" not in page

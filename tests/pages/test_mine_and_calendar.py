"""My items (waiting for my update first) and the calendar feed behind a secret token."""

import datetime as dt

import icalendar
from django.utils import timezone

from tests.support.pages import today
from tracker import workflow
from tracker.models import MeetingStatus, Profile, Status


def test_my_items_lists_owned_and_co_owned_items_waiting_first(client, world):
    client.force_login(world.owner)
    response = client.get("/mine/")
    keys = [i.key for i in response.context["items"]]
    assert keys[0] == "public-item"  # its follow-up time has come
    assert keys[-1] == "closed-item"  # closed items last
    assert set(keys) == {"public-item", "us-secret", "closed-item"}
    assert "1 item is waiting for your update." in response.content.decode()


def test_a_co_owner_sees_the_item_they_co_own(client, world):
    client.force_login(world.co_owner)
    assert [i.key for i in client.get("/mine/").context["items"]] == ["public-item"]


def test_an_update_moves_the_item_behind_the_waiting_ones(client, world):
    workflow.post_update(item=world.public, by=world.owner, note="done", now=timezone.now())
    client.force_login(world.owner)
    response = client.get("/mine/")
    assert response.context["waiting"] == 0
    assert "None of your items needs an update now." in response.content.decode()


def test_a_reader_with_no_items_is_told_so(client, world):
    client.force_login(world.reader)
    assert "You do not own any action item." in client.get("/mine/").content.decode()


def feed(client, user) -> icalendar.Calendar:
    token = Profile.objects.get(user=user).calendar_token
    response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(calendar) -> dict[str, icalendar.Event]:
    return {str(e["uid"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_the_owners_open_items_as_all_day_events_without_a_login(client, world):
    found = events(feed(client, world.owner))
    assert set(found) == {"public-item", "us-secret"}  # the closed item is left out
    event = found["public-item"]
    assert event.decoded("dtstart") == world.public.due_date
    assert str(event["summary"]) == "Due: Harmonise export controls"
    assert str(event["url"]).endswith("/items/public-item/")


def test_a_coordinator_feed_lists_every_visible_open_item(client, world):
    assert set(events(feed(client, world.coordinator))) == {"public-item", "us-secret"}


def test_the_feed_keeps_to_the_users_markings_and_language(client, world):
    world.us_only.co_owners.add(world.co_owner)  # co-owner of an item they may not see
    Profile.objects.filter(user=world.co_owner).update(language="ko")
    found = events(feed(client, world.co_owner))
    assert set(found) == {"public-item"}
    assert str(found["public-item"]["summary"]) == "기한: 수출 통제 조화"


def test_an_unknown_token_is_a_404(client, world):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    assert client.get(f"/calendar/{'x' * 500}.ics").status_code == 404
    assert client.get("/calendar/abc%00def.ics").status_code == 404
    assert client.get("/calendar/%F0%9D%95%8F.ics").status_code == 404


def test_the_calendar_page_shows_the_feed_address(client, world):
    client.force_login(world.owner)
    token = Profile.objects.get(user=world.owner).calendar_token
    page = client.get("/calendar/").content.decode()
    assert f"http://testserver/calendar/{token}.ics" in page


def test_resetting_the_token_retires_the_old_address(client, world):
    client.force_login(world.owner)
    old = Profile.objects.get(user=world.owner).calendar_token
    response = client.post("/calendar/reset/")
    assert response.status_code == 302
    new = Profile.objects.get(user=world.owner).calendar_token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    assert client.get("/calendar/reset/").status_code == 405


def test_a_deactivated_users_feed_stops(client, world):
    token = Profile.objects.get(user=world.owner).calendar_token
    world.owner.is_active = False
    world.owner.save()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_closed_item_leaves_the_feed(client, world):
    workflow.change_status(
        item=world.public, to=Status.SUPERSEDED, by=world.owner, note="merged", now=timezone.now()
    )
    assert "public-item" not in events(feed(client, world.owner))


def test_the_calendar_page_shows_the_whole_address_with_a_copy_button(client, world):
    client.force_login(world.owner)
    token = Profile.objects.get(user=world.owner).calendar_token
    page = client.get("/calendar/").content.decode()
    # A text box that wraps, not a one-line field that cuts the address off.
    assert '<textarea id="feed-url" class="feed-url" rows="2" readonly' in page
    assert f">http://testserver/calendar/{token}.ics</textarea>" in page
    assert '<button type="button" data-copy="feed-url"' in page
    assert '<script src="/static/tracker/copy.js" defer></script>' in page  # no inline script


def test_the_feed_holds_the_coming_meetings_with_the_users_items_on_the_agenda(
    client, world, meeting_factory
):
    soon = today() + dt.timedelta(days=20)
    theirs = meeting_factory(soon, items=[world.public])
    meeting_factory(soon + dt.timedelta(days=5), items=[world.kr_only])  # not theirs to see
    meeting_factory(today() - dt.timedelta(days=3), items=[world.public])  # already past
    found = events(feed(client, world.owner))
    assert set(found) == {"public-item", "us-secret", f"meeting-{theirs.pk}"}
    event = found[f"meeting-{theirs.pk}"]
    assert event.decoded("dtstart") == soon
    assert str(event["summary"]) == "DTICC meeting"
    assert str(event["location"]) == "Seoul"
    assert str(event["url"]).endswith(f"/meetings/{theirs.pk}/")


def test_a_coordinators_feed_holds_every_coming_meeting_a_postponed_one_saying_from_when(
    client, world, meeting_factory
):
    first = today() + dt.timedelta(days=10)
    moved = meeting_factory(first + dt.timedelta(days=30), status=MeetingStatus.POSTPONED)
    moved.original_date = first
    moved.save()
    empty = meeting_factory(first + dt.timedelta(days=60))  # nothing on its agenda yet
    found = events(feed(client, world.coordinator))
    assert {f"meeting-{moved.pk}", f"meeting-{empty.pk}"} <= set(found)
    summary = str(found[f"meeting-{moved.pk}"]["summary"])
    assert summary == f"DTICC meeting (postponed from {first.isoformat()})"
    assert found[f"meeting-{moved.pk}"].decoded("dtstart") == first + dt.timedelta(days=30)


def test_a_korean_feed_names_the_meeting_and_its_place_in_korean(client, world, meeting_factory):
    Profile.objects.filter(user=world.co_owner).update(language="ko")
    meeting = meeting_factory(today() + dt.timedelta(days=9), items=[world.public])
    event = events(feed(client, world.co_owner))[f"meeting-{meeting.pk}"]
    assert str(event["summary"]) == "DTICC 회의"
    assert str(event["location"]) == "서울"

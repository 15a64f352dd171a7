"""One-click links in a digest: a GET only asks, the POST acts once, bad links change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tracker import links, roles, workflow
from tracker.models import Marking, StatusUpdate, UpdateKind, UsedLink


@pytest.fixture
def owner(user_factory):
    return user_factory("owner", role=roles.OWNERS)


@pytest.fixture
def item(item_factory, owner):
    return item_factory("linked", owner=owner)


def url_for(owner, item, action=links.ON_TRACK, now=None):
    token = links.make_token(
        recipient_id=owner.pk, item_id=item.pk, action=action, now=now or timezone.now()
    )
    return f"/r/{token}/"


def snapshot(item):
    item.refresh_from_db()
    return (item.version, item.snoozed_until, item.next_follow_up_at, StatusUpdate.objects.count())


def test_opening_a_link_only_shows_a_confirmation_page(client, owner, item):
    before = snapshot(item)
    response = client.get(url_for(owner, item))
    assert response.status_code == 200
    assert b"Mark this item as still on track" in response.content
    assert b'method="post"' in response.content and b"Title of linked" in response.content
    assert client.head(url_for(owner, item, links.SNOOZE)).status_code == 200
    assert snapshot(item) == before and not UsedLink.objects.exists()


def test_confirming_still_on_track_records_an_update_by_the_recipient(client, owner, item):
    response = client.post(url_for(owner, item))
    assert response.status_code == 200 and b"still on track" in response.content
    update = StatusUpdate.objects.get()
    assert (update.item, update.author, update.kind) == (item, owner, UpdateKind.ON_TRACK)


def test_confirming_snooze_holds_only_the_clickers_reminders_for_seven_days(client, owner, item):
    from tracker.models import PersonalSnooze

    before = timezone.now()
    response = client.post(url_for(owner, item, links.SNOOZE))
    assert response.status_code == 200 and b"other owners still will" in response.content
    item.refresh_from_db()
    assert item.snoozed_until is None  # the item's other owners still hear of it
    until = PersonalSnooze.objects.get(user=owner, item=item).until
    assert before + dt.timedelta(days=7) <= until <= timezone.now() + dt.timedelta(days=7)
    entry = StatusUpdate.objects.get()
    assert entry.kind == UpdateKind.SNOOZE and owner.username in entry.note


def test_a_link_made_for_a_later_time_says_it_is_not_valid_yet(client, owner, item):
    later = timezone.now() + dt.timedelta(hours=2)
    token = links.make_token(
        recipient_id=owner.pk, item_id=item.pk, action=links.ON_TRACK, now=later
    )
    before = snapshot(item)
    response = client.post(f"/r/{token}/")
    assert response.status_code == 400 and b"not valid yet" in response.content
    assert b"expired" not in response.content and snapshot(item) == before


def test_a_link_works_once(client, owner, item):
    url = url_for(owner, item)
    client.post(url)
    before = snapshot(item)
    again = client.post(url)
    assert again.status_code == 410 and b"already been used" in again.content
    assert client.get(url).status_code == 410
    assert snapshot(item) == before


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature altered
        lambda t: t.replace(t.split(":")[0], t.split(":")[0][:-3] + "xyz"),  # payload altered
        lambda t: t.split(":")[0],  # signature cut off
        lambda t: "not-a-token",
    ],
)
def test_a_tampered_link_says_so_and_changes_nothing(client, owner, item, mangle):
    token = url_for(owner, item).split("/")[2]
    before = snapshot(item)
    response = client.post(f"/r/{mangle(token)}/")
    assert response.status_code == 400 and b"not valid" in response.content
    assert snapshot(item) == before


def test_a_link_for_another_user_or_item_cannot_be_forged(client, owner, item, user_factory):
    other = user_factory(role=roles.OWNERS)
    token = url_for(owner, item).split("/")[2]
    forged = links.make_token(
        recipient_id=other.pk, item_id=item.pk, action="on-track", now=timezone.now()
    )
    spliced = forged.split(":")[0] + ":" + token.split(":")[1]
    assert client.post(f"/r/{spliced}/").status_code == 400
    assert snapshot(item)[3] == 0


def test_an_expired_link_says_so_and_changes_nothing(client, owner, item, settings):
    settings.REMINDER_LINK_MAX_AGE_DAYS = 14
    old = timezone.now() - dt.timedelta(days=14, minutes=1)
    before = snapshot(item)
    response = client.post(url_for(owner, item, now=old))
    assert response.status_code == 410 and b"expired" in response.content
    assert snapshot(item) == before
    fresh_enough = timezone.now() - dt.timedelta(days=13)
    assert client.get(url_for(owner, item, now=fresh_enough)).status_code == 200


def test_someone_else_signed_in_cannot_use_the_recipients_link(client, owner, item, user_factory):
    other = user_factory(role=roles.COORDINATORS)
    client.force_login(other)
    before = snapshot(item)
    response = client.post(url_for(owner, item))
    assert response.status_code == 403 and b"someone else" in response.content
    assert snapshot(item) == before and not UsedLink.objects.exists()


def test_the_recipient_signed_in_may_use_their_link(client, owner, item):
    client.force_login(owner)
    assert client.post(url_for(owner, item)).status_code == 200
    assert StatusUpdate.objects.count() == 1


def test_a_link_to_an_item_the_recipient_may_no_longer_see_is_not_found(client, owner, item):
    item.marking = Marking.KR_ONLY
    item.save()
    response = client.post(url_for(owner, item))
    assert response.status_code == 404 and StatusUpdate.objects.count() == 0


def test_a_link_of_someone_no_longer_an_owner_changes_nothing(client, owner, item, user_factory):
    successor = user_factory(role=roles.OWNERS)
    coordinator = user_factory(role=roles.COORDINATORS)
    workflow.reassign_owner(item=item, owner=successor, by=coordinator, now=timezone.now())
    before = snapshot(item)
    response = client.post(url_for(owner, item))
    assert response.status_code == 409 and b"may not update" in response.content
    assert snapshot(item) == before and not UsedLink.objects.exists()


def test_a_link_on_a_closed_item_explains_and_stays_unused(client, owner, item):
    workflow.change_status(item=item, to="superseded", by=owner, note="done", now=timezone.now())
    before = snapshot(item)
    response = client.post(url_for(owner, item, links.SNOOZE))
    assert response.status_code == 409 and b"closed" in response.content
    assert snapshot(item) == before and not UsedLink.objects.exists()


def test_other_methods_are_refused(client, owner, item):
    assert client.put(url_for(owner, item)).status_code == 405
    assert StatusUpdate.objects.count() == 0


def test_the_page_speaks_the_recipients_language(client, user_factory, item_factory):
    ko = user_factory(role=roles.OWNERS, country="KR", time_zone="Asia/Seoul", language="ko")
    item = item_factory(owner=ko)
    response = client.get(url_for(ko, item))
    assert '<html lang="ko">' in response.content.decode()
    assert "이 항목이 계획대로 진행 중임을 기록할까요?" in response.content.decode()

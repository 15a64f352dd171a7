"""The items endpoints: list, one item, its timeline and status, as a script with a token sees
them."""

from __future__ import annotations

import pytest

from tests.conftest import US_CLEARANCES
from tracker import roles
from tracker.models import Marking, Status, StatusUpdate

pytestmark = pytest.mark.django_db


def _keys(response) -> list[str]:
    return [row["key"] for row in response.json()["results"]]


def test_a_reader_lists_the_items_they_may_see_and_no_others(
    api_client, user_factory, item_factory
):
    reader = user_factory()
    item_factory("shared-1")
    item_factory("secret-1", marking=Marking.US_ONLY)
    response = api_client(reader).get("/api/v1/items/")
    assert response.status_code == 200
    assert _keys(response) == ["shared-1"]


def test_a_hidden_item_is_a_404_like_a_missing_one(api_client, user_factory, item_factory):
    reader = user_factory()
    item_factory("secret-1", marking=Marking.US_ONLY)
    client = api_client(reader)
    hidden, missing = client.get("/api/v1/items/secret-1/"), client.get("/api/v1/items/nope/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden["Content-Type"] == "application/problem+json"
    assert hidden.json() == missing.json()


def test_the_list_takes_the_items_page_filters(api_client, user_factory, item_factory):
    reader = user_factory(clearances=US_CLEARANCES)
    item_factory("a-1", status=Status.BLOCKED, title_en="Shipbuilding")
    item_factory("a-2", status=Status.IN_PROGRESS, title_en="Shipbuilding too")
    item_factory("a-3", status=Status.BLOCKED, title_en="Munitions")
    client = api_client(reader)
    assert _keys(client.get("/api/v1/items/?status=blocked")) == ["a-1", "a-3"]
    assert _keys(client.get("/api/v1/items/?q=shipbuilding&status=blocked")) == ["a-1"]


def test_a_filter_the_list_does_not_understand_is_a_400_naming_it(api_client, user_factory):
    response = api_client(user_factory()).get("/api/v1/items/?status=finished")
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_pages_follow_each_other_without_a_gap_or_a_repeat(api_client, user_factory, item_factory):
    reader = user_factory()
    for n in range(7):
        item_factory(f"item-{n:02d}", due_date=None if n % 3 == 0 else None)
    client = api_client(reader)
    seen, url = [], "/api/v1/items/?page_size=3&sort=-due"
    while url:
        page = client.get(url).json()
        seen += [row["key"] for row in page["results"]]
        url = page["next"]
    assert seen == [f"item-{n:02d}" for n in range(7)]


def test_a_made_up_cursor_is_a_400(api_client, user_factory):
    response = api_client(user_factory()).get("/api/v1/items/?cursor=abc")
    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_the_title_follows_accept_language(api_client, user_factory, item_factory):
    reader = user_factory(language="en")
    item_factory("k-1", title_en="Ships", title_ko="선박")
    korean = api_client(reader, language="ko").get("/api/v1/items/k-1/").json()
    english = api_client(reader).get("/api/v1/items/k-1/").json()
    assert (korean["title"], english["title"]) == ("선박", "Ships")
    assert korean["title_en"] == "Ships" and korean["title_ko"] == "선박"


def test_an_item_carries_its_version_as_etag(api_client, user_factory, item_factory):
    item_factory("k-1")
    response = api_client(user_factory()).get("/api/v1/items/k-1/")
    assert response["ETag"] == '"1"'


def test_an_owner_posts_an_update_with_if_match(api_client, user_factory, item_factory):
    owner = user_factory(role=roles.OWNERS)
    item = item_factory("k-1", owner=owner)
    response = api_client(owner).post(
        "/api/v1/items/k-1/timeline/",
        {"note": "Contract signed."},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 201, response.content
    assert response["ETag"] == '"2"'
    assert StatusUpdate.objects.get(item=item).note == "Contract signed."


def test_a_change_without_if_match_is_refused_with_428(api_client, user_factory, item_factory):
    owner = user_factory(role=roles.OWNERS)
    item_factory("k-1", owner=owner)
    response = api_client(owner).post(
        "/api/v1/items/k-1/timeline/", {"note": "x"}, content_type="application/json"
    )
    assert response.status_code == 428
    assert not StatusUpdate.objects.exists()


def test_a_stale_change_is_refused_with_412_naming_who_changed_it(
    api_client, user_factory, item_factory, now
):
    owner = user_factory("owner-one", role=roles.OWNERS)
    other = user_factory("owner-two", role=roles.OWNERS)
    item_factory("k-1", owner=owner, co_owners=[other])
    api_client(other).post(
        "/api/v1/items/k-1/status/",
        {"to": "in_progress"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    response = api_client(owner).post(
        "/api/v1/items/k-1/status/",
        {"to": "blocked"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 412
    assert "owner-two" in response.json()["detail"]


def test_closing_needs_a_note_as_on_the_page(api_client, user_factory, item_factory):
    owner = user_factory(role=roles.OWNERS)
    item_factory("k-1", owner=owner)
    response = api_client(owner).post(
        "/api/v1/items/k-1/status/",
        {"to": "superseded"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert "note" in response.json()["detail"].lower()


def test_a_reader_may_not_change_a_visible_item(api_client, user_factory, item_factory):
    item_factory("k-1")
    response = api_client(user_factory()).post(
        "/api/v1/items/k-1/timeline/",
        {"note": "x"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 403


def test_a_read_only_token_may_not_write(api_client, user_factory, item_factory):
    owner = user_factory(role=roles.OWNERS)
    item_factory("k-1", owner=owner)
    response = api_client(owner, scope="read").post(
        "/api/v1/items/k-1/timeline/",
        {"note": "x"},
        content_type="application/json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


def test_a_list_row_says_what_the_items_page_says_of_the_same_item(
    api_client, user_factory, item_factory
):
    """Field for field, a list row is the item's own page (nulls included)."""
    owner = user_factory(role=roles.OWNERS)
    item_factory("with-all", owner=owner, title_ko="")
    item_factory("bare", due_date=None, next_follow_up_at=None)
    client = api_client(owner)
    listed = client.get("/api/v1/items/").json()["results"]
    assert [r["key"] for r in listed] == ["bare", "with-all"]
    for row in listed:
        whole = client.get(f"/api/v1/items/{row['key']}/").json()
        assert row == {name: whole[name] for name in row}
    assert listed[0]["due_date"] is None and listed[1]["owner"] == owner.username

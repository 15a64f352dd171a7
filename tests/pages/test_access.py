"""Who may open which page: a login for every page, and releasability on every page, export and
feed. An item outside the viewer's markings is a 404, exactly like an item that does not exist."""

import re

import pytest

from tracker.models import StatusUpdate

PAGES = ["/", "/items/", "/items/export.csv", "/items/public-item/", "/mine/", "/calendar/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_an_anonymous_visitor_to_sign_in(client, world, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def without_per_request_parts(response) -> str:
    """The page less its CSRF token (masked anew on each page) and the switcher's return path."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    return re.sub(r'name="next" value="[^"]*"', "", html)


def test_an_item_outside_the_readers_markings_is_the_same_404_as_a_missing_item(client, world):
    client.force_login(world.reader)
    hidden = client.get("/items/us-secret/")
    missing = client.get("/items/no-such-item/")
    assert hidden.status_code == missing.status_code == 404
    assert without_per_request_parts(hidden) == without_per_request_parts(missing)
    assert b"U.S. eyes only" not in hidden.content
    assert b"There is no such page, or it is not releasable to you." in hidden.content


def test_a_cleared_reader_opens_the_item_the_uncleared_reader_cannot(client, world):
    client.force_login(world.us_reader)
    assert client.get("/items/us-secret/").status_code == 200
    assert client.get("/items/kr-secret/").status_code == 404
    client.force_login(world.kr_reader)
    assert client.get("/items/kr-secret/").status_code == 200
    assert client.get("/items/us-secret/").status_code == 404


def test_a_superuser_opens_every_item(client, world, user_factory):
    client.force_login(user_factory("root", superuser=True))
    for key in ("public-item", "us-secret", "kr-secret"):
        assert client.get(f"/items/{key}/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/items/", "/items/export.csv", "/mine/"])
def test_no_page_or_export_names_an_item_outside_the_readers_markings(client, world, path):
    client.force_login(world.reader)
    body = b"".join(client.get(path).streaming_content) if path.endswith(".csv") else None
    body = body or client.get(path).content
    assert b"U.S. eyes only" not in body and b"us-secret" not in body
    assert b"ROK eyes only" not in body and b"kr-secret" not in body


def test_the_list_shows_a_us_reader_the_us_item_but_not_the_rok_item(client, world):
    client.force_login(world.us_reader)
    body = client.get("/items/").content.decode()
    assert "U.S. eyes only plan" in body
    assert "ROK eyes only plan" not in body


@pytest.mark.parametrize("action", ["update", "status", "snooze", "on-track"])
def test_posting_to_an_item_outside_the_markings_is_a_404_and_changes_nothing(
    client, world, action
):
    client.force_login(world.co_owner)  # a ROK owner, not cleared for U.S.-only items
    response = client.post(
        f"/items/us-secret/{action}/",
        {"update-note": "hello", "status-to": "blocked", "status-version": 1, "snooze-days": 3},
    )
    assert response.status_code == 404
    assert not StatusUpdate.objects.filter(item=world.us_only).exists()


def test_a_reader_sees_no_update_forms_and_cannot_post_one(client, world):
    client.force_login(world.reader)
    page = client.get("/items/public-item/").content.decode()
    assert "Post a progress update" not in page
    response = client.post("/items/public-item/update/", {"update-note": "sneaky"})
    assert response.status_code == 403
    assert not StatusUpdate.objects.filter(item=world.public).exists()


def test_the_item_page_is_read_only_to_a_get(client, world):
    client.force_login(world.owner)
    assert client.get("/items/public-item/update/").status_code == 405

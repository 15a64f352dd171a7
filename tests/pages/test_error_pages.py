"""With DEBUG off (as in production and `make demo`): branded 403, 404, 500 and CSRF pages in the
reader's language (or both, where nobody is known), which name no cause and no hidden item."""

import re

import pytest
from django.test import Client

from tests.support.failing_urls import SECRET_CAUSE
from tracker.models import Profile

pytestmark = pytest.mark.urls("tests.support.failing_urls")


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False
    settings.ADMIN_REQUIRE_OTP = False


def branded(response) -> str:
    page = response.content.decode()
    assert '<link rel="stylesheet" href="/static/tracker/site.css">' in page
    assert "Traceback" not in page and "URLconf" not in page and "DEBUG" not in page
    return page


def test_a_missing_or_hidden_item_is_the_same_branded_404_in_the_readers_language(client, world):
    Profile.objects.filter(user=world.reader).update(language="ko")
    client.force_login(world.reader)
    for path in ("/items/us-secret/", "/items/no-such-item/", "/no-such-page/"):
        response = client.get(path)
        assert response.status_code == 404
        page = branded(response)
        assert "찾을 수 없음" in page and "U.S. eyes only" not in page


def test_an_item_hidden_from_a_coordinator_is_the_branded_404_in_the_admin_too(client, world):
    client.force_login(world.coordinator)  # U.S.-cleared: the ROK-only item is hidden
    hidden = client.get(f"/admin/tracker/actionitem/{world.kr_only.pk}/change/")
    missing = client.get("/admin/tracker/actionitem/999999/change/")
    assert hidden.status_code == missing.status_code == 404
    assert "There is no such page, or it is not releasable to you." in branded(hidden)
    assert "ROK eyes only" not in branded(hidden) and "kr-secret" not in branded(hidden)


def test_a_refused_change_is_the_branded_403(client, world):
    client.force_login(world.reader)
    response = client.post("/items/public-item/update/", {"note": "not mine to post"})
    assert response.status_code == 403
    assert "Not allowed" in branded(response)


def test_a_server_error_is_a_branded_page_in_both_languages_that_names_no_cause(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.reader)
    response = client.get("/fail/")
    assert response.status_code == 500
    page = branded(response)
    assert "Something went wrong" in page and "문제가 발생했습니다" in page
    assert SECRET_CAUSE not in page and "RuntimeError" not in page


def test_an_expired_form_is_a_branded_page_in_both_languages(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post("/items/public-item/update/", {"note": "typed long ago"})
    assert response.status_code == 403
    page = branded(response)
    assert "The form had expired" in page and "양식이 만료되었습니다" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)

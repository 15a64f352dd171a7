"""A key held by an item the user may not see is never confirmed: the add form, a renamed key and
the CSV import answer as for any key in use (with a free one to try), and the refusal is logged
to `tracker.audit`."""

from __future__ import annotations

import logging
import re

import pytest

from tests.admin.test_import_export import csv_text, new_row, upload
from tests.admin.test_item_page import form_data
from tests.support.admin import CHANGELIST, item_url, text_of
from tests.support.lookups import CSRF_TOKEN
from tests.support.state import database_state
from tracker import item_keys, roles
from tracker.models import ActionItem, Marking

REFUSAL = re.compile(
    r"The key “(?P<key>[a-z0-9-]+)” cannot be used: choose another, for example "
    r"“(?P<free>[a-z0-9-]+)”\."
)


@pytest.fixture
def keys(item_factory):
    """A key the U.S. coordinator may see, one held by a ROK-only item, and the template."""
    item_factory("seen-key", title_en="Seen plan")
    item_factory("rok-key", title_en="Hidden rok plan", marking=Marking.KR_ONLY)
    return item_factory("template")


def same_page(page: str) -> str:
    """The page less the refusal's own words and the form's token (masked afresh each time)."""
    return CSRF_TOKEN.sub("", REFUSAL.sub("", page))


def refusal_for(page: str) -> tuple[str, str]:
    found = REFUSAL.search(page)
    assert found, page[:3000]
    return found["key"], found["free"]


def add(client, template, key: str):
    data = form_data(template, key=key)
    data.pop("expected_version")
    return client.post("/admin/tracker/actionitem/add/", data)


def test_the_add_form_answers_alike_for_a_hidden_items_key_and_a_seen_one(
    as_coordinator, keys, caplog
):
    caplog.set_level(logging.WARNING, logger="tracker.audit")
    before = database_state()
    seen, hidden = (
        text_of(add(as_coordinator, keys, "seen-key")),
        text_of(add(as_coordinator, keys, "rok-key")),
    )
    assert database_state() == before
    assert refusal_for(seen)[0] == "seen-key" and refusal_for(hidden)[0] == "rok-key"
    assert same_page(seen) == same_page(hidden.replace("rok-key", "seen-key"))
    assert "already exists" not in hidden and "Hidden rok plan" not in hidden
    free = refusal_for(hidden)[1]
    assert free.startswith("rok-key-") and not ActionItem.objects.filter(key=free).exists()
    # Only the hidden item's key is worth an audit line: the user could see the other one.
    (line,) = [r.getMessage() for r in caplog.records if r.name == "tracker.audit"]
    assert "coord" in line and "'rok-key'" in line and "Hidden" not in line


def test_the_suggested_key_is_accepted(as_coordinator, keys):
    _key, free = refusal_for(text_of(add(as_coordinator, keys, "rok-key")))
    assert add(as_coordinator, keys, free).status_code == 302
    assert ActionItem.objects.filter(key=free).exists()


def test_renaming_an_item_to_a_hidden_items_key_is_refused_the_same_way(as_coordinator, keys):
    response = as_coordinator.post(item_url(keys), form_data(keys, key="rok-key"))
    assert refusal_for(text_of(response))[0] == "rok-key"
    keys.refresh_from_db()
    assert keys.key == "template"


def test_the_import_refuses_a_hidden_items_key_with_the_same_words(as_coordinator, keys, caplog):
    caplog.set_level(logging.WARNING, logger="tracker.audit")
    before = database_state()
    page = text_of(upload(as_coordinator, csv_text([new_row("rok-key"), new_row("fresh-key")])))
    assert refusal_for(page)[0] == "rok-key"
    assert "already exists" not in page and "Hidden rok plan" not in page
    assert database_state() == before
    assert any("'rok-key'" in r.getMessage() for r in caplog.records if r.name == "tracker.audit")


def test_an_owner_without_clearance_can_neither_add_import_nor_rename(
    signed_in, user_factory, keys
):
    owner = user_factory("plain-owner", role=roles.OWNERS)
    keys.owner = owner
    keys.save()
    client = signed_in(owner)
    before = database_state()
    assert add(client, keys, "rok-key").status_code == 403
    assert upload(client, csv_text([new_row("rok-key")])).status_code == 403
    assert database_state() == before
    client.post(item_url(keys), form_data(keys, key="rok-key"))  # the key is read-only for them
    keys.refresh_from_db()
    assert keys.key == "template"
    assert client.get(f"{CHANGELIST}?q=rok-key").context["cl"].result_count == 0


def test_a_free_key_is_the_base_with_a_random_suffix_within_the_length(db):
    long = "k" * 80
    free = item_keys.free_key(base=long)
    assert len(free) == 80 and re.fullmatch(r"k+-[0-9a-f]{4}", free)
    assert item_keys.key_refusal(key="nobody-has-it", user=None) is None

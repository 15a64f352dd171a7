"""Regressions found by the leak matrix and the bad-input tests in the admin: what they were,
and that they stay fixed."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from tests.support.admin import CHANGELIST, item_url, text_of
from tests.support.state import database_state
from tracker.models import Marking, Status


def test_recent_actions_do_not_name_an_item_the_user_may_no_longer_see(
    signed_in, coordinator, item_factory
):
    """The index's “Recent actions” showed the title of every item the user once edited, even
    after the item was re-marked for the other side only."""
    kept = item_factory("kept", title_en="Still releasable plan")
    remarked = item_factory("remarked", title_en="Now ROK only plan")
    LogEntry.objects.log_actions(
        user_id=coordinator.pk, queryset=[kept, remarked], action_flag=CHANGE, change_message=""
    )
    remarked.marking = Marking.KR_ONLY
    remarked.save()
    page = text_of(signed_in(coordinator).get("/admin/"))
    assert "Still releasable plan" in page
    assert "Now ROK only plan" not in page


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "marking__exact=%00",
        "lead_organization__country__exact=US%00",
        "status=open&theme__id__exact=%00",
        "%00=1",
    ],
)
def test_a_nul_in_an_admin_query_string_is_refused_plainly(as_coordinator, item_factory, query):
    """PostgreSQL refuses a NUL in text: list filters and autocomplete answered 500."""
    item_factory("an-item")
    for path in (CHANGELIST, "/admin/tracker/reminder/"):
        response = as_coordinator.get(f"{path}?{query}")
        assert response.status_code == 400
        assert "NUL" in text_of(response)
    search = "app_label=tracker&model_name=actionitem&field_name=owner&term=%00"
    assert as_coordinator.get(f"/admin/autocomplete/?{search}").status_code == 400


def apply_action(client, action: str, selected: list[str], **fields):
    """A bulk action posted from its confirmation page (“apply”), on the `selected` ids."""
    data = {"action": action, "_selected_action": selected, "index": "0", "apply": "1", **fields}
    return client.post(CHANGELIST, data)


@pytest.mark.parametrize("selected", ["abc", "\x00", "9" * 25, "1.5"])
def test_an_action_on_ids_that_are_not_rows_is_refused_and_changes_nothing(
    as_coordinator, item_factory, selected
):
    """A selected id that is not a number (or too large for the database) was a 500."""
    item = item_factory("an-item")
    before = database_state()
    response = apply_action(
        as_coordinator,
        "change_status",
        [str(item.pk), selected],
        to_status=Status.IMPLEMENTED,
        note="closing",
    )
    assert response.status_code == 400
    assert "not a row of this list" in text_of(response)
    assert database_state() == before


@pytest.mark.parametrize("version", ["abc", "9" * 25, "-1x"])
def test_a_version_page_with_an_id_that_cannot_be_one_is_a_404(
    signed_in, user_factory, item_factory, source, version
):
    """simple-history looked the version up as given and raised on “abc”."""
    client = signed_in(user_factory("root", role=None, superuser=True))
    item = item_factory("an-item")
    assert client.get(item_url(item, f"history/{version}/")).status_code == 404
    assert client.get(f"/admin/tracker/source/{source.pk}/history/{version}/").status_code == 404
    assert client.get(f"/admin/tracker/source/{version}/history/1/").status_code == 404


@pytest.mark.parametrize("owner", ["1.5", "abc", "9" * 25])
def test_a_refused_form_with_a_person_who_is_no_key_comes_back_with_its_errors(
    as_coordinator, item_factory, owner
):
    """Django's autocomplete widget queried the posted value when re-showing a refused form."""
    item = item_factory("an-item")
    before = database_state()
    response = apply_action(as_coordinator, "reassign_owner", [str(item.pk)], owner=owner)
    assert response.status_code == 200 and "errorlist" in text_of(response)
    edit = {"title_en": "x", "co_owners": [owner], "lead_organization": owner, "owner": owner}
    response = as_coordinator.post(item_url(item), edit)
    assert response.status_code == 200 and "errorlist" in text_of(response)
    assert database_state() == before


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("lead=x", "cannot be filtered by “lead”"),
        ("owner__id__exact=", "“” is not a possible value of “owner__id__exact”"),
    ],
)
def test_an_export_with_filters_it_cannot_read_is_refused_plainly(
    as_coordinator, item_factory, query, reason
):
    """import-export let the changelist's IncorrectLookupParameters through as a 500."""
    item_factory("an-item")
    response = as_coordinator.get(f"{CHANGELIST}export/?{query}")
    assert response.status_code == 400
    assert reason in text_of(response)


def test_an_import_error_shows_its_message_and_no_traceback(as_coordinator, item_factory):
    """A file without the key column showed import-export's traceback (code and paths)."""
    from tests.security.test_bad_input import upload_bytes

    page = text_of(upload_bytes(as_coordinator, b"title_en\r\nNo key here\r\n"))
    assert "not present in the file headers: key" in page
    assert "Nothing was imported" in page
    assert "Traceback" not in page and "site-packages" not in page


@pytest.mark.parametrize("raw", [b"\r\x00", b"\x00", b"\n\n"])
def test_an_import_file_without_a_header_row_is_refused_plainly(as_coordinator, raw):
    """import-export read the rows of a headerless file against no header (a 500)."""
    from tests.security.test_bad_input import upload_bytes

    before = database_state()
    response = upload_bytes(as_coordinator, raw)
    assert response.status_code == 200
    page = text_of(response)
    assert "no header row" in page or "No valid data to import" in page
    assert database_state() == before

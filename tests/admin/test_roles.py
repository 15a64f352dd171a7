"""What each group can see and change in the admin, and that releasability holds at every URL."""

import pytest
from django.contrib.auth.models import Group

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tests.support.admin import CHANGELIST, item_url, text_of
from tracker import roles
from tracker.models import Marking, Status, StatusUpdate

SECRET_TITLE = "Joint munitions stockpile for the ROK side only"


@pytest.fixture
def owner(user_factory):
    return user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES)


@pytest.fixture
def rok_item(item_factory):
    return item_factory("rok-only-item", marking=Marking.KR_ONLY, title_en=SECRET_TITLE)


def test_coordinators_add_change_and_delete_items(signed_in, user_factory, item_factory):
    coordinator = signed_in(user_factory("coord", role=roles.COORDINATORS))
    item = item_factory()
    assert coordinator.get(f"{CHANGELIST}add/").status_code == 200
    page = text_of(coordinator.get(item_url(item)))
    assert 'name="title_en"' in page and 'name="_save"' in page
    assert coordinator.get(item_url(item, "delete/")).status_code == 200
    coordinator.post(item_url(item, "delete/"), {"post": "yes"})
    assert not type(item).objects.filter(pk=item.pk).exists()


def test_owners_edit_the_day_to_day_fields_of_their_own_items(signed_in, owner, item_factory):
    mine = item_factory("mine", owner=owner, summary_en="old")
    client = signed_in(owner)
    page = text_of(client.get(item_url(mine)))
    assert 'name="summary_en"' in page and 'name="due_date"' in page
    assert 'name="title_en"' not in page and 'name="marking"' not in page
    data = {
        "summary_en": "owner's progress",
        "summary_ko": "",
        "priority": "high",
        "due_date": "2027-06-30",
        "cadence_days": 7,
        "expected_version": mine.version,
    }
    response = client.post(item_url(mine), data)
    assert response.status_code == 302, text_of(response)[:2000]
    mine.refresh_from_db()
    assert (mine.summary_en, mine.priority, mine.cadence_days) == ("owner's progress", "high", 7)


def test_owners_post_updates_on_their_items_only(signed_in, owner, item_factory):
    mine = item_factory("mine", owner=owner)
    theirs = item_factory("theirs")
    client = signed_in(owner)
    client.post(item_url(mine, "post-update/"), {"to_status": "in_progress", "note": "started"})
    assert StatusUpdate.objects.filter(item=mine, author=owner).exists()
    refused = client.post(item_url(theirs, "post-update/"), {"note": "not mine"})
    assert refused.status_code == 403
    assert not theirs.updates.exists()


def test_owners_only_view_items_they_do_not_own(signed_in, owner, item_factory):
    theirs = item_factory("theirs", summary_en="untouched")
    client = signed_in(owner)
    page = text_of(client.get(item_url(theirs)))
    assert "untouched" in page and 'name="summary_en"' not in page
    assert client.post(item_url(theirs), {"summary_en": "hijack"}).status_code == 403
    assert client.get(f"{CHANGELIST}add/").status_code == 403
    assert client.get(item_url(theirs, "delete/")).status_code == 403
    theirs.refresh_from_db()
    assert theirs.summary_en == "untouched"


def test_owners_cannot_manage_reference_data(signed_in, owner, us_org):
    client = signed_in(owner)
    assert client.get("/admin/tracker/organization/").status_code == 200  # view only
    assert client.get("/admin/tracker/organization/add/").status_code == 403
    assert client.get("/admin/auth/user/").status_code == 403


def test_readers_with_staff_access_only_view(signed_in, user_factory, item_factory):
    reader = user_factory("reader", role=roles.READERS)
    reader.is_staff = True
    reader.save()
    item = item_factory(summary_en="as it was")
    client = signed_in(reader)
    assert client.get(CHANGELIST).status_code == 200
    assert 'name="summary_en"' not in text_of(client.get(item_url(item)))
    assert client.post(item_url(item), {"summary_en": "changed"}).status_code == 403
    assert client.post(item_url(item, "post-update/"), {"note": "hi"}).status_code == 403
    assert client.get(f"{CHANGELIST}import/").status_code == 403


def test_readers_without_staff_access_are_sent_to_sign_in(signed_in, user_factory):
    client = signed_in(user_factory("reader", role=roles.READERS))
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_coordinators_may_look_up_users_for_assignment(db):
    coordinators = Group.objects.get(name=roles.COORDINATORS)
    assert coordinators.permissions.filter(codename="view_user").exists()
    assert (
        not Group.objects.get(name=roles.OWNERS).permissions.filter(codename="view_user").exists()
    )


def test_the_list_and_search_show_only_items_the_markings_allow(
    signed_in, owner, item_factory, rok_item
):
    item_factory("us-only-item", marking=Marking.US_ONLY)
    client = signed_in(owner)
    keys = {i.key for i in client.get(CHANGELIST).context["cl"].result_list}
    assert keys == {"us-only-item"}
    assert SECRET_TITLE not in text_of(client.get(CHANGELIST, {"q": "munitions"}))
    assert SECRET_TITLE not in text_of(client.get(CHANGELIST, {"q": "rok-only-item"}))


def test_superusers_see_every_marking(signed_in, user_factory, rok_item):
    client = signed_in(user_factory("root", role=None, superuser=True))
    assert SECRET_TITLE in text_of(client.get(CHANGELIST))


def test_an_owner_reaches_a_hidden_item_by_no_admin_url(signed_in, owner, rok_item, item_factory):
    item_factory("visible", owner=owner)
    client = signed_in(owner)
    history_id = rok_item.history.first().history_id
    refused = {
        "change": client.get(item_url(rok_item)),
        "change-post": client.post(item_url(rok_item), {"summary_en": "x"}),
        "bare": client.get(f"{CHANGELIST}{rok_item.pk}/", follow=True),
        "history": client.get(item_url(rok_item, "history/")),
        "history-version": client.get(item_url(rok_item, f"history/{history_id}/")),
        "delete": client.get(item_url(rok_item, "delete/")),
        "delete-post": client.post(item_url(rok_item, "delete/"), {"post": "yes"}),
        "post-update": client.post(item_url(rok_item, "post-update/"), {"note": "x"}),
        "reassign": client.get(item_url(rok_item, "reassign/")),
    }
    for name, response in refused.items():
        assert response.status_code in (403, 404), name
        assert SECRET_TITLE not in text_of(response), name
    seen = {
        "list": client.get(CHANGELIST),
        "search": client.get(CHANGELIST, {"q": "stockpile"}),
        "autocomplete": client.get(
            "/admin/autocomplete/",
            {
                "app_label": "tracker",
                "model_name": "statusupdate",
                "field_name": "item",
                "term": "munitions",
            },
        ),
        "export-form": client.get(f"{CHANGELIST}export/"),
        "export": client.post(
            f"{CHANGELIST}export/",
            {
                "format": "0",
                "resource": "0",
                "actionitemresource_key": "on",
                "actionitemresource_title_en": "on",
            },
        ),
        "export-selected": client.post(
            f"{CHANGELIST}export/",
            {
                "format": "0",
                "resource": "0",
                "actionitemresource_title_en": "on",
                "export_items": [rok_item.pk],
            },
        ),
    }
    for name, response in seen.items():
        assert response.status_code in (200, 403, 404), name
        assert SECRET_TITLE not in text_of(response), name
        assert "rok-only-item" not in text_of(response), name
    assert seen["autocomplete"].json()["results"] == []
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "tracker", "model_name": "statusupdate", "field_name": "item", "term": "vis"},
    )
    assert [r["text"] for r in found.json()["results"]] == ["visible: Title of visible"]
    assert "visible" in text_of(seen["export"])
    rok_item.refresh_from_db()
    assert rok_item.status == Status.NOT_STARTED and not rok_item.updates.exists()


def test_an_owner_cleared_for_the_marking_does_see_it(signed_in, user_factory, rok_item):
    korean = user_factory("kr-owner", role=roles.OWNERS, clearances=KR_CLEARANCES)
    assert SECRET_TITLE in text_of(signed_in(korean).get(item_url(rok_item)))

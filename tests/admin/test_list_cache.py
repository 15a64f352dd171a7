"""The item list's rendered page is kept per user and browser until anything on it changes."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client

from tests.admin.test_item_page import form_data
from tests.conftest import KR_CLEARANCES
from tests.support.admin import CHANGELIST, item_url, text_of
from tests.support.pages import fresh_cache  # noqa: F401  (every test starts with no cache)
from tracker import roles
from tracker.models import Country, Marking, Organization, Source, Theme

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKBOX = re.compile(r'<input type="checkbox" name="_selected_action" value="([^"]+)"')


def kept(response) -> bool:
    """Whether the page came from the cache: a kept page renders no template."""
    return response.context is None


def load_kept(client: Client, query: str = "") -> str:
    """Load the list until it comes from the cache (the first load of a browser sets its CSRF
    cookie, the next one renders and keeps the page); its text."""
    for _attempt in range(3):
        response = client.get(CHANGELIST + query)
        assert response.status_code == 200
        if kept(response):
            return text_of(response)
    raise AssertionError("the list never came from the cache")


def browser(user, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.ADMIN_REQUIRE_OTP = False


def test_the_same_list_loaded_again_comes_from_the_cache_unchanged(coordinator, item_factory):
    item_factory("listed")
    client = browser(coordinator)
    client.get(CHANGELIST)
    rendered = client.get(CHANGELIST)
    again = client.get(CHANGELIST)
    assert not kept(rendered) and kept(again)
    assert again.content == rendered.content and "listed" in text_of(again)
    assert not kept(client.get(CHANGELIST, {"status": "open"}))  # another address: rendered


def test_an_edit_shows_on_the_next_list_load(coordinator, item_factory):
    item = item_factory("edited", title_en="Old title")
    client = browser(coordinator)
    assert "Old title" in load_kept(client)
    response = client.post(item_url(item), form_data(item, title_en="New title"))
    assert response.status_code == 302
    page = text_of(client.get(CHANGELIST))
    assert "New title" in page and "Old title" not in page


def test_a_re_marked_item_leaves_the_list_of_those_no_longer_cleared_for_it(
    coordinator, user_factory, item_factory
):
    item = item_factory("shared", title_en="Shared plan")
    korean = user_factory("kr-coord", role=roles.COORDINATORS, clearances=KR_CLEARANCES)
    korean_browser = browser(korean)
    us_browser = browser(coordinator)
    assert "Shared plan" in load_kept(korean_browser)
    assert "Shared plan" not in load_kept(us_browser, "?marking__exact=us-only")

    response = us_browser.post(item_url(item), form_data(item, marking=Marking.US_ONLY))
    assert response.status_code == 302

    assert "Shared plan" not in text_of(korean_browser.get(CHANGELIST))
    assert "Shared plan" in text_of(us_browser.get(CHANGELIST + "?marking__exact=us-only"))


def test_a_withdrawn_clearance_shows_on_the_next_list_load(coordinator, item_factory):
    item_factory("us-secret", title_en="U.S. eyes only", marking=Marking.US_ONLY)
    client = browser(coordinator)
    assert "U.S. eyes only" in load_kept(client)
    coordinator.profile.may_see_us_only = False
    coordinator.profile.save()
    assert "U.S. eyes only" not in text_of(client.get(CHANGELIST))


def test_two_users_of_one_browser_never_see_each_others_kept_page(
    coordinator, user_factory, item_factory
):
    item_factory("us-secret", title_en="U.S. eyes only", marking=Marking.US_ONLY)
    item_factory("kr-secret", title_en="ROK eyes only", marking=Marking.KR_ONLY)
    korean = user_factory("kr-coord", role=roles.COORDINATORS, clearances=KR_CLEARANCES)
    client = browser(coordinator)
    us_page = load_kept(client)
    csrf_cookie = client.cookies["csrftoken"].value
    client.force_login(korean)
    assert client.cookies["csrftoken"].value == csrf_cookie  # the same CSRF secret
    kr_page = text_of(client.get(CHANGELIST))
    assert "U.S. eyes only" in us_page and "ROK eyes only" not in us_page
    assert "ROK eyes only" in kr_page and "U.S. eyes only" not in kr_page
    assert "<strong>kr-coord</strong>" in kr_page and "<strong>coord</strong>" not in kr_page


def test_a_waiting_message_is_shown_on_a_list_that_was_kept(coordinator, item_factory):
    item_factory()
    client = browser(coordinator)
    load_kept(client)
    # An action without a selection changes nothing and leaves a message for the next page.
    refused = client.post(CHANGELIST, {"action": "snooze_follow_up", "index": 0})
    assert refused.status_code == 302
    shown = client.get(CHANGELIST)
    assert not kept(shown) and "Items must be selected" in text_of(shown)
    assert "Items must be selected" not in text_of(client.get(CHANGELIST))


def test_an_action_chosen_on_a_kept_page_passes_the_csrf_check(coordinator, item_factory):
    item = item_factory("snoozable")
    client = browser(coordinator, enforce_csrf_checks=True)
    page = load_kept(client)
    token = TOKEN.search(page).group(1)
    # The row's checkbox, as a browser would send it when ticked.
    (selected,) = CHECKBOX.findall(page)
    assert selected == str(item.pk)
    choice = {"action": "snooze_follow_up", "_selected_action": [selected], "index": 0}
    assert client.post(CHANGELIST, choice).status_code == 403  # the check is on
    confirm = client.post(CHANGELIST, {**choice, "csrfmiddlewaretoken": token})
    assert confirm.status_code == 200 and 'name="days"' in text_of(confirm)


def test_a_change_of_role_shows_on_the_next_list_load(coordinator, item_factory):
    item_factory("listed")
    client = browser(coordinator)
    assert "snooze_follow_up" in load_kept(client)
    coordinator.groups.set([Group.objects.get(name=roles.OWNERS)])
    page = text_of(client.get(CHANGELIST))
    assert "listed" in page and "snooze_follow_up" not in page  # owners have no bulk actions


def test_a_permission_granted_to_the_user_alone_shows_on_the_next_list_load(
    user_factory, item_factory
):
    item_factory("listed")
    owner = user_factory("owner", role=roles.OWNERS)
    client = browser(owner)
    assert "snooze_follow_up" not in load_kept(client)
    owner.user_permissions.add(Permission.objects.get(codename="manage_items"))
    assert "snooze_follow_up" in text_of(client.get(CHANGELIST))


def rename_theme(theme: Theme, **_) -> str:
    theme.title_en = "Renamed theme"
    theme.save()
    return "Renamed theme"


def rename_report(source: Source, **_) -> str:
    source.title_en = "Renamed report"
    source.save()
    return "Renamed report"


def rename_organization(us_org: Organization, **_) -> str:
    us_org.name_en = "Renamed department"
    us_org.save()
    return "Renamed department"


def add_organization(**_) -> str:
    Organization.objects.create(key="new", name_en="A new ministry", country=Country.KR)
    return "A new ministry"


@pytest.mark.parametrize(
    "change", [rename_theme, rename_report, rename_organization, add_organization]
)
def test_a_change_of_the_names_the_filters_list_shows_on_the_next_list_load(
    coordinator, item_factory, source, theme, us_org, change
):
    """Changed outside the admin (an import, a seeding run, a shell): no admin log entry, no
    item saved; the filters' names still show at once."""
    item_factory("listed")
    # Two of each, so the sidebar offers them (a filter of one choice is left out).
    second = Source.objects.create(key="second", title_en="Second report", date=source.date)
    Theme.objects.create(source=second, key="second", title_en="Second theme")
    Organization.objects.create(key="second", name_en="Second ministry", country=Country.KR)
    client = browser(coordinator)
    kept_page = load_kept(client)
    assert theme.title_en in kept_page and source.title_en in kept_page
    name = change(theme=theme, source=source, us_org=us_org)
    assert name not in kept_page
    page = client.get(CHANGELIST)
    assert not kept(page) and name in text_of(page)
    assert kept(client.get(CHANGELIST))  # and kept again until the next change

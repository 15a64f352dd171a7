"""Reports, themes, organizations and the reminder log: counts and entries never include an
item the caller may not see; the items list keeps the items page's order for every sort."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import NOW, US_CLEARANCES
from tracker import roles
from tracker.filters import SORTS
from tracker.models import Marking, Priority, Reminder, ReminderItem, ReminderKind, Status

pytestmark = pytest.mark.django_db


def test_counts_through_reports_themes_and_organizations_leave_hidden_items_out(
    api_client, user_factory, item_factory, source, theme, us_org
):
    item_factory(status=Status.IN_PROGRESS)
    item_factory(marking=Marking.US_ONLY)
    item_factory(marking=Marking.KR_ONLY, status=Status.IMPLEMENTED)
    reader = api_client(user_factory())
    cleared = api_client(user_factory(clearances=US_CLEARANCES))
    for client, expected in ((reader, 1), (cleared, 2)):
        report = client.get(f"/api/v1/reports/{source.key}/").json()
        assert (report["item_count"], report["open_item_count"]) == (expected, expected)
        assert client.get(f"/api/v1/themes/{theme.pk}/").json()["item_count"] == expected
        org = client.get(f"/api/v1/organizations/{us_org.key}/").json()
        assert org["item_count"] == expected


def test_the_reminder_log_is_for_coordinators_and_names_only_visible_items(
    api_client, user_factory, item_factory
):
    coordinator = user_factory(role=roles.COORDINATORS)
    owner = user_factory(role=roles.OWNERS)
    shown, hidden = item_factory("shown-1"), item_factory("hidden-1", marking=Marking.US_ONLY)
    digest = Reminder.objects.create(
        recipient=owner, local_date=dt.date(2026, 12, 7), created_at=NOW
    )
    for item in (shown, hidden):
        ReminderItem.objects.create(reminder=digest, item=item, kind=ReminderKind.OVERDUE)
    (row,) = api_client(coordinator).get("/api/v1/reminders/").json()["results"]
    assert row["items"] == [{"item": "shown-1", "kind": "overdue"}]
    assert "hidden-1" not in str(
        api_client(coordinator).get(f"/api/v1/reminders/{digest.pk}/").json()
    )
    assert api_client(owner).get("/api/v1/reminders/").status_code == 403


def test_me_says_who_the_token_acts_as(api_client, user_factory):
    me = api_client(user_factory("reader-1", clearances=US_CLEARANCES), scope="read")
    body = me.get("/api/v1/me/").json()
    assert body["username"] == "reader-1" and body["token_scope"] == "read"
    assert body["markings"] == ["all", "us-kr", "us-only"]


@pytest.mark.parametrize("sort", [value for value, _label in SORTS])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_every_sort_lists_the_items_in_the_pages_order(
    api_client, user_factory, item_factory, sort, language
):
    """Ties, empty due dates and empty Korean titles included; pages of three."""
    dues = [None, dt.date(2027, 1, 5), dt.date(2027, 1, 5), None, dt.date(2026, 12, 1)]
    for n, due in enumerate(dues * 2):
        item_factory(
            f"item-{n:02d}",
            due_date=due,
            title_ko="" if n % 4 == 0 else f"제목 {n % 3}",
            title_en=f"Title {n % 3}",
            priority=list(Priority)[n % 4],
            status=[Status.IN_PROGRESS, Status.BLOCKED, Status.NOT_STARTED][n % 3],
        )
    user = user_factory(language=language)
    page = Client(HTTP_ACCEPT_LANGUAGE=language)
    page.force_login(user)
    on_page = [i.key for i in page.get(f"/items/?sort={sort}").context["items"]]
    client, seen = api_client(user, language=language), []
    url = f"/api/v1/items/?sort={sort}&page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["key"] for row in body["results"]]
        url = body["next"]
    assert seen == on_page

"""The items list: filters kept in the URL, sorting, search, pagination and a CSV export of
exactly what is filtered."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group

from tests.support.pages import shown_keys, today
from tracker import roles
from tracker.models import Country, Priority, Source, Status, Theme


def listed(client, query: str = "") -> list[str]:
    """The item keys the list shows, in order."""
    page = client.get(f"/items/{query}")
    assert page.status_code == 200
    return shown_keys(page.content)


def exported(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/items/export.csv{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.coordinator)
    return client


def test_the_list_shows_every_visible_item_sorted_by_key(signed_in):
    assert listed(signed_in) == ["closed-item", "public-item", "us-secret"]


def test_filtering_by_status_keeps_only_those_statuses(signed_in):
    assert listed(signed_in, "?status=implemented") == ["closed-item"]
    assert listed(signed_in, "?status=implemented&status=in_progress") == [
        "closed-item",
        "public-item",
    ]


def test_filtering_by_theme_source_and_lead_organization(signed_in, world, source, us_org):
    other_theme = Theme.objects.create(source=source, key="other", title_en="Other theme")
    world.closed.theme = other_theme
    world.closed.save()
    assert listed(signed_in, f"?theme={other_theme.pk}") == ["closed-item"]
    other = Source.objects.create(key="other-report", title_en="Other", date=dt.date(2023, 1, 1))
    assert listed(signed_in, f"?source={other.key}") == []
    assert len(listed(signed_in, f"?source={source.key}")) == 3
    assert listed(signed_in, f"?lead={us_org.key}") == ["closed-item", "public-item", "us-secret"]


def test_filtering_by_owner_includes_co_owned_items(signed_in, world):
    Group.objects.get(name=roles.OWNERS).user_set.add(world.co_owner)
    assert listed(signed_in, "?owner=owner") == ["closed-item", "public-item", "us-secret"]
    assert listed(signed_in, "?owner=coowner") == ["public-item"]


def test_filtering_by_lead_country_and_priority(client, world, kr_org):
    client.force_login(world.kr_reader)
    assert listed(client, f"?country={Country.KR}") == ["kr-secret"]
    world.public.priority = Priority.CRITICAL
    world.public.save()
    assert listed(client, "?priority=critical") == ["public-item"]


def test_overdue_only_keeps_open_items_past_their_due_date(signed_in, world):
    world.closed.due_date = today() - dt.timedelta(days=30)
    world.closed.save()
    assert listed(signed_in, "?overdue=on") == ["public-item"]


def test_search_matches_titles_in_either_language_and_keys(signed_in):
    assert listed(signed_in, "?q=export+controls") == ["public-item"]
    assert listed(signed_in, "?q=수출") == ["public-item"]
    assert listed(signed_in, "?q=US-SECRET") == ["us-secret"]
    assert listed(signed_in, "?q=100%25") == []


def test_sorting_by_due_date_and_priority(signed_in, world):
    world.closed.priority = Priority.CRITICAL
    world.closed.save()
    assert listed(signed_in, "?sort=due") == ["public-item", "us-secret", "closed-item"]
    assert listed(signed_in, "?sort=-due") == ["closed-item", "us-secret", "public-item"]
    assert listed(signed_in, "?sort=priority")[0] == "closed-item"
    assert listed(signed_in, "?sort=status") == ["us-secret", "public-item", "closed-item"]


def test_pagination_keeps_the_filters_in_its_links(signed_in, item_factory):
    for n in range(55):
        item_factory(f"bulk-{n:02d}", status=Status.BLOCKED)
    page = signed_in.get("/items/?status=blocked&sort=key")
    assert "55 items" in page.content.decode()
    assert len(shown_keys(page.content)) == 50
    assert "?status=blocked&amp;sort=key&amp;page=2" in page.content.decode()
    assert len(listed(signed_in, "?status=blocked&sort=key&page=2")) == 5


def test_the_export_holds_exactly_the_filtered_items_in_the_same_order(signed_in):
    rows = exported(signed_in, "?status=implemented&status=in_progress&sort=-due")
    assert rows[0][0] == "Key"
    assert [r[0] for r in rows[1:]] == listed(
        signed_in, "?status=implemented&status=in_progress&sort=-due"
    )
    assert rows[1][rows[0].index("Link")].endswith("/items/closed-item/")


def test_the_export_link_carries_the_current_filters(signed_in):
    body = signed_in.get("/items/?status=blocked&page=1").content.decode()
    assert 'href="/items/export.csv?status=blocked"' in body


def test_the_export_neutralises_cells_a_spreadsheet_would_run(signed_in, world):
    world.public.title_en = '=HYPERLINK("http://evil.example","click")'
    world.public.title_ko = "+cmd|' /C calc'!A0"
    world.public.save()
    row = next(r for r in exported(signed_in) if r[0] == "public-item")
    assert row[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert row[2].startswith("'+cmd")


def test_the_export_follows_the_readers_language(client, world):
    client.force_login(world.kr_reader)
    client.cookies["django_language"] = "ko"
    rows = exported(client)
    assert rows[0][0] == "키"
    assert "진행 중" in [r[3] for r in rows]


def test_an_unknown_filter_value_is_ignored_and_named(signed_in):
    page = signed_in.get("/items/?status=bogus&theme=abc&sort=evil")
    assert page.status_code == 200
    assert shown_keys(page.content) == ["closed-item", "public-item", "us-secret"]
    notice = page.content.decode()
    assert "Some filters were not understood and were ignored" in notice
    assert "Status" in notice and "Theme" in notice


def test_a_cached_list_shows_a_change_at_once(signed_in, world):
    assert listed(signed_in, "?status=blocked") == []
    world.public.status = Status.BLOCKED
    world.public.save()
    assert listed(signed_in, "?status=blocked") == ["public-item"]


def test_a_cached_list_is_kept_apart_per_viewer_clearance(client, world):
    client.force_login(world.us_reader)
    assert "us-secret" in listed(client)
    client.force_login(world.reader)
    assert "us-secret" not in listed(client)


def test_the_owner_filter_takes_part_of_a_user_name_or_a_name(signed_in, world):
    world.co_owner.first_name, world.co_owner.last_name = "Min-ji", "Kim"
    world.co_owner.save()
    assert listed(signed_in, "?owner=OWN") == ["closed-item", "public-item", "us-secret"]
    assert listed(signed_in, "?owner=coown") == ["public-item"]  # a co-owner counts
    assert listed(signed_in, "?owner=kim") == ["public-item"]  # by last name
    assert listed(signed_in, "?owner=nobody-like-this") == []

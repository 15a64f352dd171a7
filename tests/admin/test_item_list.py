"""The coordinators' list of action items: columns, filters, search, and a fixed query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.admin import CHANGELIST, text_of
from tracker import roles
from tracker.models import ActionItem, Country, Marking, Organization, Source, Status, Theme


def keys_listed(response) -> set[str]:
    return {item.key for item in response.context["cl"].result_list}


def test_the_list_shows_the_columns_a_coordinator_scans(as_coordinator, item_factory, coordinator):
    item_factory(
        "late-one",
        title_en="A late item",
        status=Status.BLOCKED,
        owner=coordinator,
        due_date=dt.date(2023, 1, 5),
    )
    page = text_of(as_coordinator.get(CHANGELIST))
    assert "late-one" in page and "A late item" in page
    assert 'class="badge status-blocked"' in page and "Blocked" in page
    assert "Department of Defense" in page and "coord" in page
    assert 'class="badge overdue"' in page  # the overdue flag, in red
    assert "2023" in page  # due date, and the date hierarchy above


def test_the_title_column_follows_the_users_language(signed_in, user_factory, item_factory):
    item_factory("bilingual", title_en="Joint exercise", title_ko="연합 훈련")
    korean = user_factory("kim", role=roles.COORDINATORS, language="ko")
    page = text_of(signed_in(korean).get(CHANGELIST))
    assert "연합 훈련" in page and "Joint exercise" not in page
    assert "제목" in page and "공개 범위" in page  # the column and a filter, in Korean


def test_the_language_switcher_cookie_wins_over_the_profile(
    signed_in, user_factory, item_factory, settings
):
    item_factory("bilingual", title_en="Joint exercise", title_ko="연합 훈련")
    client = signed_in(user_factory("kim", role=roles.COORDINATORS, language="ko"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = text_of(client.get(CHANGELIST))
    assert "Joint exercise" in page and "연합 훈련" not in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", {"fresh", "moving", "stuck"}),
        ("status=closed", {"done", "dropped"}),
        ("status=blocked", {"stuck"}),
        ("overdue=yes", {"stuck"}),
        ("due_within=7", {"moving"}),
        ("marking__exact=us-only", {"dropped"}),
        ("lead_organization__country__exact=KR", {"fresh"}),
    ],
)
def test_each_filter_narrows_the_list(as_coordinator, item_factory, kr_org, query, expected):
    today = dt.date.today()
    item_factory("fresh", lead_organization=kr_org, due_date=today + dt.timedelta(days=60))
    item_factory("moving", status=Status.IN_PROGRESS, due_date=today + dt.timedelta(days=3))
    item_factory("stuck", status=Status.BLOCKED, due_date=today - dt.timedelta(days=3))
    item_factory("done", status=Status.IMPLEMENTED, due_date=today - dt.timedelta(days=9))
    item_factory("dropped", status=Status.SUPERSEDED, marking=Marking.US_ONLY, due_date=today)
    assert keys_listed(as_coordinator.get(f"{CHANGELIST}?{query}")) == expected


def test_theme_source_and_owner_filters_are_offered(
    as_coordinator, item_factory, coordinator, kr_org, source
):
    other_report = Source.objects.create(key="other", title_en="Other", date=source.date)
    other_theme = Theme.objects.create(source=other_report, key="t", title_en="Other theme")
    item_factory("owned", owner=coordinator)
    ActionItem.objects.create(
        key="unowned",
        source=other_report,
        theme=other_theme,
        title_en="Elsewhere",
        paragraph=2,
        excerpt="x",
        lead_organization=kr_org,
    )
    response = as_coordinator.get(CHANGELIST)
    titles = {str(spec.title) for spec in response.context["cl"].filter_specs}
    assert {"theme", "source", "lead organization", "owner", "country"} <= titles
    assert {"overdue", "due soon", "releasability", "status"} <= titles
    owned = as_coordinator.get(f"{CHANGELIST}?owner__id__exact={coordinator.pk}")
    assert keys_listed(owned) == {"owned"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("needle-key", {"needle-key"}),
        ("haystack summary", {"by-summary"}),
        ("방위사업청", {"by-lead", "by-partner"}),
        ("Commerce", {"by-partner"}),
    ],
)
def test_search_covers_keys_titles_summaries_and_organizations(
    as_coordinator, item_factory, kr_org, term, expected
):
    commerce = Organization.objects.create(key="doc", name_en="Commerce", country=Country.US)
    item_factory("needle-key")
    item_factory("by-summary", summary_en="a haystack summary here")
    item_factory("by-lead", lead_organization=kr_org)
    partnered = item_factory("by-partner")
    partnered.partner_organizations.add(commerce, kr_org)
    assert keys_listed(as_coordinator.get(CHANGELIST, {"q": term})) == expected


def test_owner_and_organization_fields_autocomplete(as_coordinator, coordinator, kr_org):
    owners = as_coordinator.get(
        "/admin/autocomplete/",
        {"app_label": "tracker", "model_name": "actionitem", "field_name": "owner", "term": "coo"},
    )
    assert [r["text"] for r in owners.json()["results"]] == ["coord"]
    orgs = as_coordinator.get(
        "/admin/autocomplete/",
        {
            "app_label": "tracker",
            "model_name": "actionitem",
            "field_name": "lead_organization",
            "term": "DAP",
        },
    )
    assert [r["text"] for r in orgs.json()["results"]] == ["DAPA"]


def _bulk_items(source, theme, org, start: int, count: int) -> None:
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                key=f"bulk-{n:05d}",
                source=source,
                source_date=source.date,
                theme=theme,
                title_en=f"Bulk item {n}",
                paragraph=1,
                excerpt="x",
                lead_organization=org,
                due_date=dt.date(2027, 1, 1) + dt.timedelta(days=n % 300),
                status=Status.IN_PROGRESS if n % 2 else Status.NOT_STARTED,
            )
            for n in range(start, start + count)
        ],
        batch_size=1000,
    )


def test_the_list_costs_the_same_queries_for_100_and_10000_items(
    as_coordinator, source, theme, us_org, coordinator
):
    _bulk_items(source, theme, us_org, 0, 100)
    ActionItem.objects.filter(key__endswith="7").update(owner=coordinator)
    as_coordinator.get(CHANGELIST)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        assert as_coordinator.get(CHANGELIST).status_code == 200
    _bulk_items(source, theme, us_org, 100, 9_900)
    ActionItem.objects.filter(key__endswith="7").update(owner=coordinator)
    with CaptureQueriesContext(connection) as large:
        response = as_coordinator.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 100
    assert len(large.captured_queries) == len(small.captured_queries) <= 20
    counts = [q["sql"] for q in large.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1  # the page's own count; never a second, unfiltered one

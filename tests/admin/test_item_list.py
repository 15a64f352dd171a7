"""The coordinators' list of action items: columns, filters, search, and a fixed query count."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.admin import CHANGELIST, text_of
from tracker import roles
from tracker.admin.filters import ThemeFilter, due_span
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
    assert "coord" in page
    assert 'class="badge overdue"' in page  # the overdue flag, in red, by the due date
    assert "Jan. 5, 2023" in page


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
    assert {
        "theme",
        "report",
        "lead organization",
        "owner",
        "lead organization's country",
    } <= titles
    assert {"overdue", "due within", "releasability", "status"} <= titles
    owned = as_coordinator.get(f"{CHANGELIST}?owner__id__exact={coordinator.pk}")
    assert keys_listed(owned) == {"owned"}


def test_the_due_date_filter_offers_the_years_due_and_no_date(as_coordinator, item_factory):
    item_factory("this-year", due_date=dt.date(2027, 6, 30))
    item_factory("later", due_date=dt.date(2030, 2, 1))
    item_factory("hidden", due_date=dt.date(2035, 2, 1), marking=Marking.KR_ONLY)
    item_factory("undated", due_date=None)
    response = as_coordinator.get(CHANGELIST)
    (due,) = [s for s in response.context["cl"].filter_specs if str(s.title) == "due date"]
    offered = [value for value, _label in due.lookup_choices]
    # The years of the items this user may see, not of the hidden one.
    assert offered == ["week", "month", "next-month", "2027", "2028", "2029", "2030", "none"]
    assert keys_listed(as_coordinator.get(f"{CHANGELIST}?due=2030")) == {"later"}
    assert keys_listed(as_coordinator.get(f"{CHANGELIST}?due=none")) == {"undated"}
    assert len(keys_listed(as_coordinator.get(f"{CHANGELIST}?due=nonsense"))) == 3


@pytest.mark.parametrize(
    ("value", "span"),
    [
        ("week", (dt.date(2026, 12, 28), dt.date(2027, 1, 3))),  # Monday to Sunday
        ("month", (dt.date(2026, 12, 1), dt.date(2026, 12, 31))),
        ("next-month", (dt.date(2027, 1, 1), dt.date(2027, 1, 31))),
        ("2029", (dt.date(2029, 1, 1), dt.date(2029, 12, 31))),
        ("99999", None),
        ("²", None),
        (None, None),
    ],
)
def test_each_due_date_choice_is_a_span_of_days(value, span):
    assert due_span(value, today=dt.date(2026, 12, 30)) == span


def test_with_many_themes_the_theme_filter_lists_those_of_the_chosen_report(
    as_coordinator, item_factory, source, theme, monkeypatch
):
    monkeypatch.setattr(ThemeFilter, "MAX_CHOICES", 2)
    other = Source.objects.create(key="other", title_en="Other", date=source.date)
    for n in range(2):
        Theme.objects.create(source=other, key=f"t{n}", title_en=f"Other theme {n}")
    second = Theme.objects.create(source=source, key="s2", title_en="Second theme")
    item_factory()

    def themes_offered(query: str = "") -> list[str]:
        specs = as_coordinator.get(f"{CHANGELIST}{query}").context["cl"].filter_specs
        # A filter with nothing to offer is left out of the sidebar.
        return [name for s in specs if str(s.title) == "theme" for _pk, name in s.lookup_choices]

    assert themes_offered() == []  # four themes: none until a report is chosen
    assert themes_offered(f"?source__id__exact={other.pk}") == ["Other theme 0", "Other theme 1"]
    assert themes_offered(f"?source__id__exact={source.pk}") == [str(theme), str(second)]


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
    cache.clear()  # the rendered page and its count are kept: measure a page rendered afresh
    with CaptureQueriesContext(connection) as small:
        assert as_coordinator.get(CHANGELIST).status_code == 200
    _bulk_items(source, theme, us_org, 100, 9_900)
    ActionItem.objects.filter(key__endswith="7").update(owner=coordinator)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        response = as_coordinator.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 50  # a page
    assert len(large.captured_queries) == len(small.captured_queries) <= 20
    counts = [
        q["sql"]
        for q in large.captured_queries
        if "COUNT(" in q["sql"].upper() and 'FROM "tracker_actionitem"' in q["sql"]
    ]
    assert len(counts) == 1  # the page's own count of items; never a second, unfiltered one


# --- What the list shows is always the present ----------------------------------------------------


def test_an_edit_shows_on_the_next_list_load(as_coordinator, item_factory):
    from tests.admin.test_item_page import form_data
    from tests.support.admin import item_url, text_of

    item = item_factory("edited", title_en="Old title")
    assert "Old title" in text_of(as_coordinator.get(CHANGELIST))
    assert (
        as_coordinator.post(item_url(item), form_data(item, title_en="New title")).status_code
        == 302
    )
    page = text_of(as_coordinator.get(CHANGELIST))
    assert "New title" in page and "Old title" not in page


def test_a_re_marked_item_leaves_the_list_of_those_no_longer_cleared_for_it(
    as_coordinator, user_factory, item_factory
):
    from django.test import Client

    from tests.admin.test_item_page import form_data
    from tests.conftest import KR_CLEARANCES
    from tests.support.admin import item_url, text_of

    item = item_factory("shared", title_en="Shared plan")
    korean = user_factory("kr-coord", role=roles.COORDINATORS, clearances=KR_CLEARANCES)
    client = Client()
    client.force_login(korean)
    assert "Shared plan" in text_of(client.get(CHANGELIST))
    response = as_coordinator.post(item_url(item), form_data(item, marking=Marking.US_ONLY))
    assert response.status_code == 302
    assert "Shared plan" not in text_of(client.get(CHANGELIST))


def test_a_withdrawn_clearance_shows_on_the_next_list_load(
    as_coordinator, coordinator, item_factory
):
    from tests.support.admin import text_of

    item_factory("us-secret", title_en="U.S. eyes only", marking=Marking.US_ONLY)
    assert "U.S. eyes only" in text_of(as_coordinator.get(CHANGELIST))
    coordinator.profile.may_see_us_only = False
    coordinator.profile.save()
    assert "U.S. eyes only" not in text_of(as_coordinator.get(CHANGELIST))

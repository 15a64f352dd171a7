"""Admin lists accept only the lookups they declare (tracker/admin_lookups.py): no lookup in a
list's address names, counts or confirms an item the viewer may not see, none runs unbounded,
and no value is a server error. As a coordinator and as an owner cleared for no marking."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.db import models

from tests.conftest import US_CLEARANCES
from tests.support.admin import CHANGELIST, text_of
from tracker import roles
from tracker.admin.filters import FewRelatedOnlyFilter, ThemeFilter
from tracker.models import ActionItem, Marking, Reminder, ReminderItem, ReminderKind, Source

HUGE = "9" * 30
PATHOLOGICAL = r"^(\w+\s?)*$"


@pytest.fixture
def people(user_factory, kr_org):
    kr_coordinator = user_factory("kr-coord", role=roles.COORDINATORS, country="KR")
    return {
        "coordinator": user_factory("coord", role=roles.COORDINATORS, clearances=US_CLEARANCES),
        "owner": user_factory("owner", role=roles.OWNERS),  # cleared for no marking
        "kr": kr_coordinator,
    }


@pytest.fixture
def hidden(people, item_factory, kr_org, us_org, now) -> ActionItem:
    """A ROK-only item that both the coordinator and the owner co-own (a revoked clearance
    looks like this), with a digest to each of them that names it."""
    item = item_factory(
        "rok-only",
        title_en="Hidden rok plan",
        marking=Marking.KR_ONLY,
        owner=people["kr"],
        lead_organization=kr_org,
        co_owners=[people["coordinator"], people["owner"]],
    )
    item.partner_organizations.set([us_org])
    for person in (people["coordinator"], people["owner"]):
        reminder = Reminder.objects.create(
            recipient=person, local_date=dt.date(2026, 11, 27), created_at=now
        )
        ReminderItem.objects.create(reminder=reminder, item=item, kind=ReminderKind.OVERDUE)
    return item


def missing_id() -> int:
    return ActionItem.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000


UNDECLARED = [
    ("coordinator", "/admin/auth/user/", "owned_items"),
    ("coordinator", "/admin/auth/user/", "co_owned_items"),
    ("coordinator", "/admin/auth/user/", "co_owned_items__id__gt"),
    ("coordinator", "/admin/auth/user/", "reminders__items"),
    ("coordinator", "/admin/tracker/organization/", "led_items"),
    ("coordinator", "/admin/tracker/organization/", "partner_items"),
    ("coordinator", "/admin/tracker/theme/", "items"),
    ("coordinator", "/admin/tracker/source/", "items"),
    ("coordinator", "/admin/tracker/reminder/", "items"),
    ("coordinator", "/admin/tracker/reminder/", "entries__item"),
    ("coordinator", CHANGELIST, "owner__owned_items__id__gt"),
    ("coordinator", CHANGELIST, "id__exact"),
    ("owner", "/admin/tracker/organization/", "led_items"),
    ("owner", "/admin/tracker/organization/", "partner_items__id__in"),
    ("owner", "/admin/tracker/theme/", "items"),
    ("owner", "/admin/tracker/source/", "items__id__exact"),
    ("owner", "/admin/tracker/reminder/", "items"),
    ("owner", CHANGELIST, "co_owners__co_owned_items"),
]


@pytest.mark.parametrize(("who", "changelist", "lookup"), UNDECLARED)
def test_a_lookup_the_list_does_not_declare_is_refused_alike_for_a_hidden_and_a_missing_id(
    signed_in, people, hidden, who, changelist, lookup
):
    client = signed_in(people[who])
    answers = []
    for value in (hidden.pk, missing_id()):
        response = client.get(f"{changelist}?{urlencode({lookup: value})}")
        assert response.status_code == 400
        answers.append(text_of(response))
    assert answers[0] == answers[1] == f"This list cannot be filtered by “{lookup}”."
    assert "rok" not in answers[0]


@pytest.mark.parametrize("who", ["coordinator", "owner"])
@pytest.mark.parametrize(
    "lookup",
    [
        "title_en__regex",
        "excerpt__regex",
        "summary_en__regex",
        "title_ko__iregex",
        "key__regex",
        "marking__regex",
        "lead_organization__name_en__iregex",
    ],
)
def test_a_regular_expression_is_refused_on_every_field(
    signed_in, people, item_factory, who, lookup
):
    item_factory("long", title_en="a" * 40 + "!", excerpt="a" * 40 + "!")
    response = signed_in(people[who]).get(f"{CHANGELIST}?{urlencode({lookup: PATHOLOGICAL})}")
    assert response.status_code == 400
    assert f"cannot be filtered by “{lookup}”" in text_of(response)


@pytest.mark.parametrize(
    ("changelist", "lookup"),
    [
        (CHANGELIST, "owner__id__exact"),
        (CHANGELIST, "theme__id__exact"),
        (CHANGELIST, "source__id__exact"),
        (CHANGELIST, "lead_organization__id__exact"),
        ("/admin/tracker/source/", "date__year"),
        ("/admin/tracker/reminder/", "local_date__year"),
        ("/admin/tracker/reminder/", "recipient__id__exact"),
        ("/admin/tracker/theme/", "source__id__exact"),
        ("/admin/auth/user/", "groups__id__exact"),
    ],
)
@pytest.mark.parametrize("value", [HUGE, "-" + HUGE, "abc", ""])
@pytest.mark.parametrize("who", ["coordinator", "owner"])
def test_a_value_its_column_cannot_hold_is_a_400_that_says_so(
    signed_in, people, hidden, changelist, lookup, value, who
):
    response = signed_in(people[who]).get(f"{changelist}?{urlencode({lookup: value})}")
    if who == "owner" and changelist == "/admin/auth/user/":
        assert response.status_code == 403  # owners have no user list at all
        return
    assert response.status_code == 400
    assert f"is not a possible value of “{lookup}”" in text_of(response)


def test_the_lookups_a_list_declares_still_filter_it(
    signed_in, people, hidden, item_factory, source, theme, now, monkeypatch
):
    client = signed_in(people["coordinator"])
    item_factory("mine", owner=people["coordinator"])
    item_factory("other")

    def keys(query: str) -> set[str]:
        response = client.get(f"{CHANGELIST}?{query}")
        assert response.status_code == 200, text_of(response)
        return {item.key for item in response.context["cl"].result_list}

    assert keys(f"owner__id__exact={people['coordinator'].pk}") == {"mine"}
    # Past their limits the owner and theme filters list no choices: their lookups still apply.
    monkeypatch.setattr(FewRelatedOnlyFilter, "MAX_CHOICES", 0)
    monkeypatch.setattr(ThemeFilter, "MAX_CHOICES", 0)
    response = client.get(f"{CHANGELIST}?owner__id__exact={people['coordinator'].pk}")
    assert [item.key for item in response.context["cl"].result_list] == ["mine"]
    assert "owner" in {str(spec.title) for spec in response.context["cl"].filter_specs}
    assert keys(f"theme__id__exact={theme.pk}&status=open") == {"mine", "other"}
    assert keys(f"theme__id__exact={theme.pk + 1}") == set()
    years = client.get(f"/admin/tracker/source/?date__year={source.date.year}")
    assert list(years.context["cl"].result_list) == [source]
    day = client.get("/admin/tracker/reminder/?local_date__year=2026&local_date__month=11")
    assert day.status_code == 200 and len(day.context["cl"].result_list) == 2
    staff = client.get(f"/admin/auth/user/?is_staff__exact=1&q={people['owner'].username}")
    assert list(staff.context["cl"].result_list) == [people["owner"]]


def test_the_reminder_log_lists_the_same_for_an_owner_whatever_item_id_is_asked(
    signed_in, people, hidden
):
    client = signed_in(people["owner"])
    assert len(client.get("/admin/tracker/reminder/").context["cl"].result_list) == 1
    for value in (hidden.pk, missing_id()):
        response = client.get(f"/admin/tracker/reminder/?items__id__exact={value}")
        assert response.status_code == 400
        assert "rok" not in text_of(response).lower()


# --- Every list, every kind of field: within a second, never a 500 -------------------------------


def _probes(model) -> list[str]:
    """A pathological regex on each text field, a number no column holds on each numeric field
    and relation (exact, in, gt), a year past 9999 and a page and ordering far past the end."""
    queries = [{"o": HUGE}, {"p": HUGE}, {"id__in": f"1,{HUGE}"}]
    for field in model._meta.get_fields():
        if isinstance(field, models.CharField | models.TextField):
            queries.append({f"{field.name}__regex": PATHOLOGICAL})
        elif field.is_relation or isinstance(field, models.IntegerField):
            queries += [{f"{field.name}__{op}": HUGE} for op in ("exact", "in", "gt")]
        elif isinstance(field, models.DateField):
            queries.append({f"{field.name}__year": HUGE})
    return [urlencode(query) for query in queries]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("who", ["superuser", "coordinator", "owner"])
def test_any_list_answers_a_pathological_regex_or_a_huge_number_within_a_second(
    signed_in, user_factory, people, hidden, item_factory, who
):
    people["superuser"] = user_factory("root", role=None, superuser=True)
    # Text on which that regex backtracks for ages, if it were ever run.
    item_factory("slow", title_en="a" * 40 + "!", excerpt="a" * 40 + "!", summary_en="a" * 40)
    Source.objects.filter(pk=hidden.source_id).update(title_en="a" * 40 + "!")
    client = signed_in(people[who])
    slow = []
    for model in admin.site._registry:
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for query in _probes(model):
            started = time.monotonic()
            response = client.get(f"{changelist}?{query}")
            took = time.monotonic() - started
            assert response.status_code < 500, f"{changelist}?{query}"
            if took > 1:
                slow.append(f"{changelist}?{query}: {took:.1f} s")
    assert slow == []

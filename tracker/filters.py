"""The items list's filters, kept in the URL so a filtered view can be shared or exported.

A value the filter does not understand (an unknown status, a theme id that is not a number, a
search longer than allowed) makes that one filter invalid; django-filter then leaves it out and
the page says which filters it ignored. Nothing in a query string can raise past this module.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import selectors
from .models import (
    ActionItem,
    Country,
    Organization,
    Priority,
    Source,
    Status,
    Theme,
)
from .reminders.escalation import nobody_to_escalate_to

SEARCH_MAX_LENGTH = 200
# A parameter value longer than this, or holding a NUL (which PostgreSQL refuses in text), is
# dropped before any filter sees it.
PARAM_MAX_LENGTH = 1000
DEFAULT_SORT = "key"
# The filters shown as a select, in the page's order. The owner is typed (a user name): with
# thousands of owners a select would be most of the page's weight, and unusable.
SELECTS = ("theme", "source", "lead", "country", "priority", "sort")

SORTS = [
    ("key", _("Key")),
    ("due", _("Due date, soonest first")),
    ("-due", _("Due date, latest first")),
    ("-updated", _("Recently updated")),
    ("status", _("Status")),
    ("priority", _("Priority, highest first")),
    ("title", _("Title")),
]


def clean_params(data: QueryDict) -> QueryDict:
    """A copy of the query string without values no filter could use safely."""
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        if len(key) > 50:
            continue
        kept = [v for v in values if len(v) <= PARAM_MAX_LENGTH and "\x00" not in v]
        if kept:
            cleaned.setlist(key, kept)
    return cleaned


def _rank(field: str, order: list[str]) -> Case:
    """Sort `field` by the position of its value in `order` (unknown values last)."""
    return Case(
        *[When(**{field: value}, then=Value(i)) for i, value in enumerate(order)],
        default=Value(len(order)),
        output_field=IntegerField(),
    )


def sort_expressions(sort: str) -> list:
    title = "title_ko" if (get_language() or "en").startswith("ko") else "title_en"
    return {
        "key": ["key"],
        "due": [F("due_date").asc(nulls_last=True), "key"],
        "-due": [F("due_date").desc(nulls_last=True), "key"],
        "-updated": ["-updated_at", "key"],
        "status": [_rank("status", list(Status.values)), "key"],
        "priority": [_rank("priority", [p.value for p in reversed(Priority)]), "key"],
        "title": [title, "title_en", "key"],
    }.get(sort, ["key"])


def sort_keys(sort: str) -> list[tuple[object, bool]]:
    """The same orders as `sort_expressions`, as (expression, descending) pairs whose values
    decide a row's place on their own (empty due dates fold into the far end, the key last):
    what a cursor remembers to continue a list (the API). Tests hold the two to one order."""
    title = "title_ko" if (get_language() or "en").startswith("ko") else "title_en"
    key = (F("key"), False)
    return {
        "key": [key],
        "due": [(Coalesce("due_date", Value(dt.date.max)), False), key],
        "-due": [(Coalesce("due_date", Value(dt.date.min)), True), key],
        "-updated": [(F("updated_at"), True), key],
        "status": [(_rank("status", list(Status.values)), False), key],
        "priority": [(_rank("priority", [p.value for p in reversed(Priority)]), False), key],
        "title": [(F(title), False), (F("title_en"), False), key],
    }.get(sort, [key])


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return obj.title


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organization) -> str:
        return obj.name


class ThemeFilter(django_filters.ModelChoiceFilter):
    field_class = ThemeChoiceField


class OrganizationFilter(django_filters.ModelChoiceFilter):
    field_class = OrganizationChoiceField


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="search", max_length=SEARCH_MAX_LENGTH, strip=True
    )
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        widget=forms.CheckboxSelectMultiple,
        distinct=False,  # a plain column: no duplicates to remove, and DISTINCT costs a sort
    )
    theme = ThemeFilter(label=_("Theme"), queryset=Theme.objects.all())
    source = django_filters.ModelChoiceFilter(
        label=_("Source"), queryset=Source.objects.all(), to_field_name="key"
    )
    lead = OrganizationFilter(
        label=_("Lead organization"),
        field_name="lead_organization",
        queryset=Organization.objects.all(),
        to_field_name="key",
    )
    owner = django_filters.CharFilter(
        label=_("Owner or co-owner"),
        method="owned_by",
        max_length=SEARCH_MAX_LENGTH,
        strip=True,
        help_text=_("Part of a user name or name."),
    )
    country = django_filters.ChoiceFilter(
        label=_("Lead country"), field_name="lead_organization__country", choices=Country.choices
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    overdue = django_filters.BooleanFilter(
        label=_("Overdue only"), method="only_overdue", widget=forms.CheckboxInput
    )
    unescalated = django_filters.BooleanFilter(
        label=_("Long overdue, nobody to escalate to"),
        method="nobody_to_escalate",
        widget=forms.CheckboxInput,
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"), choices=SORTS, method="sort_by", empty_label=None
    )

    class Meta:
        model = ActionItem
        fields: list[str] = []

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        match = Q()
        for field in ("key", "title_en", "title_ko", "summary_en", "summary_ko", "excerpt"):
            match |= Q(**{f"{field}__icontains": value})
        return queryset.filter(match)

    def owned_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.owned_by_name(queryset, text=value or "")

    def only_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return queryset.overdue(self.today)

    def nobody_to_escalate(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if not value:
            return queryset
        return nobody_to_escalate_to(queryset, today=self.today)

    def sort_by(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.order_by(*sort_expressions(value))

    def ignored(self) -> list[str]:
        """Labels of the filters given in the URL that were not understood."""
        return [str(self.filters[name].label) for name in self.form.errors if name in self.filters]

    def sorted_qs(self) -> QuerySet:
        """The filtered items, sorted by the URL's sort or the default (a stable order)."""
        qs = self.qs
        if not self.form.cleaned_data.get("sort"):
            qs = qs.order_by(*sort_expressions(DEFAULT_SORT))
        return qs

    def is_narrowed(self) -> bool:
        """Whether any understood filter (sorting aside) narrows the list."""
        data = self.form.cleaned_data
        return any(v not in (None, "", [], False) for k, v in data.items() if k != "sort")

    def choices_of(self, name: str) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for each choice of a select or checkbox filter.

        The page writes these controls itself: Django's widget templates render every option
        through the template engine, which costs more than the rest of the list page.
        """
        field = self.form[name]
        raw = field.value()
        chosen = {str(v) for v in raw} if isinstance(raw, list | tuple) else {str(raw or "")}
        return [
            (str(value), str(label), str(value) in chosen)
            for value, label in field.field.choices
            if str(value) != ""
        ]

    def controls(self) -> dict:
        """What the filter form needs, as plain values."""
        form = self.form
        form.is_valid()  # cleans the data (the items themselves are not queried here)
        return {
            name: {
                "id": f"id_{name}",
                "label": form.fields[name].label,
                "options": self.choices_of(name),
            }
            for name in SELECTS
        } | {
            "q": {"id": "id_q", "label": form.fields["q"].label, "value": form["q"].value() or ""},
            "owner": {
                "id": "id_owner",
                "label": form.fields["owner"].label,
                "value": form["owner"].value() or "",
            },
            "status": {"label": form.fields["status"].label, "options": self.choices_of("status")},
            "overdue": {
                "id": "id_overdue",
                "label": form.fields["overdue"].label,
                "checked": bool(form.cleaned_data.get("overdue")),
            },
            "unescalated": {
                "id": "id_unescalated",
                "label": form.fields["unescalated"].label,
                "checked": bool(form.cleaned_data.get("unescalated")),
            },
        }

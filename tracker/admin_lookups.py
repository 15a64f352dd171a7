"""What an admin list's address may filter by: the lookups the list declares, and no other.

Django's admin applies any lookup on a model's own fields, or across one relation, that a list's
address names, whether the list offers it or not. `/admin/auth/user/?owned_items=<id>` lists the
owners of an item the viewer may not see (and an empty list says there is no such item);
`?title_en__regex=^(\\w+\\s?)*$` runs a regular expression of the visitor's choosing on every row,
for as long as it takes. So every model admin on the tracker's site (Django's user and group
admins, django-otp's and django-axes' included: the site adds `DeclaredLookupsOnly` to each class
it registers) accepts only:

- the parameters of its list filters and of its date drill-down,
- `link_lookups`: lookups that the tracker's own links put in a list's address,
- Django's own parameters (ordering, page, search, show all, popup, facets).

Anything else is refused with a 400 that names the parameter, before any row is read; so is a
value its field could not hold (a 30-digit id, a year past 9999), which the database would
answer with an error instead of an empty list.
"""

from __future__ import annotations

from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import (
    FieldDoesNotExist,
    SuspiciousOperation,
    ValidationError,
)
from django.db.models import Field, Model
from django.db.models.constants import LOOKUP_SEP
from django.utils.text import Truncator
from django.utils.translation import gettext as _

# Lookups whose cost the visitor chooses (a pattern, a full-text query): refused everywhere,
# declared or not, so no future filter can bring one in by accident.
UNBOUNDED_LOOKUPS = frozenset({"regex", "iregex", "search"})
# Lookups compared with values of the field itself: each value must be one the field can hold.
VALUE_LOOKUPS = frozenset({"exact", "iexact", "gt", "gte", "lt", "lte", "in", "range"})
# Parts of a date or time, and the numbers each can be.
DATE_PARTS = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}
SHOWN_VALUE_LENGTH = 40


class RefusedLookup(SuspiciousOperation):
    """A list's address asks for a lookup the list does not declare, or a value its field
    cannot hold. The site answers it with a 400 that says which (TrackerAdminSite.admin_view)."""


def is_key(field: Field, value) -> bool:
    """Whether `value` can be a value of `field` in the database (“abc” or 10**30 cannot be
    an integer key: Django raises on them in a query instead of finding nothing)."""
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


def _path_target(model: type[Model], lookup: str) -> tuple[Field, list[str]] | None:
    """The field a lookup compares with, and the lookup and transforms that follow it
    (`owner__id__exact` -> User.id, ["exact"]; `source` -> Source.id, []); None when the
    lookup names no field of `model`."""
    opts, field, rest = model._meta, None, []
    parts = lookup.split(LOOKUP_SEP)
    for index, part in enumerate(parts):
        try:
            found = opts.get_field(part)
        except FieldDoesNotExist:
            rest = parts[index:]
            break
        field = found
        if not found.is_relation:
            return found, parts[index + 1 :]
        if found.related_model is None:  # a generic relation: nothing to compare with
            return None
        opts = found.related_model._meta
    if field is None:
        return None
    return field.related_model._meta.pk, rest


def _in_range(value: str, low: int, high: int) -> bool:
    return value.isascii() and value.lstrip("-").isdigit() and low <= int(value) <= high


def value_refusal(model: type[Model], lookup: str, values: list[str]) -> str | None:
    """Why `values` cannot be compared by `lookup` on `model`, or None (also None for a
    parameter that names no field: a custom filter's, which checks its own values)."""
    target = _path_target(model, lookup)
    if target is None:
        return None
    field, rest = target
    name = rest[-1] if rest else "exact"
    if rest and rest[0] in DATE_PARTS:
        low, high = DATE_PARTS[rest[0]]
        candidates = [part for value in values for part in value.split(",")]
        bad = [value for value in candidates if not _in_range(value, low, high)]
    elif name in VALUE_LOOKUPS:
        many = name in ("in", "range")
        candidates = [part for value in values for part in (value.split(",") if many else [value])]
        bad = [value for value in candidates if not is_key(field, value)]
    else:
        return None
    if not bad:
        return None
    return _("“%(value)s” is not a possible value of “%(lookup)s”.") % {
        "value": Truncator(bad[0]).chars(SHOWN_VALUE_LENGTH),
        "lookup": lookup,
    }


def undeclared(lookup: str) -> str:
    return _("This list cannot be filtered by “%(lookup)s”.") % {
        "lookup": Truncator(lookup).chars(SHOWN_VALUE_LENGTH * 2)
    }


class DeclaredLookupsChangeList(ChangeList):
    """Django's list, refusing what the module docstring lists before any filter runs."""

    def get_filters(self, request):
        raw = self.get_filters_params()
        for lookup, values in raw.items():
            if not all(self.model_admin.lookup_allowed(lookup, v, request) for v in values):
                raise RefusedLookup(undeclared(lookup))
            if refusal := value_refusal(self.model, lookup, values):
                raise RefusedLookup(refusal)
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        hierarchy = self.date_hierarchy
        drill_down = set()
        if hierarchy and f"{hierarchy}__year" in raw:
            # The drill-down's year, month and day, which Django turns into these two.
            drill_down = {f"{hierarchy}__gte", f"{hierarchy}__lt"}
        allowed = drill_down | set(self.model_admin.link_lookups)
        for lookup in remaining:
            if lookup not in allowed:
                raise RefusedLookup(undeclared(lookup))
        return specs, has_filters, remaining, duplicates, active


class DeclaredLookupsOnly:
    """A ModelAdmin whose list accepts only the lookups it declares (see the module docstring).

    `link_lookups` names lookups beyond the list filters that the tracker's links use; a
    reverse relation to action items must never be one (it would count or confirm items the
    viewer may not see), unless it goes through the releasability filter in a list filter.
    """

    link_lookups: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        parts = set(lookup.split(LOOKUP_SEP))
        if parts & UNBOUNDED_LOOKUPS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        if issubclass(base, DeclaredLookupsChangeList):
            return base
        if base is ChangeList:
            return DeclaredLookupsChangeList
        return type(base.__name__, (DeclaredLookupsChangeList, base), {})


def declared_lookups_only(admin_class: type[ModelAdmin]) -> type[ModelAdmin]:
    """`admin_class` with DeclaredLookupsOnly first in its bases (unchanged if it has it)."""
    if issubclass(admin_class, DeclaredLookupsOnly):
        return admin_class
    namespace = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(admin_class.__name__, (DeclaredLookupsOnly, admin_class), namespace)

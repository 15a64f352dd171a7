"""Sidebar filters of the action-item list. Dates are the signed-in user's local dates."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.admin_lookups import is_key
from tracker.models import CLOSED_STATUSES, OPEN_STATUSES, Status, overdue_q
from tracker.reminders.escalation import nobody_to_escalate_to
from tracker.selectors import due_within

# "Due within N days": the admin's own choices (not the digests' 7- and 1-day due-soon marks,
# nor the dashboard's 30 days).
DUE_WITHIN_DAYS = (7, 14, 30)


class StatusGroupFilter(admin.SimpleListFilter):
    """Status, with “open” and “closed” as groups above their statuses."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        def member(status):
            return status.value, "\u2003" + str(status.label)

        return [
            ("open", _("Open (any)")),
            *[member(s) for s in OPEN_STATUSES],
            member(Status.IMPLEMENTATION_CLAIMED),
            ("closed", _("Closed (any)")),
            *[member(s) for s in CLOSED_STATUSES],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.open()
        if value == "closed":
            return queryset.closed()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.filter(overdue_q(today))
        if self.value() == "no":
            return queryset.exclude(overdue_q(today))
        return queryset


class EscalationFilter(admin.SimpleListFilter):
    """Long-overdue items whose escalation reaches nobody: no coordinator for their lead
    organization and none in its country's Coordinators group (reminders/escalation.py)."""

    title = _("escalation")
    parameter_name = "escalation"

    def lookups(self, request, model_admin):
        return [("nobody", _("Nobody to escalate to"))]

    def queryset(self, request, queryset):
        if self.value() == "nobody":
            return nobody_to_escalate_to(queryset, today=timezone.localdate())
        return queryset


class DueWithinFilter(admin.SimpleListFilter):
    """Open items due from today to N days ahead (overdue ones have their own filter)."""

    title = _("due within")
    parameter_name = "due_within"

    def lookups(self, request, model_admin):
        return [(str(days), _("Within %(n)d days") % {"n": days}) for days in DUE_WITHIN_DAYS]

    def queryset(self, request, queryset):
        if self.value() not in {str(days) for days in DUE_WITHIN_DAYS}:
            return queryset
        return due_within(queryset, today=timezone.localdate(), days=int(self.value()))


class DueDateFilter(admin.SimpleListFilter):
    """The due-date drill-down: this week, this month, next month, a year, or no due date.

    It replaces Django's date hierarchy, whose years are a DISTINCT over every listed due date
    (a quarter of the list's time at 100,000 items). Here the years run from the first to the
    last due date the user may see: two lookups at the ends of the due-date index.
    """

    title = _("due date")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        ends = (
            model_admin.get_queryset(request)
            .order_by()
            .aggregate(first=Min("due_date"), last=Max("due_date"))
        )
        years = range(ends["first"].year, ends["last"].year + 1) if ends["first"] else ()
        return [
            ("week", _("This week")),
            ("month", _("This month")),
            ("next-month", _("Next month")),
            *[(str(year), str(year)) for year in years],
            ("none", _("No due date")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(due_date__isnull=True)
        span = due_span(self.value(), today=timezone.localdate())
        if span is None:
            return queryset
        return queryset.filter(due_date__gte=span[0], due_date__lte=span[1])


def due_span(value: str | None, *, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """First and last day of the due-date filter's choice `value` (a week runs Monday to
    Sunday); None for no choice or one it does not offer."""
    if value == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday, monday + dt.timedelta(days=6)
    if value in ("month", "next-month"):
        first = today.replace(day=1)
        if value == "next-month":
            first = (first + dt.timedelta(days=32)).replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    if value and value.isascii() and value.isdigit() and dt.MINYEAR <= int(value) <= dt.MAXYEAR:
        return dt.date(int(value), 1, 1), dt.date(int(value), 12, 31)
    return None


class KeptWhileChosen:
    """A related-object filter that lists no choices past a limit is still applied, and shown,
    while its lookup is in the address: Django applies only the filters it shows, and would
    quietly list every row for `?owner__id__exact=5`."""

    def has_output(self) -> bool:
        return super().has_output() or self.lookup_val is not None or bool(self.lookup_val_isnull)


class ThemeFilter(KeptWhileChosen, admin.RelatedFieldListFilter):
    """Themes, offered all at once while they are few; past MAX_CHOICES only the themes of the
    report chosen in the report filter (a theme belongs to one report), so the sidebar never
    lists hundreds of themes on every page view. `?theme__id__exact=N` works either way."""

    MAX_CHOICES = 50
    SOURCE_PARAMETER = "source__id__exact"

    def field_choices(self, field, request, model_admin):
        themes = field.related_model.objects
        source = request.GET.get(self.SOURCE_PARAMETER)
        if source and is_key(themes.model._meta.get_field("source").target_field, source):
            limit = {"source_id": source}
        elif themes.count() > self.MAX_CHOICES:
            return []
        else:
            limit = {}
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to=limit, ordering=ordering)


class FewRelatedOnlyFilter(KeptWhileChosen, admin.RelatedOnlyFieldListFilter):
    """Related objects in the list (owners, recipients), offered only while they are few.

    With thousands of owners the sidebar would list every one of them on every page view
    (a query for all of them and most of the page's weight). Past MAX_CHOICES the filter hides
    itself; the lookup it stands for (e.g. `?owner__id__exact=5`, as links use) still works.
    """

    MAX_CHOICES = 50

    def field_choices(self, field, request, model_admin):
        related = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list(f"{self.field_path}__pk", flat=True)
            .distinct()
        )
        ids = [pk for pk in related[: self.MAX_CHOICES + 1] if pk is not None]
        if len(ids) > self.MAX_CHOICES:
            return []
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(
            include_blank=False, limit_choices_to={"pk__in": ids}, ordering=ordering
        )

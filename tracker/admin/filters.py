"""Sidebar filters of the action-item list. Dates are the signed-in user's local dates."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import CLOSED_STATUSES, OPEN_STATUSES, Status, overdue_q

DUE_SOON_WINDOWS = (7, 14, 30)


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
            ("closed", _("Closed (any)")),
            *[member(s) for s in CLOSED_STATUSES],
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "closed":
            return queryset.filter(status__in=CLOSED_STATUSES)
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


class DueSoonFilter(admin.SimpleListFilter):
    """Open items due from today to N days ahead (overdue ones have their own filter)."""

    title = _("due soon")
    parameter_name = "due_within"

    def lookups(self, request, model_admin):
        return [(str(days), _("Within %(n)d days") % {"n": days}) for days in DUE_SOON_WINDOWS]

    def queryset(self, request, queryset):
        if self.value() not in {str(days) for days in DUE_SOON_WINDOWS}:
            return queryset
        today = timezone.localdate()
        until = today + dt.timedelta(days=int(self.value()))
        return queryset.filter(status__in=OPEN_STATUSES, due_date__gte=today, due_date__lte=until)


class FewRelatedOnlyFilter(admin.RelatedOnlyFieldListFilter):
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

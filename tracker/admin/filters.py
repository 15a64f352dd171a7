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

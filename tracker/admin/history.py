"""Field history (django-simple-history) as people read it: values in the reader's language and
time zone (statuses by their labels, dates as dates, people and organizations by name), and the
history page without simple-history's English-only wording or its raw values."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib import admin
from django.db.models import Field, Model
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_m2m_reverse_field_name

# Why a version was saved, as the code that saved it wrote it (simple-history's change reason).
REASONS = {
    "load_seed": gettext_lazy("Report loaded or reloaded"),
    "demo setup": gettext_lazy("Demo setup"),
}


def shown_value(field: Field, value) -> str:
    """A stored value as the reader reads it; "—" for nothing."""
    if isinstance(value, DeletedObject):
        if value.pk is None:  # simple-history's stand-in for an empty foreign key
            return "—"
        return _("deleted (id %(pk)s)") % {"pk": value.pk}
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):  # many-to-many: rows of the through table, as dicts
        related = get_m2m_reverse_field_name(field)
        return ", ".join(shown_value(field, row.get(related)) for row in value) or "—"
    if isinstance(value, Model):
        return str(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "DATE_FORMAT")
    choices = dict(getattr(field, "flatchoices", None) or [])
    return str(choices.get(value, value))


class _ReadableChanges(HistoricalRecordContextHelper):
    def format_delta_change(self, change):
        field = self.model._meta.get_field(change.field)
        return dataclasses.replace(
            change,
            field=capfirst(field.verbose_name),
            old=shown_value(field, change.old),
            new=shown_value(field, change.new),
        )


class ReadableHistory:
    """A model admin's history page in the reader's language (before SimpleHistoryAdmin)."""

    object_history_list_template = "admin/tracker/history_list.html"
    object_history_form_template = "admin/tracker/history_form.html"
    history_list_display = ["change_reason"]

    def get_historical_record_context_helper(self, request, historical_record):
        return _ReadableChanges(self.model, historical_record)

    @admin.display(description=gettext_lazy("why"))
    def change_reason(self, record) -> str:
        reason = record.history_change_reason or ""
        return str(REASONS.get(reason, reason))

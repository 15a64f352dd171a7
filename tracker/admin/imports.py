"""CSV import of action items (django-import-export), reading the export's own format.

The file may be what either export wrote (tracker/exports.py: headers, names and choices in
English or Korean, formula cells behind an apostrophe), the same after a round trip through
Excel, or a hand-made file with the field names as headers. Every row is validated (model
rules, the workflow's checks, releasability) in a dry run and shown with its row number; the
confirm step runs again in one transaction and writes nothing if any row fails. Status is
export-only (it changes through updates with a note), and an owner change goes through the
“Reassign owner” action so it lands on the timeline; the other changes land there too
(workflow.save_edit, as “changed by an import”).
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.forms import ImportForm

from tracker import changes, item_keys, new_items, workflow
from tracker.exports import COLUMNS, restore_cell, safe_cell
from tracker.models import ActionItem, Marking, Organization, Priority, Source, Theme, UpdateKind
from tracker.releasability import (
    can_see,
    clearance_problem,
    may_see_marking,
    visible_filter,
    visible_items,
)

from .forms import ITEM_FIELDS, marking_error

# A report has tens of items; a file this large is a mistake (or an attack on memory: the
# import reads the whole file and checks every row in one request).
IMPORT_MAX_BYTES = 1_000_000
# Each row costs ~25-40 ms to check (about twenty queries: its report, theme, organizations and
# people, the model's constraints, the workflow's checks, a saved version rolled back): the
# preview at this many rows answers well inside the web server's 30 s timeout, and so does the
# confirm step, which checks them all again (docs/admin.md gives the figures).
IMPORT_MAX_ROWS = 200
# Dates as the export writes them, and as spreadsheets in either country may save them back.
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y. %m. %d.", "%Y. %m. %d", "%m/%d/%Y")


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


def _in_each_language(text) -> set[str]:
    """A lazy translation as every language writes it, folded for comparison."""
    found = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(_folded(str(text)))
    return found


def header_names() -> dict[str, str]:
    """Folded header -> field name: the export's headers in every language, the field names."""
    names = {"owner_role": "owner_role_en"}  # the older name
    for column in COLUMNS:
        if column.field:
            names[column.field] = column.field
            names.update(dict.fromkeys(_in_each_language(column.header), column.field))
    return names


class ChoiceWidget(widgets.Widget):
    """A choice by its value or its label in any language; written as the reader's label."""

    def __init__(self, choices):
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        text = _folded(value or "")
        if not text:
            return ""
        for choice in self.choices:
            if text == choice.value.casefold() or text in _in_each_language(choice.label):
                return choice.value
        offered = ", ".join(str(choice.label) for choice in self.choices)
        raise ValueError(
            _("“%(value)s” is not one of: %(offered)s.") % {"value": value, "offered": offered}
        )

    def render(self, value, obj=None, **kwargs):
        labels = {choice.value: str(choice.label) for choice in self.choices}
        return labels.get(value, value or "")


class LocalDateWidget(widgets.DateWidget):
    """YYYY-MM-DD, or the forms a spreadsheet saves a date back in."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, dt.date) or not str(value or "").strip():
            return value or None
        text = str(value).strip()
        for form in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, form).date()  # noqa: DTZ007 -- a date
            except ValueError:
                continue
        raise ValueError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if isinstance(value, dt.date) else ""


class NamedWidget(widgets.ForeignKeyWidget):
    """A related row by its key or its name in either language; written as the reader's name."""

    def __init__(self, model, names: tuple[str, ...]):
        super().__init__(model, "key")
        self.names = names

    def lookup(self, value, row) -> object:
        text = str(value).strip()
        match = Q(key=text)
        for name in self.names:
            match |= Q(**{f"{name}__iexact": text})
        found = list(self.get_queryset(value, row).filter(match)[:2])
        if len(found) != 1:
            what = self.model._meta.verbose_name
            if found:
                raise ValueError(
                    _("More than one %(what)s is named “%(name)s”.") % {"what": what, "name": text}
                )
            raise ValueError(
                _("No %(what)s with key or name “%(name)s”.") % {"what": what, "name": text}
            )
        return found[0]

    def clean(self, value, row=None, **kwargs):
        return self.lookup(value, row) if str(value or "").strip() else None

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return getattr(value, "name", None) or getattr(value, "title", None) or str(value)


class ThemeWidget(NamedWidget):
    """Themes are named within a report: look in the row's report only."""

    def get_queryset(self, value, row, *args, **kwargs):
        report = str((row or {}).get("source") or "").strip()
        return Theme.objects.filter(source__key=report)


class KeyWidget(widgets.ForeignKeyWidget):
    """A related row by its key (a report) or user name (a person)."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(str(value).strip() if value else value, row, **kwargs)
        except self.model.DoesNotExist as missing:
            raise ValueError(
                _("No %(what)s with key “%(key)s”.")
                % {"what": self.model._meta.verbose_name, "key": value}
            ) from missing


class ManyWidget(widgets.ManyToManyWidget):
    """Several related rows, each by key or name; an unknown one is an error, never dropped."""

    def __init__(self, model, *, one: widgets.ForeignKeyWidget, separator: str, joiner: str):
        super().__init__(model, separator=separator)
        self.one, self.joiner = one, joiner

    def clean(self, value, row=None, **kwargs):
        parts = [part.strip() for part in str(value or "").split(self.separator) if part.strip()]
        found, missing = [], []
        for part in parts:
            try:
                found.append(self.one.clean(part, row))
            except ValueError:
                missing.append(part)
        if missing:
            raise ValueError(_("Unknown: %(keys)s") % {"keys": ", ".join(sorted(missing))})
        return self.model.objects.filter(pk__in=[obj.pk for obj in found])

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return self.joiner.join(sorted(self.one.render(related) for related in value.all()))


User = get_user_model()
_ORG = NamedWidget(Organization, ("name_en", "name_ko"))
_PERSON = KeyWidget(User, User.USERNAME_FIELD)


class ActionItemResource(resources.ModelResource):
    source = fields.Field("source", "source", KeyWidget(Source, "key"))
    theme = fields.Field("theme", "theme", ThemeWidget(Theme, ("title_en", "title_ko")))
    lead_organization = fields.Field("lead_organization", "lead_organization", _ORG)
    partner_organizations = fields.Field(
        "partner_organizations",
        "partner_organizations",
        ManyWidget(Organization, one=_ORG, separator=";", joiner="; "),
    )
    owner = fields.Field("owner", "owner", _PERSON)
    co_owners = fields.Field(
        "co_owners", "co_owners", ManyWidget(User, one=_PERSON, separator=",", joiner=", ")
    )
    priority = fields.Field("priority", "priority", ChoiceWidget(Priority))
    marking = fields.Field("marking", "marking", ChoiceWidget(Marking))
    due_date = fields.Field("due_date", "due_date", LocalDateWidget())
    version = fields.Field("version", "version", readonly=True)

    class Meta:
        model = ActionItem
        import_id_fields = ["key"]
        fields = [*ITEM_FIELDS, "version"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        # Nobody (None) sees no item: an export without a user exports nothing.
        self.user = user

    # --- export (the admin writes tracker/exports.py's format; this serves scripts) -----------

    def get_queryset(self) -> QuerySet:
        return visible_items(self.user)

    def filter_export(self, queryset, **kwargs):
        """Releasability, whichever path built the queryset (admin, action or a script)."""
        queryset = super().filter_export(queryset, **kwargs)
        if isinstance(queryset, QuerySet):
            return (
                queryset.filter(visible_filter(self.user))
                .select_related("source", "theme", "lead_organization", "owner")
                .prefetch_related("partner_organizations", "co_owners")
            )
        return [item for item in queryset if can_see(self.user, item)]

    def export_field(self, field, instance, **kwargs):
        return safe_cell(super().export_field(field, instance, **kwargs))

    # --- import -----------------------------------------------------------------------------

    def get_user_visible_fields(self):
        """The columns an import reads (the import page lists them): not the export-only ones."""
        return [field for field in super().get_user_visible_fields() if not field.readonly]

    def before_import(self, dataset, **kwargs):
        if not dataset.headers:
            # import-export would go on to read the rows against no header and fail (a 500).
            dataset.wipe()
            raise ValueError(_("The file has no header row: its first line must name the columns."))
        if len(dataset) > IMPORT_MAX_ROWS:
            rows = len(dataset)
            dataset.wipe()  # nothing is checked, and the page lists no row
            raise ValueError(
                _(
                    "The file has %(rows)d rows; an import takes at most %(max)d. Import it in "
                    "parts of at most %(max)d rows."
                )
                % {"rows": rows, "max": IMPORT_MAX_ROWS}
            )
        names = header_names()
        dataset.headers = [names.get(_folded(h or ""), h) for h in dataset.headers]
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = restore_cell(value)

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.source_id:
            instance.source_date = instance.source.date
        co_owners = self._many(row, "co_owners", errors)
        self._many(row, "partner_organizations", errors)
        errors.update(self._rule_errors(instance, row, co_owners or []))
        if errors:
            raise ValidationError(errors)

    def _many(self, row, name: str, errors: dict) -> list | None:
        """The row's values of a many-to-many column (None when the file has no such column)."""
        if name not in row:
            return None
        try:
            return list(self.fields[name].clean(row))
        except ValueError as error:
            errors[name] = ValidationError(str(error))
            return []

    def _rule_errors(self, instance: ActionItem, row, co_owners: list) -> dict:
        errors = {}
        # A key of an item this user may not see: the row found no item to update (the
        # resource's queryset is the user's items), so it would create one with a taken key.
        if instance.key and (
            refusal := item_keys.key_refusal(key=instance.key, user=self.user, item_pk=instance.pk)
        ):
            errors["key"] = refusal
        if not may_see_marking(self.user, instance.marking):
            errors["marking"] = marking_error(instance.marking)
            return errors
        if instance.pk and instance.owner_id != _saved_owner_id(instance):
            errors["owner"] = _("Change the owner with the “Reassign owner” action.")
        if message := clearance_problem(users=co_owners, item=instance):
            errors["co_owners"] = message
        try:
            workflow.check_edit(item=instance, expected_version=_row_version(row))
        except workflow.WorkflowError as error:
            errors[NON_FIELD_ERRORS] = str(error)
        return errors

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:  # through do_instance_save, below
            return super().save_instance(instance, is_create, row, **kwargs)
        m2m = {}
        for name in changes.MANY_TO_MANY:
            if (values := self._many(row, name, {})) is not None:
                m2m[name] = values
        try:
            workflow.save_edit(
                item=instance,
                by=self.user,
                expected_version=_row_version(row),
                now=timezone.now(),
                m2m=m2m,
                via=UpdateKind.IMPORT,
            )
        except workflow.WorkflowError as error:
            raise ValidationError(str(error)) from error
        return None

    def do_instance_save(self, instance, is_create):
        """A new item is made by new_items (its first follow-up, its `item.created` event)."""
        if is_create:
            new_items.create_item(item=instance, by=self.user, now=timezone.now())
        else:
            super().do_instance_save(instance, is_create)


class SizedImportForm(ImportForm):
    """The upload step, refusing a file too large to check in one request before reading it."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(max)d bytes: import it in smaller parts.")
                % {"max": IMPORT_MAX_BYTES}
            )
        return upload


def read_error(error: Exception) -> str:
    """Why an uploaded file could not be read as CSV, in words a coordinator can act on."""
    if isinstance(error, UnicodeError):
        return _("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.")
    return _("The file could not be read as CSV (%(error)s).") % {"error": type(error).__name__}


def _saved_owner_id(item: ActionItem) -> int | None:
    return ActionItem.objects.filter(pk=item.pk).values_list("owner_id", flat=True).first()


def _row_version(row) -> int | None:
    value = str(row.get("version") or "").strip()
    return int(value) if value.isdigit() else None

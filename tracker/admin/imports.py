"""CSV import and export of action items (django-import-export).

Import: every row is validated (model rules, the workflow's checks, releasability) in a dry run
and shown with its row number; the confirm step runs again in one transaction and writes nothing
if any row fails. Status is export-only (it changes through updates with a note), and an owner
change goes through the “Reassign owner” action so it lands on the timeline.

Export: only the items the exporting user may see, whatever queryset a caller passes, and cells
that a spreadsheet would run as a formula are neutralised with a leading apostrophe (an import
takes that apostrophe off again, so an exported file imports unchanged).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.forms import ImportForm

from tracker import item_keys, workflow
from tracker.models import ActionItem, Organization, Source, Theme
from tracker.releasability import can_see, may_see_marking, visible_filter, visible_items

from .forms import ITEM_FIELDS, marking_error

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A report has tens of items; a file this large is a mistake (or an attack on memory: the
# import reads the whole file and checks every row in one request).
IMPORT_MAX_BYTES = 1_000_000
# Each row costs ~25-40 ms to check (about twenty queries: its report, theme, organizations and
# people, the model's constraints, the workflow's checks, a saved version rolled back): the
# preview at this many rows answers well inside the web server's 30 s timeout, and so does the
# confirm step, which checks them all again (docs/admin.md gives the figures).
IMPORT_MAX_ROWS = 200


def neutralise(value):
    """A cell a spreadsheet would evaluate becomes text (OWASP's advice for CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(value):
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


class KeyWidget(widgets.ForeignKeyWidget):
    """A related row by its key, with a plain message when there is none."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist as missing:
            raise ValueError(
                _("No %(what)s with key “%(key)s”.")
                % {"what": self.model._meta.verbose_name, "key": value}
            ) from missing


class ThemeWidget(KeyWidget):
    """Theme keys are unique within a report: look in the row's report only."""

    def get_queryset(self, value, row, *args, **kwargs):
        return Theme.objects.filter(source__key=(row or {}).get("source"))


class KeysWidget(widgets.ManyToManyWidget):
    """Several related rows by key; an unknown key is an error, not silently dropped."""

    def clean(self, value, row=None, **kwargs):
        found = super().clean(value, row, **kwargs)
        wanted = {part.strip() for part in str(value or "").split(self.separator) if part.strip()}
        missing = wanted - {str(getattr(obj, self.field)) for obj in found}
        if missing:
            raise ValueError(_("Unknown: %(keys)s") % {"keys": ", ".join(sorted(missing))})
        return found


class ActionItemResource(resources.ModelResource):
    source = fields.Field("source", "source", KeyWidget(Source, "key"))
    theme = fields.Field("theme", "theme", ThemeWidget(Theme, "key"))
    lead_organization = fields.Field(
        "lead_organization", "lead_organization", KeyWidget(Organization, "key")
    )
    partner_organizations = fields.Field(
        "partner_organizations", "partner_organizations", KeysWidget(Organization, field="key")
    )
    owner = fields.Field("owner", "owner", KeyWidget(get_user_model(), "username"))
    co_owners = fields.Field(
        "co_owners", "co_owners", KeysWidget(get_user_model(), field="username")
    )
    status = fields.Field("status", "status", readonly=True)
    version = fields.Field("version", "version", readonly=True)
    next_follow_up_at = fields.Field("next_follow_up_at", "next_follow_up_at", readonly=True)

    class Meta:
        model = ActionItem
        import_id_fields = ["key"]
        fields = [*ITEM_FIELDS, "status", "version", "next_follow_up_at"]
        export_order = fields
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        # Nobody (None) sees no item: an export without a user exports nothing.
        self.user = user

    # --- export -----------------------------------------------------------------------------

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
        return neutralise(super().export_field(field, instance, **kwargs))

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
        super().before_import(dataset, **kwargs)

    def before_import_row(self, row, **kwargs):
        for column, value in row.items():
            row[column] = restore(value)

    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if instance.source_id:
            instance.source_date = instance.source.date
        co_owners = self._co_owners(row, errors)
        errors.update(self._rule_errors(instance, row, co_owners))
        if errors:
            raise ValidationError(errors)

    def _co_owners(self, row, errors: dict) -> list:
        if "co_owners" not in row:
            return []
        try:
            return list(self.fields["co_owners"].clean(row))
        except ValueError as error:
            errors["co_owners"] = ValidationError(str(error))
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
        if message := workflow.clearance_problem(users=co_owners, item=instance):
            errors["co_owners"] = message
        try:
            workflow.check_edit(item=instance, expected_version=_row_version(row))
        except workflow.WorkflowError as error:
            errors[NON_FIELD_ERRORS] = str(error)
        return errors

    def save_instance(self, instance, is_create, row, **kwargs):
        if is_create:  # through do_instance_save, below
            return super().save_instance(instance, is_create, row, **kwargs)
        try:
            workflow.save_edit(item=instance, by=self.user, expected_version=_row_version(row))
        except workflow.WorkflowError as error:
            raise ValidationError(str(error)) from error
        return None

    def do_instance_save(self, instance, is_create):
        """A new item is made by the workflow (its first follow-up, its `item.created` event)."""
        if is_create:
            workflow.create_item(item=instance, by=self.user, now=timezone.now())
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

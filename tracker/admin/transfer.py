"""Import and export of action items in the admin: the one CSV format of tracker/exports.py
out, and the same format (or field names) in through django-import-export (imports.py).

The import page shows a checked file narrow enough for a laptop screen: the columns it reads by
their export headers, each refused row with its reasons, and, for the preview, each row's
changed fields only (import-export's own preview is one column per field, over 2,000 pixels
wide and mostly unchanged values).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV

from tracker import exports
from tracker.exports import COLUMNS
from tracker.releasability import visible_filter

from .imports import ActionItemResource, SizedImportForm, read_error


class ItemTransfer:
    """ActionItemAdmin's import and export (before import-export's mixins in its bases)."""

    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_template_name = "admin/tracker/actionitem/import.html"
    import_form_class = SizedImportForm
    show_change_form_export = False
    resource_classes = [ActionItemResource]
    import_formats = [CSV]
    export_formats = [CSV]
    # One export format (tracker/exports.py): no page to pick a format or columns first.
    skip_export_form = True
    skip_export_form_from_action = True

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**kwargs, "user": request.user}

    def get_import_data_kwargs(self, **kwargs):
        # The confirm step must write all rows or none, even if data changed since the preview.
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.setdefault("rollback_on_validation_errors", True)
        return kwargs

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", read_error(e))

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None)
        if context is not None:
            context["fields_list"] = [("", read_columns())]
            if result := context.get("result"):
                context["preview_rows"] = preview_rows(result)
                context["refused_rows"] = refused_rows(result)
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                _(
                    "Nothing was imported: some rows are no longer valid. Import the file again "
                    "to see which."
                ),
            )
            return HttpResponseRedirect(
                reverse("admin:tracker_actionitem_import", current_app=self.admin_site.name)
            )
        return super().process_result(result, request)

    def export_action(self, request):
        try:
            return super().export_action(request)
        except IncorrectLookupParameters:
            # import-export builds the changelist's filters from the address and, unlike the
            # changelist, lets a filter it cannot read end in a server error.
            messages.error(request, _("The list's filters were not understood; nothing exported."))
            changelist = "admin:tracker_actionitem_changelist"
            return HttpResponseRedirect(reverse(changelist, current_app=self.admin_site.name))

    def get_valid_export_item_pks(self, request):
        return self.get_queryset(request).values_list("pk", flat=True)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        """The status pages' CSV format, byte for byte (tracker/exports.py), of the items the
        user may see among `queryset` (the list's filters, or the selected items)."""
        lines = exports.csv_lines(
            queryset.filter(visible_filter(request.user)),
            link_for=lambda item: request.build_absolute_uri(
                reverse("tracker:item_detail", args=[item.key])
            ),
            language=translation.get_language(),
            tz=timezone.get_current_timezone(),
        )
        return "".join(lines).encode("utf-8")

    def get_export_filename(self, request, queryset, file_format):
        return exports.file_name(today=timezone.localdate())


UPDATE = "update"  # import-export's name for a row that changes an item


def column_labels() -> dict[str, str]:
    """Field name -> its export header, in the active language."""
    return {column.field: str(column.header) for column in COLUMNS if column.field}


@dataclass(frozen=True)
class PreviewRow:
    number: int
    kind: str  # "new", "update" or "skip"
    item: str
    changes: list[tuple[str, SafeString]]  # (column header, import-export's diff as HTML)


@dataclass(frozen=True)
class RefusedRow:
    number: int
    problems: list[tuple[str, list[str]]]  # (column header or "", messages)


def _changed(diff_html: str) -> bool:
    return "<ins" in diff_html or "<del" in diff_html


def preview_rows(result) -> list[PreviewRow]:
    """Each row of a checked file: what it does, and for an update only the fields it changes."""
    labels = column_labels()
    headers = list(result.diff_headers)
    rows = []
    for number, row in enumerate(result.valid_rows(), 1):
        diffs = zip(headers, row.diff or [], strict=False)
        changed = [
            # import-export escapes the values; its diff adds only <ins>, <del> and <span>.
            (labels.get(name, name), mark_safe(html))  # noqa: S308
            for name, html in diffs
            # The version moves with every save: not a change the file asks for.
            if row.import_type == UPDATE and name != "version" and _changed(str(html))
        ]
        rows.append(PreviewRow(number, row.import_type, row.object_repr or "", changed))
    return rows


def refused_rows(result) -> list[RefusedRow]:
    """Each refused row with its problems, under the export's column headers."""
    labels = column_labels()
    rows = []
    for row in result.invalid_rows:
        problems = [
            (labels.get(name, name), [str(e) for e in errors])
            for name, errors in row.field_specific_errors.items()
        ]
        if row.non_field_specific_errors:
            problems.append(("", [str(e) for e in row.non_field_specific_errors]))
        rows.append(RefusedRow(row.number, problems))
    return rows


def read_columns() -> list[str]:
    """The headers an import reads, in the export's order."""
    return [str(column.header) for column in COLUMNS if column.field and column.field != "version"]

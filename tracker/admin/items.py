"""The action items in the admin: the coordinators' list, the item page, import and export.

Releasability is one filter in `get_queryset`, which the list, search, filters, autocomplete,
the item and history pages, actions and export all go through; an item the user may not see is
a 404 at every URL. Every change goes through workflow.py.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export.admin import ExportActionMixin, ImportMixin

from tracker import changes, new_items, workflow
from tracker.models import ActionItem
from tracker.releasability import visible_filter

from . import actions
from .filters import (
    DueDateFilter,
    DueWithinFilter,
    EscalationFilter,
    FewRelatedOnlyFilter,
    OverdueFilter,
    StatusGroupFilter,
    ThemeFilter,
)
from .forms import AdminActionItemForm, AdminStatusUpdateForm
from .guards import CheckedHistoryAdmin, KeyCheckedRelations
from .history import ReadableHistory
from .item_page import item_page_context
from .transfer import ItemTransfer

# Set by the workflow (updates, snooze, reassignment), never typed in the form.
WORKFLOW_FIELDS = ("status", "owner", "last_update_at", "next_follow_up_at", "snoozed_until")
# What an owner may edit on their own items; the rest is the coordinators'.
OWNER_EDITABLE = ("summary_en", "summary_ko", "priority", "due_date", "cadence_days")


class LeadCountryFilter(admin.ChoicesFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = gettext_lazy("lead organization's country")


@admin.register(ActionItem)
class ActionItemAdmin(
    KeyCheckedRelations,
    ItemTransfer,
    ImportMixin,
    ExportActionMixin,
    ReadableHistory,
    CheckedHistoryAdmin,
):
    form = AdminActionItemForm
    change_form_template = "admin/tracker/actionitem/change_form.html"

    # What a coordinator scans a list for, and no more, so it fits a 1366-pixel screen beside
    # the filters without scrolling sideways; organizations, follow-up times and the rest are
    # on the item page (and in the filters).
    list_display = ["key", "title_column", "status_badge", "due_column", "owner"]
    list_display_links = ["key", "title_column"]
    list_select_related = ["owner"]
    list_filter = [
        StatusGroupFilter,
        ("theme", ThemeFilter),
        "source",
        "lead_organization",
        ("owner", FewRelatedOnlyFilter),
        ("lead_organization__country", LeadCountryFilter),
        OverdueFilter,
        DueWithinFilter,
        EscalationFilter,
        DueDateFilter,
        "marking",
    ]
    search_fields = [
        "key",
        "title_en",
        "title_ko",
        "summary_en",
        "summary_ko",
        "lead_organization__name_en",
        "lead_organization__name_ko",
        "partner_organizations__name_en",
        "partner_organizations__name_ko",
    ]
    search_help_text = gettext_lazy("Key, titles, summaries and organization names.")
    autocomplete_fields = ["owner", "co_owners", "lead_organization", "partner_organizations"]
    # The paginator's count of the filtered rows is the only count: never the whole table's.
    # 50 rows a page, like the status pages' list. (No date hierarchy: see DueDateFilter.)
    show_full_result_count = False
    list_per_page = 50
    list_max_show_all = 200
    actions = [
        actions.change_status,
        actions.reassign_owner,
        actions.snooze_follow_up,
        actions.send_reminder_now,
    ]
    fieldsets = [
        (None, {"fields": ["key", "title_en", "title_ko", "summary_en", "summary_ko"]}),
        (gettext_lazy("Provenance"), {"fields": ["source", "theme", "paragraph", "excerpt"]}),
        (
            gettext_lazy("Responsibility"),
            {
                "fields": [
                    "lead_organization",
                    "partner_organizations",
                    "owner",
                    "owner_role_en",
                    "owner_role_ko",
                    "co_owners",
                ]
            },
        ),
        (
            gettext_lazy("Status and dates"),
            {
                "fields": [
                    "status",
                    "priority",
                    "due_date",
                    "cadence_days",
                    "last_update_at",
                    "next_follow_up_at",
                    "snoozed_until",
                ]
            },
        ),
        (gettext_lazy("Releasability"), {"fields": ["marking"]}),
    ]

    class Media:
        css = {"all": ["tracker/admin.css"]}

    # --- who sees and changes what ------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visible_filter(request.user))

    def get_object(self, request, object_id, from_field=None):
        """An item the user may not see does not exist for them: 404, never a redirect."""
        item = super().get_object(request, object_id, from_field)
        if item is None:
            raise Http404(_("No such action item."))
        return item

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or workflow.is_coordinator(request.user):
            return True
        return workflow.is_owner(request.user, obj)

    def has_manage_permission(self, request) -> bool:
        return workflow.is_coordinator(request.user)

    def has_import_permission(self, request) -> bool:
        return workflow.is_coordinator(request.user)

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return [name for name in WORKFLOW_FIELDS if name != "owner"]
        if workflow.is_coordinator(request.user):
            return list(WORKFLOW_FIELDS)
        every = flatten_fieldsets(self.fieldsets)
        return [name for name in every if name not in OWNER_EDITABLE]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and self.has_change_permission(request, obj):
            # The version the form was opened at, for the stale-edit check.
            first_name, first = fieldsets[0]
            fieldsets[0] = (first_name, {**first, "fields": [*first["fields"], "expected_version"]})
            if workflow.may_update(request.user, obj):
                # The timeline box: saved with the fields, by the one Save button.
                box = {"fields": ["to_status", "note"], "classes": ["timeline-box"]}
                fieldsets.append((gettext_lazy("New timeline entry"), box))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"editor": request.user})

    # --- the list -----------------------------------------------------------------------------

    @admin.display(description=gettext_lazy("title"), ordering="title_en")
    def title_column(self, item: ActionItem) -> str:
        return item.title  # in the active language: the profile's, or the switcher's

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, item: ActionItem):
        return format_html(
            '<span class="badge status-{}">{}</span>', item.status, item.get_status_display()
        )

    @admin.display(description=gettext_lazy("due date"), ordering="due_date")
    def due_column(self, item: ActionItem):
        if item.due_date is None:
            return "—"
        due = formats.date_format(item.due_date, "DATE_FORMAT")
        # A red word, not a green tick: overdue is bad news.
        if item.is_overdue(timezone.localdate()):
            return format_html('{} <span class="badge overdue">{}</span>', due, _("Overdue"))
        return due

    # --- saving -------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if not change:
            new_items.create_item(item=obj, by=request.user, now=timezone.now())
            return
        obj._history_user = request.user
        data = form.cleaned_data
        workflow.save_edit(
            item=obj,
            by=request.user,
            expected_version=data.get("expected_version"),
            now=timezone.now(),
            m2m={name: data[name] for name in changes.MANY_TO_MANY if name in data},
            note=data.get("note") or "",
            to_status=data.get("to_status") or "",
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except workflow.WorkflowError as error:
            # Someone saved between the form's check and ours; the transaction rolled back.
            messages.error(request, _("%(reason)s Nothing was saved.") % {"reason": error})
            return HttpResponseRedirect(request.get_full_path())

    # --- the item page ------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        item = self.get_object(request, unquote(object_id))
        context = {
            **item_page_context(request, item, site_name=self.admin_site.name),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the last historical row when the queryset misses:
        # check visibility first.
        self.get_object(request, unquote(object_id))
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.get_object(request, unquote(object_id))
        if request.method == "POST":
            raise PermissionDenied  # reverting would bypass the workflow
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/post-update/",
                self.admin_site.admin_view(self.post_update_view),
                name="tracker_actionitem_post_update",
            ),
            path(
                "<path:object_id>/reassign/",
                self.admin_site.admin_view(self.reassign_view),
                name="tracker_actionitem_reassign",
            ),
        ]
        return own + super().get_urls()

    def post_update_view(self, request, object_id):
        """A progress note or a status change for one item, through the workflow."""
        item = self.get_object(request, unquote(object_id))
        if not workflow.may_update(request.user, item):
            raise PermissionDenied
        form = AdminStatusUpdateForm(request.POST or None, item=item)
        if request.method == "POST" and form.is_valid():
            try:
                _post_update(item=item, by=request.user, data=form.cleaned_data)
            except workflow.WorkflowError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Update posted."))
                return HttpResponseRedirect(self._change_url(item))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Post an update"),
            "item": item,
            "form": form,
            "opts": self.opts,
            "change_url": self._change_url(item),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/tracker/actionitem/post_update.html", context)

    def reassign_view(self, request, object_id):
        """The “Reassign owner” action for this one item."""
        item = self.get_object(request, unquote(object_id))
        if not self.has_manage_permission(request):
            raise PermissionDenied
        return actions.reassign_owner(self, request, self.get_queryset(request).filter(pk=item.pk))

    def _change_url(self, item: ActionItem) -> str:
        return reverse(
            "admin:tracker_actionitem_change", args=[item.pk], current_app=self.admin_site.name
        )


def _post_update(*, item: ActionItem, by, data: dict) -> None:
    now = timezone.now()
    if data["to_status"]:
        workflow.change_status(item=item, to=data["to_status"], by=by, note=data["note"], now=now)
    else:
        workflow.post_update(item=item, by=by, note=data["note"], now=now)

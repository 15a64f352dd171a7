"""Bulk actions on action items. Each asks for confirmation (and a note, days or an owner where
the change needs one) on an intermediate page, then applies the change item by item through
workflow.py, so every rule holds and every item gets its own timeline entry."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker import workflow
from tracker.models import ActionItem
from tracker.reminders.manual import send_now
from tracker.tasks import enqueue_sends

from .forms import (
    AdminChangeStatusForm,
    AdminConfirmForm,
    AdminReassignForm,
    AdminSnoozeForm,
)

PREVIEW_ROWS = 50
APPLY = "apply"


def _selection(request: HttpRequest, queryset: QuerySet) -> tuple[list[str], str]:
    """What the confirmation page posts back: the chosen ids, or "all matching the filters"."""
    if request.POST.get("select_across") == "1":
        # Django wants one id posted even then; the changelist's filters select the rest.
        first = queryset.values_list("pk", flat=True).first()
        return [str(first)], "1"
    return [str(pk) for pk in queryset.values_list("pk", flat=True)], "0"


def _confirm_page(
    modeladmin, request: HttpRequest, queryset: QuerySet, *, action: str, title: str, form
) -> TemplateResponse:
    selected, select_across = _selection(request, queryset)
    changelist = reverse(
        "admin:tracker_actionitem_changelist", current_app=modeladmin.admin_site.name
    )
    query = request.GET.urlencode()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "action": action,
        "items": list(queryset.select_related("owner").order_by("key")[:PREVIEW_ROWS]),
        "count": queryset.count(),
        "selected": selected,
        "select_across": select_across,
        "action_url": f"{changelist}?{query}" if query else changelist,
        "opts": modeladmin.opts,
        "media": modeladmin.media + form.media,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/tracker/actionitem/bulk_confirm.html", context)


def _apply_each(queryset: QuerySet, change: Callable[[ActionItem], object]):
    """Apply `change` to each item; the workflow's refusals are collected, not raised."""
    changed, refused = 0, []
    for item in queryset.order_by("key"):
        try:
            change(item)
        except workflow.WorkflowError as error:
            refused.append((item.key, str(error)))
        else:
            changed += 1
    return changed, refused


def _report(modeladmin, request, *, done: str, refused: list[tuple[str, str]], sending=False):
    modeladmin.message_user(request, done, messages.SUCCESS)
    if not refused:
        return
    reasons = "; ".join(f"{key}: {reason}" for key, reason in refused)
    if sending:
        text = ngettext(
            "%(count)d item got no reminder: %(reasons)s",
            "%(count)d items got no reminder: %(reasons)s",
            len(refused),
        )
    else:
        text = ngettext(
            "%(count)d item was not changed: %(reasons)s",
            "%(count)d items were not changed: %(reasons)s",
            len(refused),
        )
    modeladmin.message_user(
        request, text % {"count": len(refused), "reasons": reasons}, messages.WARNING
    )


def _changed_message(count: int) -> str:
    return ngettext("%(count)d item changed.", "%(count)d items changed.", count) % {"count": count}


def _ask_then_apply(modeladmin, request, queryset, *, action: str, title: str, form, change):
    """Show the confirmation page until its form is valid; then `change(item, data, now)` each."""
    if APPLY in request.POST and form.is_valid():
        data, now = form.cleaned_data, timezone.now()
        changed, refused = _apply_each(queryset, lambda item: change(item, data, now))
        _report(modeladmin, request, done=_changed_message(changed), refused=refused)
        return None
    return _confirm_page(modeladmin, request, queryset, action=action, title=title, form=form)


def _posted(request: HttpRequest):
    return request.POST if APPLY in request.POST else None


@admin.action(description=gettext_lazy("Change status…"), permissions=["manage"])
def change_status(modeladmin, request, queryset):
    current = queryset.order_by("key").values_list("key", "status")
    return _ask_then_apply(
        modeladmin,
        request,
        queryset,
        action="change_status",
        title=_("Change status"),
        form=AdminChangeStatusForm(_posted(request), current=current),
        change=lambda item, data, now: workflow.change_status(
            item=item, to=data["to_status"], by=request.user, note=data["note"], now=now
        ),
    )


@admin.action(description=gettext_lazy("Reassign owner…"), permissions=["manage"])
def reassign_owner(modeladmin, request, queryset):
    return _ask_then_apply(
        modeladmin,
        request,
        queryset,
        action="reassign_owner",
        title=_("Reassign owner"),
        form=AdminReassignForm(_posted(request), admin_site=modeladmin.admin_site),
        change=lambda item, data, now: workflow.reassign_owner(
            item=item,
            owner=data["owner"],
            by=request.user,
            note=data["note"],
            now=now,
            role=AdminReassignForm.role_text(data),
        ),
    )


@admin.action(description=gettext_lazy("Snooze follow-up…"), permissions=["manage"])
def snooze_follow_up(modeladmin, request, queryset):
    return _ask_then_apply(
        modeladmin,
        request,
        queryset,
        action="snooze_follow_up",
        title=_("Snooze follow-up"),
        form=AdminSnoozeForm(_posted(request)),
        change=lambda item, data, now: workflow.snooze(
            item=item, by=request.user, days=data["days"], now=now
        ),
    )


@admin.action(description=gettext_lazy("Send a reminder now…"), permissions=["manage"])
def send_reminder_now(modeladmin, request, queryset):
    if APPLY not in request.POST:
        return _confirm_page(
            modeladmin,
            request,
            queryset,
            action="send_reminder_now",
            title=_("Send a reminder now"),
            form=AdminConfirmForm(),
        )
    result = send_now(
        item_ids=list(queryset.values_list("pk", flat=True)), by=request.user, now=timezone.now()
    )
    enqueue_sends(result.reminder_ids)
    done = ngettext("%(count)d reminder sent.", "%(count)d reminders sent.", result.sent) % {
        "count": result.sent
    }
    _report(modeladmin, request, done=done, refused=list(result.skipped), sending=True)
    return None

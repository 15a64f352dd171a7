"""One item's page, and the changes its owners and coordinators make there through workflow.py.

Every change is a POST; on a refused change the page comes back with the message on its form and
nothing changed (workflow.py raises before it writes).
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import meetings, selectors, workflow
from ..forms import OnTrackForm, SnoozeForm, StatusForm, UpdateForm
from ..models import ActionItem, Status
from .common import visible_item_or_404
from .item_context import page_context

REMINDERS_SHOWN = 50


def _blank_forms(item: ActionItem) -> dict[str, forms.Form]:
    return {
        "update": UpdateForm(),
        "status": StatusForm(item=item),
        "snooze": SnoozeForm(),
        "on_track": OnTrackForm(),
    }


def _render(request, item: ActionItem, *, bound: dict | None = None, status: int = 200):
    """The item page; `bound` holds a refused form, shown with its errors (also summed up at the
    top, since a form for a closed item is not on the page)."""
    can_update = workflow.may_update(request.user, item)
    collaboration = page_context(request, item, can_update=can_update)
    blank = {**_blank_forms(item), **collaboration.pop("collab_forms")}
    context = {
        "item": item,
        "co_owners": list(item.co_owners.all()),
        "partners": list(item.partner_organizations.all()),
        "reminders": selectors.item_reminder_log(item=item, limit=REMINDERS_SHOWN),
        "can_update": can_update,
        "is_coordinator": workflow.is_coordinator(request.user),
        **collaboration,
        "forms": {**blank, **(bound or {})} if can_update else {},
        "needing_note": [
            Status(s).label
            for s in workflow.allowed_transitions(item.status)
            if workflow.needs_note(item.status, s)
        ],
        "refused": [
            e for f in (bound or {}).values() for errors in f.errors.values() for e in errors
        ],
        "today": timezone.localdate(),
        "next_meeting": meetings.next_meeting_of(item=item, today=timezone.localdate()),
    }
    return render(request, "tracker/item_detail.html", context, status=status)


@login_required
def item_detail(request, key: str):
    return _render(request, visible_item_or_404(request, key))


def _act(request, key: str, form_name: str, make_form: Callable, apply: Callable, done: str):
    """Validate the posted form, apply the change through workflow.py, or show why not.

    A viewer who may see the item but not update it gets 403 (the item's existence is no secret
    to them); one who may not see it gets 404.
    """
    item = visible_item_or_404(request, key)
    if not workflow.may_update(request.user, item):
        raise PermissionDenied(_("You may not update this item."))
    form = make_form(item)
    if form.is_valid():
        try:
            apply(item, form.cleaned_data, timezone.now())
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect(reverse("tracker:item_detail", args=[item.key]) + "#timeline")
    return _render(request, item, bound={form_name: form}, status=400)


@require_POST
@login_required
def item_update(request, key: str):
    def apply(item, data, now):
        workflow.post_update(item=item, by=request.user, note=data["note"], now=now)

    def make_form(item):
        return UpdateForm(request.POST)

    return _act(request, key, "update", make_form, apply, _("Update posted."))


@require_POST
@login_required
def item_status(request, key: str):
    def apply(item, data, now):
        workflow.change_status(
            item=item,
            to=data["to"],
            by=request.user,
            note=data["note"],
            now=now,
            expected_version=data["version"],
        )

    def make_form(item):
        return StatusForm(request.POST, item=item)

    return _act(request, key, "status", make_form, apply, _("Status changed."))


@require_POST
@login_required
def item_snooze(request, key: str):
    def apply(item, data, now):
        # A coordinator holds everyone's reminders about the item; an owner only their own.
        everyone = workflow.is_coordinator(request.user)
        workflow.snooze(
            item=item, by=request.user, days=data["days"], now=now, for_everyone=everyone
        )

    def make_form(item):
        return SnoozeForm(request.POST)

    return _act(request, key, "snooze", make_form, apply, _("Reminders snoozed."))


@require_POST
@login_required
def item_on_track(request, key: str):
    def apply(item, data, now):
        workflow.mark_on_track(item=item, by=request.user, note=data["note"], now=now)

    def make_form(item):
        return OnTrackForm(request.POST)

    return _act(request, key, "on_track", make_form, apply, _("Marked as still on track."))

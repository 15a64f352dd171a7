"""One item's page, and the changes its owners and coordinators make there through workflow.py.

Every change is a POST; on a refused change the page comes back with the message on its form and
nothing changed (workflow.py raises before it writes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import workflow
from ..forms import OnTrackForm, SnoozeForm, StatusForm, UpdateForm
from ..models import ActionItem, Status
from ..reminders import item_reminder_log
from .common import cacheable, cached_render, user_parts, visible_item_or_404

REMINDERS_SHOWN = 50


def _blank_forms(item: ActionItem) -> dict[str, forms.Form]:
    return {
        "update": UpdateForm(),
        "status": StatusForm(item=item),
        "snooze": SnoozeForm(),
        "on_track": OnTrackForm(),
    }


def _facts(item: ActionItem) -> tuple:
    """What the main column (details, owners, partners, timeline) depends on, read from the
    item's own row: its cache key. The item's fields and the names joined to it (source,
    theme, lead organization, owner) are read fresh; its co-owners, partners and timeline
    change only with its history stamp (selectors.item_history_stamp), so they are read only
    when that changes."""
    own = tuple(getattr(item, f.attname) for f in item._meta.concrete_fields)
    related = (
        tuple(getattr(item.source, f.attname) for f in item.source._meta.concrete_fields),
        (item.theme.title_en, item.theme.title_ko),
        (item.lead_organization.key, item.lead_organization.name_en),
        (item.lead_organization.name_ko, item.lead_organization.country),
        item.owner.get_username() if item.owner else None,
    )
    return own, related, item.history_stamp


def _log_facts(reminders: list) -> tuple:
    """Everything the reminder log shows: its cache key. Digests change state without
    touching the item, so the log is read on every view; only its rendering is cached."""
    return tuple(astuple(entry) for entry in reminders)


def _forms_html(request, item: ActionItem, page_forms: dict, bound: dict | None) -> dict:
    """Each form as HTML. Blank forms depend only on the item's status and version (and the
    language): rendered once per version; Django's form templates cost more than the rest."""

    def render_all() -> dict:
        return {name: str(form.as_div()) for name, form in page_forms.items()}

    if bound or not page_forms:
        return render_all()
    parts = ("item-forms", item.pk, item.version, item.status)
    return cached_render(request, parts=parts, stamp=(), render=render_all)


def _render(request, item: ActionItem, *, bound: dict | None = None, status: int = 200):
    """The item page; `bound` holds a refused form, shown with its errors (also summed up at the
    top, since a form for a closed item is not on the page).

    A plain view (a GET with no form to show again and no message waiting) is kept whole, per
    user and browser like the admin's list (its frame shows the user's name and its forms a
    CSRF token valid for the browser's secret), until the item, its timeline or its reminder
    log changes: the templates cost more than the page's queries."""
    can_update = workflow.may_update(request.user, item)
    reminders = item_reminder_log(item=item, limit=REMINDERS_SHOWN)
    if bound is None and status == 200 and cacheable(request):
        parts = (
            "item-page",
            request.get_full_path(),
            request.META["CSRF_COOKIE"],
            user_parts(request.user),
            can_update,
            _facts(item),
            _log_facts(reminders),
        )
        content = cached_render(
            request,
            parts=parts,
            stamp=(),
            render=lambda: _page(request, item, can_update, reminders, None, 200).content,
        )
        return HttpResponse(content)
    return _page(request, item, can_update, reminders, bound, status)


def _page(request, item, can_update, reminders, bound, status):
    page_forms = {**_blank_forms(item), **(bound or {})} if can_update else {}
    today = timezone.localdate()

    def render_main() -> str:
        context = {
            "item": item,
            "co_owners": list(item.co_owners.all()),
            "partners": list(item.partner_organizations.all()),
            "updates": list(item.updates.select_related("author")),
            "today": today,
        }
        return render_to_string("tracker/includes/item_main.html", context, request=request)

    def render_log() -> str:
        context = {"reminders": reminders}
        return render_to_string("tracker/includes/item_log.html", context, request=request)

    main = cached_render(request, parts=("item-main", _facts(item)), stamp=(), render=render_main)
    log = cached_render(
        request, parts=("item-log", _log_facts(reminders)), stamp=(), render=render_log
    )
    needing_note = [
        Status(s).label
        for s in workflow.allowed_transitions(item.status)
        if workflow.needs_note(item.status, s)
    ]
    context = {
        "item": item,
        "main": mark_safe(main),  # noqa: S308 -- our own templates' output, escaped there
        "log": mark_safe(log),  # noqa: S308
        "can_update": can_update,
        "forms": page_forms,
        "form_html": {
            name: mark_safe(html)  # noqa: S308 -- Django's form rendering, escaped there
            for name, html in _forms_html(request, item, page_forms, bound).items()
        },
        "needing_note": needing_note,
        "refused": [
            e for f in (bound or {}).values() for errors in f.errors.values() for e in errors
        ],
        "today": today,
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
        workflow.snooze(item=item, by=request.user, days=data["days"], now=now)

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

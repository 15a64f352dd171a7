"""The forums' calendar and a meeting's page: agenda (whose update is in), minutes, outcomes,
snapshots; coordinators hold, postpone, record outcomes and freeze a report there.

Every change is a POST through meetings.py, outcomes.py or snapshots.py; a refused one comes
back with its message and nothing changed. Agendas and outcomes show only the items the viewer
may see.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import meetings, outcomes, snapshots, workflow
from ..meeting_forms import HoldForm, NewItemForm, OutcomeForm, PostponeForm
from ..models import Edition, Meeting, Outcome, ScopeKind
from ..releasability import editions_for, visible_filter
from .common import visible_items

PAST_SHOWN = 50


# Larger numbers are no row's id (and SQLite cannot even compare with them).
MAX_ID = 2**63 - 1


def _meeting_or_404(pk: int) -> Meeting:
    found = Meeting.objects.select_related("forum", "forum__secretariat")
    meeting = found.filter(pk=pk).first() if pk <= MAX_ID else None
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


@login_required
def meeting_list(request):
    today = timezone.localdate()
    coming = meetings.coming_meetings(today=today).select_related("forum").order_by("date")
    past = (
        Meeting.objects.exclude(pk__in=coming.values("pk"))
        .select_related("forum")
        .order_by("-date", "forum__key")[:PAST_SHOWN]
    )
    context = {"coming": list(coming), "past": list(past), "today": today}
    return render(request, "tracker/meeting_list.html", context)


def _context(request, meeting: Meeting, bound: dict | None = None) -> dict:
    lines = meetings.agenda(meeting=meeting, user=request.user)
    coordinator = workflow.is_coordinator(request.user)
    upcoming = meetings.is_upcoming(meeting)
    first, second = meetings.request_days(
        lead_days=meeting.forum.update_lead_days, date=meeting.date
    )
    forms = {}
    if coordinator:
        forms = {
            "hold": HoldForm(),
            "postpone": PostponeForm(),
            "outcome": OutcomeForm(lines=lines),
            "new_item": NewItemForm(user=request.user),
            **(bound or {}),
        }
    found = (
        Outcome.objects.filter(meeting=meeting)
        .filter(visible_filter(request.user, prefix="item__"))
        .select_related("item", "author")
    )
    editions = [(e, Edition(e).label) for e in editions_for(request.user)]
    return {
        "meeting": meeting,
        "lines": lines,
        "awaiting": sum(1 for line in lines if line.update_in is False),
        "upcoming": upcoming,
        "requests": (first, second),
        "outcomes": list(found),
        "snapshots": [
            s for s in meeting.snapshots.order_by("-number") if snapshots.may_open(request.user, s)
        ],
        "coordinator": coordinator,
        "forms": forms,
        "editions": editions if coordinator else [],
        "refused": [e for f in (bound or {}).values() for errs in f.errors.values() for e in errs],
    }


@login_required
def meeting_detail(request, pk: int):
    meeting = _meeting_or_404(pk)
    return render(request, "tracker/meeting_detail.html", _context(request, meeting))


def _act(request, pk: int, name: str, make_form, apply, done: str):
    """Validate the posted form and apply it through the rules, or show the page with why not."""
    meeting = _meeting_or_404(pk)
    if not workflow.is_coordinator(request.user):
        raise PermissionDenied(_("Only a coordinator may change a meeting."))
    form = make_form(meeting)
    if form.is_valid():
        try:
            apply(meeting, form.cleaned_data, timezone.now())
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return redirect("tracker:meeting_detail", pk=meeting.pk)
    context = _context(request, meeting, bound={name: form})
    return render(request, "tracker/meeting_detail.html", context, status=400)


@require_POST
@login_required
def meeting_hold(request, pk: int):
    def apply(meeting, data, now):
        carried = meetings.hold(
            meeting=meeting,
            by=request.user,
            now=now,
            minutes_en=data["minutes_en"],
            minutes_ko=data["minutes_ko"],
        )
        if carried:
            messages.info(
                request,
                _("%(n)d open items carried over to the next meeting.") % {"n": len(carried)},
            )

    return _act(
        request, pk, "hold", lambda m: HoldForm(request.POST), apply, _("Meeting marked held.")
    )


@require_POST
@login_required
def meeting_postpone(request, pk: int):
    def apply(meeting, data, now):
        meetings.postpone(meeting=meeting, to=data["to"], by=request.user, now=now)

    return _act(
        request,
        pk,
        "postpone",
        lambda m: PostponeForm(request.POST),
        apply,
        _("Meeting postponed."),
    )


@require_POST
@login_required
def meeting_outcome(request, pk: int):
    def make_form(meeting):
        return OutcomeForm(request.POST, lines=meetings.agenda(meeting=meeting, user=request.user))

    def apply(meeting, data, now):
        item = visible_items(request).get(key=data["item"])
        outcomes.record_update(
            meeting=meeting,
            item=item,
            by=request.user,
            text_en=data["text_en"],
            text_ko=data["text_ko"],
            now=now,
            to_status=data["to_status"] or None,
        )

    return _act(request, pk, "outcome", make_form, apply, _("Outcome recorded."))


@require_POST
@login_required
def meeting_new_item(request, pk: int):
    def apply(meeting, data, now):
        theme = data["theme"]
        new = outcomes.NewItem(
            key=data["key"],
            title_en=data["title_en"],
            title_ko=data["title_ko"],
            source=theme.source,
            theme=theme,
            lead_organization=data["lead"],
            owner=data["owner"],
            due_date=data["due_date"],
            marking=data["marking"],
        )
        outcomes.record_new_item(
            meeting=meeting,
            new=new,
            by=request.user,
            text_en=data["text_en"],
            text_ko=data["text_ko"],
            now=now,
        )

    def make_form(meeting):
        return NewItemForm(request.POST, user=request.user)

    return _act(request, pk, "new_item", make_form, apply, _("New action item recorded."))


@require_POST
@login_required
def meeting_freeze(request, pk: int):
    """One click on the meeting: its agenda as it stands now, for the edition chosen."""
    meeting = _meeting_or_404(pk)
    request_ = snapshots.Request(
        scope=snapshots.Scope(kind=ScopeKind.MEETING, meeting=meeting),
        edition=request.POST.get("edition", ""),
        as_of=timezone.now(),
        zone=timezone.get_current_timezone(),
    )
    try:
        snapshot = snapshots.freeze(request=request_, by=request.user, now=timezone.now())
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
        return redirect("tracker:meeting_detail", pk=meeting.pk)
    messages.success(request, snapshots.citation(snapshot))
    return redirect("tracker:snapshot_detail", number=snapshot.number)

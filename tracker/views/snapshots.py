"""Snapshots: the list and the freezing form, a snapshot's page, its PDF, CSV and XLSX, and what
changed since another snapshot or until now.

A snapshot someone may not open (snapshots.may_open: every item in it visible to them) is a 404
at every one of these addresses, never a 403, and is neither listed nor counted.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import comparison, reports, snapshots, tasks, workflow
from ..filters import ItemFilter, clean_params
from ..meeting_forms import LANGUAGE_CHOICES, FreezeForm
from ..models import Forum, Meeting, ScopeKind, Snapshot, Source, Status
from .common import PER_PAGE, visible_items

CHANGE_TITLES = {
    name: reports.LABELS[reports.CHANGE_LABELS.get(name, name)] for name in comparison.GROUPS
}
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _openable_or_404(request, number: int) -> Snapshot:
    # Larger numbers are no snapshot's (and SQLite cannot even compare with them).
    snapshot = Snapshot.objects.filter(number=number).first() if number < 2**31 else None
    if snapshot is None or not snapshots.may_open(request.user, snapshot):
        raise Http404("No such snapshot.")
    return snapshot


def _filtered(request, query: str):
    """The items a list filter (the items list's query string) chooses for this viewer."""
    params = clean_params(QueryDict(query))
    return ItemFilter(params, queryset=visible_items(request), today=timezone.localdate()).qs


@login_required
def snapshot_list(request):
    rows = snapshots.openable(request.user).select_related("created_by")
    shown = [s for s in rows if snapshots.may_open(request.user, s)]
    page = Paginator(shown, PER_PAGE).get_page(request.GET.get("page"))
    form = None
    if workflow.is_coordinator(request.user):
        form = FreezeForm(user=request.user, initial={"scope": request.GET.get("scope", "")})
    context = {"page": page, "snapshots": list(page.object_list), "form": form,
               "query": request.GET.get("query", "")}  # fmt: skip
    return render(request, "tracker/snapshot_list.html", context)


def _scope(value: str, query: str) -> snapshots.Scope | None:
    kind, _sep, ref = value.partition(":")
    if query:
        return snapshots.Scope(kind=ScopeKind.FILTER, query=query)
    if kind == ScopeKind.SOURCE and (source := Source.objects.filter(key=ref).first()):
        return snapshots.Scope(kind=kind, source=source)
    if kind == ScopeKind.FORUM and (forum := Forum.objects.filter(key=ref).first()):
        return snapshots.Scope(kind=kind, forum=forum)
    meeting = Meeting.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if kind == ScopeKind.MEETING and meeting is not None:
        return snapshots.Scope(kind=kind, meeting=meeting)
    return None


@require_POST
@login_required
def snapshot_freeze(request):
    form = FreezeForm(request.POST, user=request.user)
    query = request.POST.get("query", "")[:1000]
    scope = _scope(form.cleaned_data.get("scope", ""), query) if form.is_valid() else None
    if form.is_valid() and scope is None:
        form.add_error("scope", _("Choose the items to freeze."))
    if scope is not None:
        data = form.cleaned_data
        ask = snapshots.Request(
            scope=scope,
            edition=data["edition"],
            as_of=data["as_of"],
            zone=timezone.get_current_timezone(),
            title_en=data["title_en"],
            title_ko=data["title_ko"],
        )
        items = _filtered(request, query) if scope.kind == ScopeKind.FILTER else None
        try:
            snapshot = snapshots.freeze(
                request=ask, by=request.user, now=timezone.now(), items=items
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, snapshots.citation(snapshot))
            return redirect("tracker:snapshot_detail", number=snapshot.number)
    context = {"page": None, "snapshots": [], "form": form, "query": query}
    return render(request, "tracker/snapshot_list.html", context, status=400)


def _others(request, snapshot: Snapshot) -> list[Snapshot]:
    others = (
        snapshots.openable(request.user).exclude(pk=snapshot.pk).filter(edition=snapshot.edition)
    )
    return [s for s in others[:100] if snapshots.may_open(request.user, s)]


@login_required
def snapshot_detail(request, number: int):
    snapshot = _openable_or_404(request, number)
    context = {
        "snapshot": snapshot,
        "content": snapshot.content,
        "rows": [(row, Status(row["status"]).label) for row in snapshot.content["items"]],
        "citation": snapshots.citation(snapshot, language=translation.get_language()),
        "verified": snapshots.verify(snapshot),
        "languages": LANGUAGE_CHOICES,
        "others": _others(request, snapshot),
        "previous": snapshots.previous_of(snapshot),
    }
    return render(request, "tracker/snapshot_detail.html", context)


def _live(request, snapshot: Snapshot) -> dict:
    items = (
        _filtered(request, snapshot.filter_query) if snapshot.scope == ScopeKind.FILTER else None
    )
    return snapshots.live_content(
        snapshot=snapshot,
        by=request.user,
        now=timezone.now(),
        zone=timezone.get_current_timezone(),
        items=items,
    )


def _changes(request, snapshot: Snapshot, other: str | None):
    """(what is compared, in words; Changes) from the earlier side to the later, or None."""
    if other == "now":
        heading = _("from snapshot %(a)d to now") % {"a": snapshot.number}
        return heading, comparison.compare(snapshot.content, _live(request, snapshot))
    if other and other.isdigit():
        found = _openable_or_404(request, int(other))
        first, second = sorted((found, snapshot), key=lambda s: s.number)
        heading = _("from snapshot %(a)d to snapshot %(b)d") % {
            "a": first.number,
            "b": second.number,
        }
        return heading, comparison.compare(first.content, second.content)
    return None


@login_required
def snapshot_compare(request, number: int):
    snapshot = _openable_or_404(request, number)
    found = _changes(request, snapshot, request.GET.get("with", "now"))
    if found is None:
        raise Http404("Nothing to compare with.")
    heading, result = found
    language = translation.get_language()
    context = {
        "snapshot": snapshot,
        "heading": heading,
        "changes": result,
        "groups": [
            (CHANGE_TITLES[name], [reports.status_words(c, language) for c in rows])
            for name, rows in result.groups()
        ],
    }
    return render(request, "tracker/snapshot_compare.html", context)


def _download(content: bytes | str, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def snapshot_pdf(request, number: int):
    snapshot = _openable_or_404(request, number)
    language = request.GET.get("language", "both")
    if language not in reports.LANGUAGES:
        language = "both"
    if "since" not in request.GET and snapshot.item_count > settings.REPORT_PDF_NOW_ITEMS:
        return _long_pdf(request, snapshot, language)
    previous = snapshots.previous_of(snapshot)
    found = None
    if "since" in request.GET:
        found = _changes(request, snapshot, request.GET["since"])
    elif previous is not None and snapshots.may_open(request.user, previous):
        found = _changes(request, snapshot, str(previous.number))
    pdf = reports.pdf_bytes(snapshot=snapshot, language=language, changes=found)
    return _download(pdf, PDF, f"snapshot-{snapshot.number}-{language}.pdf")


def _long_pdf(request, snapshot: Snapshot, language: str):
    """A long report's PDF, laid out by a worker: the file once kept, until then a page saying
    so (202) that has the worker start on it."""
    pdf = reports.ready_pdf(snapshot=snapshot, language=language)
    if pdf is not None:
        return _download(pdf, PDF, f"snapshot-{snapshot.number}-{language}.pdf")
    tasks.enqueue_report(snapshot.pk, language)
    context = {"snapshot": snapshot, "language": language}
    return render(request, "tracker/snapshot_pending.html", context, status=202)


@login_required
def snapshot_csv(request, number: int):
    snapshot = _openable_or_404(request, number)
    text = reports.csv_text(snapshot)
    return _download(text, "text/csv; charset=utf-8", f"snapshot-{snapshot.number}.csv")


@login_required
def snapshot_xlsx(request, number: int):
    snapshot = _openable_or_404(request, number)
    return _download(reports.xlsx_bytes(snapshot), XLSX, f"snapshot-{snapshot.number}.xlsx")

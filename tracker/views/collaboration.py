"""Working together on an item's page: comments (and their edits), @mention suggestions,
watching, evidence (added, and its files served), and the claim and review of implementation.
Thin: the rules are tracker/comments.py, watching.py, evidence.py and review.py. An item the
viewer may not see is a 404, as everywhere."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .. import comments, evidence, review, watching, workflow
from ..forms import ClaimForm, CommentEditForm, CommentForm, EvidenceForm, ReviewForm
from ..models import UpdateKind
from .common import visible_item_or_404
from .item import _act, _render

PREFIX_MAX_LENGTH = 150


def _item_page(item, anchor: str = "timeline"):
    return redirect(reverse("tracker:item_detail", args=[item.key]) + f"#{anchor}")


def _told(request, posted: comments.Posted) -> None:
    if posted.not_told:
        names = ", ".join(f"@{name}" for name in posted.not_told)
        messages.warning(
            request,
            _("Nobody was told for %(names)s: no one of that name may see this item.")
            % {"names": names},
        )


@require_POST
@login_required
def item_comment(request, key: str):
    def apply(item, data, now):
        found = _checked(data)
        posted = comments.post_comment(
            item=item, by=request.user, text=data["text"], now=now, **found
        )
        _told(request, posted)

    def make_form(item):
        return CommentForm(request.POST, request.FILES)

    return _act(request, key, "comment", make_form, apply, _("Comment posted."))


@require_POST
@login_required
def comment_edit(request, key: str, update_id: int):
    item = visible_item_or_404(request, key)
    update = item.updates.filter(pk=update_id, kind=UpdateKind.COMMENT).first()
    if update is None:
        raise Http404("No such comment.")
    form = CommentEditForm(request.POST)
    if form.is_valid():
        try:
            posted = comments.edit_comment(
                update=update, by=request.user, text=form.cleaned_data["text"], now=timezone.now()
            )
        except workflow.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            _told(request, posted)
            messages.success(request, _("Comment edited."))
            return _item_page(item, f"update-{update.pk}")
    return _render(request, item, bound={"edit": form}, status=400)


@never_cache
@require_GET
@login_required
def item_people(request, key: str):
    """Who may be mentioned on this item, for the @ autocomplete: people who may see it whose
    user name starts with `q`. Only for those who may comment on it."""
    item = visible_item_or_404(request, key)
    if not comments.may_comment(request.user, item):
        raise PermissionDenied(_("You may not comment on this item."))
    prefix = request.GET.get("q", "")[:PREFIX_MAX_LENGTH].replace("\x00", "")
    people = comments.people_to_mention(item=item, prefix=prefix)
    found = [{"username": p.get_username(), "name": p.get_full_name()} for p in people]
    return JsonResponse({"people": found})


@require_POST
@login_required
def item_watch(request, key: str):
    item = visible_item_or_404(request, key)
    if request.POST.get("watch") == "stop":
        watching.unwatch(item=item, user=request.user)
        messages.success(request, _("You no longer follow this item."))
    else:
        watching.watch(item=item, user=request.user, now=timezone.now())
        messages.success(request, _("You follow this item: its changes come in your digest."))
    return _item_page(item, "watchers")


def _checked(data: dict) -> dict:
    """The form's file or link, checked by evidence.py (EvidenceRefused says why not)."""
    if data.get("file") is not None:
        return {"file": evidence.check_file(data["file"])}
    if data.get("url"):
        return {"link": evidence.check_link(data["url"], data.get("title") or "")}
    return {}


@require_POST
@login_required
def item_evidence(request, key: str):
    def apply(item, data, now):
        found = _checked(data)
        evidence.add_evidence(item=item, by=request.user, now=now, note=data["note"], **found)

    def make_form(item):
        return EvidenceForm(request.POST, request.FILES)

    return _act(request, key, "evidence", make_form, apply, _("Evidence added."))


@never_cache
@require_GET
@login_required
def evidence_file(request, key: str, evidence_id: int):
    """A file of evidence, to a viewer who may see its item (404 otherwise, as for none)."""
    found = evidence.visible_file(user=request.user, key=key, evidence_id=evidence_id)
    if found is None:
        raise Http404("No such file.")
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.name,
        content_type=found.content_type,
    )
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@require_POST
@login_required
def item_claim(request, key: str):
    def apply(item, data, now):
        found = _checked(data)
        review.claim(item=item, by=request.user, note=data["note"], now=now, **found)

    def make_form(item):
        return ClaimForm(request.POST, request.FILES)

    return _act(request, key, "claim", make_form, apply, _("Implementation claimed."))


@require_POST
@login_required
def item_review(request, key: str):
    accepting = request.POST.get("decision") == "accept"

    def apply(item, data, now):
        if accepting:
            review.accept(item=item, by=request.user, note=data["note"], now=now)
        else:
            review.return_claim(item=item, by=request.user, note=data["note"], now=now)

    done = _("Claim accepted: the item is implemented.") if accepting else _("Claim returned.")
    return _act(request, key, "review", lambda item: ReviewForm(request.POST), apply, done)

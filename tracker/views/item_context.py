"""What the item page shows of working together: its timeline with comments, evidence and edits,
its watchers, the claim awaiting review and the forms to comment, add evidence, claim and review.
Read-only; the changes are tracker/views/collaboration.py and views/review.py."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from .. import comments, review, watching
from ..forms import ClaimForm, CommentForm, EvidenceForm, ReviewForm
from ..models import OPEN_STATUSES, ActionItem, Evidence, Mention, Status, UpdateKind


def timeline(item: ActionItem) -> list:
    """The item's entries, newest first, with author, evidence, mentioned people and earlier
    texts (four queries, whatever the number of entries)."""
    return list(
        item.updates.select_related("author").prefetch_related(
            Prefetch("evidence", queryset=Evidence.objects.order_by("added_at", "id")),
            Prefetch("mentions", queryset=Mention.objects.select_related("user")),
            "edits",
        )
    )


def _editable(updates: list, user, now) -> set[int]:
    """The ids of the comments `user` may still edit now."""
    return {
        u.pk
        for u in updates
        if u.kind == UpdateKind.COMMENT
        and u.author_id == user.pk
        and now < comments.editable_until(u)
    }


def _review(request, item: ActionItem, can_update: bool) -> dict:
    """The claim panel (open items, for those who may update them) and the review panel (a
    claimed item, for coordinators who may review it)."""
    if item.status in OPEN_STATUSES and can_update:
        return {"may_claim": True}
    if item.status != Status.IMPLEMENTATION_CLAIMED:
        return {}
    claim = item.updates.filter(kind=UpdateKind.CLAIM).select_related("author").first()
    user = request.user
    returning = review.review_problem(reviewer=user, item=item, accepting=False)
    accepting = review.review_problem(reviewer=user, item=item, accepting=True)
    return {
        "claim": claim,
        "may_return": returning is None,
        "may_accept": accepting is None,
        "review_refusal": accepting if returning is None else None,
    }


def page_context(request, item: ActionItem, *, can_update: bool) -> dict:
    """The collaboration part of the item page's context."""
    user, now = request.user, timezone.now()
    updates = timeline(item)
    mention_url = reverse("tracker:item_people", args=[item.key])
    forms = {}
    if can_update:
        forms = {
            "comment": CommentForm(mention_url=mention_url),
            "evidence": EvidenceForm(),
            "claim": ClaimForm(),
            "review": ReviewForm(),
        }
    return {
        "updates": updates,
        "editable": _editable(updates, user, now),
        "evidence": [e for u in reversed(updates) for e in u.evidence.all()],
        "watchers": watching.watchers(item=item),
        "watching": watching.is_watching(user=user, item=item),
        "mention_url": mention_url,
        "max_upload": settings.EVIDENCE_MAX_BYTES,
        "collab_forms": forms,
        **_review(request, item, can_update),
    }

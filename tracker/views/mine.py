"""My items: the signed-in owner's items, the ones waiting for an update first; then the items
they follow (watching)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import BooleanField, Case, F, IntegerField, Value, When
from django.shortcuts import render
from django.utils import timezone

from .. import selectors, watching
from ..models import OPEN_STATUSES
from .common import PER_PAGE, visible_items


@login_required
def my_items(request):
    now = timezone.now()
    items = (
        selectors.my_items(visible_items(request), user=request.user)
        .annotate(
            needs=Case(
                When(selectors.needs_update(now=now), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            closed=Case(
                When(status__in=OPEN_STATUSES, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("theme", "lead_organization", "owner")
        .order_by(
            "-needs", "closed", F("next_follow_up_at").asc(nulls_last=True), "due_date", "key"
        )
    )
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "items": list(page.object_list),
        "today": timezone.localdate(now),
        "waiting": sum(1 for i in page.object_list if i.needs),
        "watched": list(
            watching.watched_items(user=request.user)
            .select_related("theme", "lead_organization", "owner")
            .order_by("key")[:PER_PAGE]
        ),
    }
    return render(request, "tracker/my_items.html", context)

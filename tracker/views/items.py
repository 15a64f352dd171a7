"""The items list and its CSV export: the same filters, so the export is exactly what is listed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from .. import exports
from ..exports import csv_lines
from ..filters import SELECTS, ItemFilter, clean_params
from .common import PER_PAGE, item_url, visible_items


def _filterset(request) -> ItemFilter:
    return ItemFilter(
        clean_params(request.GET),
        queryset=visible_items(request),
        today=timezone.localdate(),
    )


@login_required
def item_list(request):
    filterset = _filterset(request)
    controls = filterset.controls()
    items = filterset.sorted_qs().select_related("theme", "lead_organization", "owner")
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "controls": controls,
        "selects": [(name, controls[name]) for name in SELECTS],
        "ignored": filterset.ignored(),
        "narrowed": filterset.is_narrowed(),
        "page": page,
        "items": list(page.object_list),
        "today": timezone.localdate(),
    }
    return render(request, "tracker/item_list.html", context)


@login_required
def item_export(request):
    filterset = _filterset(request)
    lines = csv_lines(
        filterset.sorted_qs(),
        link_for=lambda item: item_url(request, item),
        language=translation.get_language(),
        tz=timezone.get_current_timezone(),
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = exports.file_name(today=timezone.localdate())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response

"""Cursor pagination: a list continues after the last row it showed, by the values that place
that row in the list's order (the sort's own values, the key last), not by an offset. A page
costs the same deep in a list of 100,000 as at its start, and a row added or changed between
pages never makes another one shown twice or skipped.

The view names the order as (expression, descending) pairs (filters.sort_keys for items); the
cursor is those values of the last row shown, with the name of the order, signed by Django.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

SALT = "tracker.api.cursor"
CURSOR = "cursor"
PAGE_SIZE = "page_size"


def _plain(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def encode_cursor(order: str, values: list) -> str:
    """The order's name and the last row's values, signed: a cursor is only ever one this
    server made (so no made-up value reaches a query)."""
    return signing.dumps([order, [_plain(v) for v in values]], salt=SALT)


def decode_cursor(cursor: str, order: str, width: int) -> list:
    """The values a cursor holds; a cursor made for another order, or not made here, is a 400."""
    try:
        name, values = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError):
        name, values = None, None
    if name != order or not isinstance(values, list) or len(values) != width:
        raise exceptions.ValidationError({CURSOR: [_("This cursor is not one this list gave.")]})
    return values


def after(values: list, keys: list[tuple[object, bool]]) -> Q:
    """Rows that come after `values` in the order `keys`: the first differing key decides."""
    condition = Q(pk__in=[])
    for i, (_expr, descending) in enumerate(keys):
        step = Q(**{f"_k{j}": values[j] for j in range(i)})
        step &= Q(**{f"_k{i}__{'lt' if descending else 'gt'}": values[i]})
        condition |= step
    return condition


class CursorPagination(BasePagination):
    """Pages of `page_size` (API_PAGE_SIZE, at most API_MAX_PAGE_SIZE) in `view.ordering()`,
    which returns (name, [(expression, descending), ...])."""

    def page_size(self, request) -> int:
        raw = request.query_params.get(PAGE_SIZE)
        if raw is None:
            return settings.API_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= settings.API_MAX_PAGE_SIZE:
            message = _("Ask for 1 to %(max)d rows a page.") % {"max": settings.API_MAX_PAGE_SIZE}
            raise exceptions.ValidationError({PAGE_SIZE: [message]})
        return int(raw)

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        name, keys = view.ordering()
        size = self.page_size(request)
        marks = {f"_k{i}": expr for i, (expr, _desc) in enumerate(keys)}
        ordered = queryset.annotate(**marks).order_by(
            *(f"-_k{i}" if desc else f"_k{i}" for i, (_expr, desc) in enumerate(keys))
        )
        cursor = request.query_params.get(CURSOR)
        if cursor:
            ordered = ordered.filter(after(decode_cursor(cursor, name, len(keys)), keys))
        rows = list(ordered[: size + 1])
        self.request, self.has_next = request, len(rows) > size
        rows = rows[:size]
        self.next_cursor = None
        if self.has_next:
            last = rows[-1]
            values = [getattr(last, m) for m in marks]
            self.next_cursor = encode_cursor(name, values)
        return rows

    def next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, CURSOR, self.next_cursor)

    def get_paginated_response(self, data) -> Response:
        return Response(OrderedDict([("next", self.next_link()), ("results", data)]))

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": CURSOR,
                "in": "query",
                "required": False,
                "description": "Where to continue: the `next` link's cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": PAGE_SIZE,
                "in": "query",
                "required": False,
                "description": "Rows a page.",
                "schema": {"type": "integer", "minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            },
        ]

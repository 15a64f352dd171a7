"""Action items: the list (the items page's filters, search and order), one item, its timeline,
and its status. Changes go through workflow.py with the version If-Match names."""

from __future__ import annotations

from django.db.models import F, Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from tracker import workflow
from tracker.filters import ItemFilter, clean_params, sort_keys
from tracker.models import ActionItem, Organization, Status, StatusUpdate
from tracker.workflow import StaleEdit, WorkflowError

from .base import ApiView, etag, expected_version
from .pagination import CursorPagination
from .problems import PreconditionFailed, Refused, problem_responses
from .serializers import (
    ItemDetailSerializer,
    ItemSerializer,
    NoteInput,
    StatusInput,
    TimelineEntrySerializer,
)

ETAG_HEADER = OpenApiParameter(
    "ETag",
    location=OpenApiParameter.HEADER,
    response=True,
    type=str,
    description="The item's version; send it back as If-Match to change the item.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    location=OpenApiParameter.HEADER,
    required=True,
    type=str,
    description='The item\'s ETag from its last GET, e.g. "3". Without it: 428; stale: 412.',
)
KEY = OpenApiParameter("key", location=OpenApiParameter.PATH, type=str, pattern=r"^[-a-zA-Z0-9_]+$")


def _filter_parameters() -> list[OpenApiParameter]:
    multi = {"explode": True, "style": "form"}
    return [
        OpenApiParameter("q", str, description="Words in the key, titles, summaries, excerpt."),
        OpenApiParameter("status", str, many=True, enum=Status.values, **multi),
        OpenApiParameter("theme", int, description="A theme's id."),
        OpenApiParameter("source", str, description="A report's key."),
        OpenApiParameter("lead", str, description="The lead organization's key."),
        OpenApiParameter("owner", str, description="Part of an owner's or co-owner's name."),
        OpenApiParameter("country", str, enum=["US", "KR", "JOINT"]),
        OpenApiParameter("priority", str, enum=["low", "medium", "high", "critical"]),
        OpenApiParameter("overdue", bool, description="Only items past their due date."),
        OpenApiParameter(
            "unescalated", bool, description="Only long-overdue items with nobody to escalate to."
        ),
        OpenApiParameter(
            "sort", str, enum=["key", "due", "-due", "-updated", "status", "priority", "title"]
        ),
    ]


class ItemList(ApiView):
    """The items you may see, with the items page's filters; `next` continues the list."""

    serializer_class = ItemSerializer
    pagination_class = CursorPagination

    def filterset(self) -> ItemFilter:
        params = clean_params(self.request.query_params)
        found = ItemFilter(params, queryset=self.visible_items(), today=self.today())
        if not found.is_valid():
            raise exceptions.ValidationError(found.errors)
        return found

    def ordering(self) -> tuple[str, list]:
        sort = self.request.query_params.get("sort") or "key"
        name = f"{sort}/{translation.get_language()}" if sort == "title" else sort
        return name, sort_keys(sort)

    def get_queryset(self):
        return self.filterset().qs.select_related("source", "lead_organization", "owner")

    @extend_schema(
        operation_id="items_list",
        parameters=_filter_parameters(),
        responses={200: ItemSerializer(many=True), **problem_responses(400)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _detail(key: str, view: ApiView, code: int = 200) -> Response:
    """The item as saved, read through releasability (a 404 whether or not it exists)."""
    partners = Prefetch("partner_organizations", Organization.objects.order_by("key"))
    item = view.item_or_404(key, prefetch=(partners, "co_owners"))
    data = ItemDetailSerializer(item, context=view.get_serializer_context()).data
    return Response(data, status=code, headers={"ETag": etag(item)})


def _change(view: ApiView, key: str, apply) -> ActionItem:
    """Apply a change to the item through the workflow: 404 for an item the caller may not see,
    403 when they may not change it, 428 without If-Match, 412 when stale, 400 when refused."""
    item = view.item_or_404(key)
    if not workflow.may_update(view.request.user, item):
        raise exceptions.PermissionDenied(_("You may not update this item."))
    version = expected_version(view.request)
    try:
        apply(item, version, timezone.now())
    except StaleEdit as stale:
        raise PreconditionFailed(str(stale)) from stale
    except WorkflowError as refused:
        raise Refused(str(refused)) from refused
    return item


class ItemDetail(ApiView):
    serializer_class = ItemDetailSerializer

    @extend_schema(
        parameters=[KEY, ETAG_HEADER],
        responses={200: ItemDetailSerializer, **problem_responses(404)},
    )
    def get(self, request, key: str):
        return _detail(key, self)


class ItemStatus(ApiView):
    """Move the item to another status (its `transitions` say which, and which need a note)."""

    serializer_class = StatusInput

    @extend_schema(
        parameters=[KEY, IF_MATCH, ETAG_HEADER],
        request=StatusInput,
        responses={200: ItemDetailSerializer, **problem_responses(400, 404, 412, 428)},
    )
    def post(self, request, key: str):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)

        def apply(item, version, now):
            workflow.change_status(
                item=item,
                to=data.validated_data["to"],
                by=request.user,
                note=data.validated_data["note"],
                now=now,
                expected_version=version,
            )

        _change(self, key, apply)
        return _detail(key, self)


class ItemTimeline(ApiView):
    """The item's timeline, newest first; POST a progress update to it."""

    serializer_class = TimelineEntrySerializer
    pagination_class = CursorPagination

    def ordering(self) -> tuple[str, list]:
        return "timeline", [(F("created_at"), True), (F("id"), True)]

    @extend_schema(
        parameters=[KEY],
        responses={200: TimelineEntrySerializer(many=True), **problem_responses(400, 404)},
    )
    def get(self, request, key: str):
        item = self.item_or_404(key)
        entries = StatusUpdate.objects.filter(item=item).select_related("author")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        parameters=[KEY, IF_MATCH, ETAG_HEADER],
        request=NoteInput,
        responses={201: TimelineEntrySerializer, **problem_responses(400, 404, 412, 428)},
    )
    def post(self, request, key: str):
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        posted = {}

        def apply(item, version, now):
            posted["entry"] = workflow.post_update(
                item=item,
                by=request.user,
                now=now,
                note=data.validated_data["note"],
                expected_version=version,
            )

        item = _change(self, key, apply)
        body = TimelineEntrySerializer(posted["entry"]).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"ETag": etag(item)})

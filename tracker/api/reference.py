"""Reports, themes and organizations, with counts of the items the caller may see; the reminder
log for coordinators; and who the caller is."""

from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from tracker.models import (
    OPEN_STATUSES,
    ApiToken,
    Organization,
    Reminder,
    ReminderItem,
    ReminderState,
    Source,
    Theme,
)
from tracker.releasability import cleared_markings, visible_filter
from tracker.roles import is_coordinator

from .base import ApiView
from .pagination import CursorPagination
from .permissions import IsCoordinator
from .problems import problem_responses
from .serializers import (
    MeSerializer,
    OrganizationSerializer,
    ReminderSerializer,
    ReportSerializer,
    ThemeSerializer,
)

PATH_KEY = OpenApiParameter("key", location=OpenApiParameter.PATH, type=str, pattern=r"^[-\w]+$")
PATH_ID = OpenApiParameter("id", location=OpenApiParameter.PATH, type=int)


class _ListOrOne(ApiView):
    """A list in a fixed order, and one of its rows by `lookup` (a 404 for any other)."""

    pagination_class = CursorPagination
    order_by: tuple[str, ...] = ("key",)
    lookup = "key"

    def ordering(self) -> tuple[str, list]:
        return "/".join(self.order_by), [(F(name), False) for name in self.order_by]

    def list(self) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def one(self, value) -> Response:
        row = self.get_queryset().filter(**{self.lookup: value}).first()
        if row is None:
            raise Http404
        return Response(self.get_serializer(row).data)


def _counted(queryset, relation: str, user, *, open_too: bool = False):
    """Count only the related items `user` may see (never a hidden one)."""
    visible = visible_filter(user, prefix=f"{relation}__")
    counts = {"item_count": Count(relation, filter=visible, distinct=True)}
    if open_too:
        only_open = visible & Q(**{f"{relation}__status__in": OPEN_STATUSES})
        counts["open_item_count"] = Count(relation, filter=only_open, distinct=True)
    return queryset.annotate(**counts)


class ReportList(_ListOrOne):
    serializer_class = ReportSerializer

    def get_queryset(self):
        return _counted(Source.objects.all(), "items", self.request.user, open_too=True)

    @extend_schema(
        operation_id="reports_list",
        responses={200: ReportSerializer(many=True), **problem_responses(400)},
    )
    def get(self, request):
        return self.list()


class ReportDetail(ReportList):
    @extend_schema(
        parameters=[PATH_KEY], responses={200: ReportSerializer, **problem_responses(404)}
    )
    def get(self, request, key: str):
        return self.one(key)


class ThemeList(_ListOrOne):
    serializer_class = ThemeSerializer
    order_by = ("id",)
    lookup = "pk"

    def get_queryset(self):
        themes = Theme.objects.select_related("source")
        report = self.request.query_params.get("report")
        if report:
            themes = themes.filter(source__key=report)
        return _counted(themes, "items", self.request.user)

    @extend_schema(
        operation_id="themes_list",
        parameters=[OpenApiParameter("report", str, description="A report's key.")],
        responses={200: ThemeSerializer(many=True), **problem_responses(400)},
    )
    def get(self, request):
        return self.list()


class ThemeDetail(ThemeList):
    @extend_schema(parameters=[PATH_ID], responses={200: ThemeSerializer, **problem_responses(404)})
    def get(self, request, id: int):
        return self.one(id)


class OrganizationList(_ListOrOne):
    serializer_class = OrganizationSerializer

    def get_queryset(self):
        orgs = Organization.objects.select_related("coordinator")
        return _counted(orgs, "led_items", self.request.user)

    @extend_schema(
        operation_id="organizations_list",
        responses={200: OrganizationSerializer(many=True), **problem_responses(400)},
    )
    def get(self, request):
        return self.list()


class OrganizationDetail(OrganizationList):
    @extend_schema(
        parameters=[PATH_KEY], responses={200: OrganizationSerializer, **problem_responses(404)}
    )
    def get(self, request, key: str):
        return self.one(key)


class ReminderList(_ListOrOne):
    """The reminder log (coordinators): each digest with the items of it the caller may see."""

    serializer_class = ReminderSerializer
    permission_classes = [IsCoordinator]
    lookup = "pk"

    def ordering(self) -> tuple[str, list]:
        return "reminders", [(F("created_at"), True), (F("id"), True)]

    def get_queryset(self):
        entries = (
            ReminderItem.objects.filter(visible_filter(self.request.user, prefix="item__"))
            .select_related("item")
            .order_by("item__key")
        )
        reminders = Reminder.objects.select_related("recipient").prefetch_related(
            Prefetch("entries", queryset=entries, to_attr="visible_entries")
        )
        state = self.request.query_params.get("state")
        if state in ReminderState.values:
            reminders = reminders.filter(state=state)
        return reminders

    @extend_schema(
        operation_id="reminders_list",
        parameters=[OpenApiParameter("state", str, enum=ReminderState.values)],
        responses={200: ReminderSerializer(many=True), **problem_responses(400)},
    )
    def get(self, request):
        return self.list()


class ReminderDetail(ReminderList):
    @extend_schema(
        parameters=[PATH_ID], responses={200: ReminderSerializer, **problem_responses(404)}
    )
    def get(self, request, id: int):
        return self.one(id)


class Me(ApiView):
    """Who you are here: your role, the markings you see, your language; your token's scope."""

    serializer_class = MeSerializer

    @extend_schema(responses={200: MeSerializer, **problem_responses()})
    def get(self, request):
        user, token = request.user, request.auth
        profile = getattr(user, "profile", None)
        markings = cleared_markings(user)
        data = {
            "username": user.get_username(),
            "coordinator": is_coordinator(user),
            "markings": sorted(markings) if markings is not None else ["*"],
            "language": profile.language if profile else "en",
            "time_zone": profile.time_zone if profile else "UTC",
            "token_scope": token.scope if isinstance(token, ApiToken) else None,
            "token_expires_at": token.expires_at if isinstance(token, ApiToken) else None,
        }
        return Response(MeSerializer(data).data)

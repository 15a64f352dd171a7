"""The API's routes (namespace "api"), its OpenAPI schema and the docs page (Swagger UI, its
files served from here: drf-spectacular-sidecar; the page's script is a file, not inline, so
the Content Security Policy holds)."""

from django.http import Http404
from django.urls import path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from . import items, reference

app_name = "api"

_swagger = SpectacularSwaggerSplitView.as_view(
    url_name="api:schema", template_name="tracker/api_docs.html"
)


def docs(request, *args, **kwargs):
    """The docs page, a plain page: Django's own CSRF check refuses a post to it (DRF's would
    answer with the page's template instead)."""
    return _swagger(request, *args, **kwargs)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def not_found(request, rest: str = ""):
    """Any other address under the API: a 404 as problem details, like every other error here
    (a key that is no key, a number that is no number, a path the API does not have)."""
    raise Http404


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs, name="docs"),
    path("me/", reference.Me.as_view(), name="me"),
    path("reports/", reference.ReportList.as_view(), name="report-list"),
    path("reports/<slug:key>/", reference.ReportDetail.as_view(), name="report-detail"),
    path("themes/", reference.ThemeList.as_view(), name="theme-list"),
    path("themes/<int:id>/", reference.ThemeDetail.as_view(), name="theme-detail"),
    path("organizations/", reference.OrganizationList.as_view(), name="organization-list"),
    path(
        "organizations/<slug:key>/",
        reference.OrganizationDetail.as_view(),
        name="organization-detail",
    ),
    path("items/", items.ItemList.as_view(), name="item-list"),
    path("items/<slug:key>/", items.ItemDetail.as_view(), name="item-detail"),
    path("items/<slug:key>/timeline/", items.ItemTimeline.as_view(), name="item-timeline"),
    path("items/<slug:key>/status/", items.ItemStatus.as_view(), name="item-status"),
    path("reminders/", reference.ReminderList.as_view(), name="reminder-list"),
    path("reminders/<int:id>/", reference.ReminderDetail.as_view(), name="reminder-detail"),
    # Any character, a newline too (".*" stops at one, and the site's HTML 404 would answer).
    re_path(r"^(?P<rest>[\s\S]*)\Z", not_found, name="not-found"),
]

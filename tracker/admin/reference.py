"""Reports, themes, organizations and users: what items refer to, and what autocomplete needs."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin  # registers Django's user admin first
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker import enrolment
from tracker.models import Organization, Profile, Source, Theme

from .guards import CheckedHistoryAdmin, KeyCheckedRelations
from .history import ReadableHistory


@admin.register(Source)
class SourceAdmin(ReadableHistory, CheckedHistoryAdmin):
    list_display = ["key", "title_en", "publisher", "date"]
    search_fields = ["key", "title_en", "title_ko", "publisher"]
    date_hierarchy = "date"


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["key", "title_en", "title_ko", "source", "order"]
    list_filter = ["source"]
    list_select_related = ["source"]
    search_fields = ["key", "title_en", "title_ko"]


@admin.register(Organization)
class OrganizationAdmin(KeyCheckedRelations, admin.ModelAdmin):
    list_display = ["key", "name_en", "name_ko", "country", "coordinator"]
    list_filter = ["country"]
    list_select_related = ["coordinator"]
    search_fields = ["key", "name_en", "name_ko"]
    autocomplete_fields = ["coordinator"]


class ProfileInline(KeyCheckedRelations, admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = gettext_lazy("profile and releasability clearances")
    fields = [
        "organization",
        "country",
        "time_zone",
        "language",
        "may_see_us_only",
        "may_see_kr_only",
        "may_see_us_kr",
    ]
    autocomplete_fields = ["organization"]


User = get_user_model()
admin.site.unregister(User)  # Django's own (imported above), replaced by one with the profile


@admin.action(description=gettext_lazy("Issue two-factor enrolment links"), permissions=["enrol"])
def issue_enrolment_links(modeladmin, request, queryset):
    """One link per selected person, shown once on the next page, to hand over to them."""
    now = timezone.now()
    issued, refused = [], []
    for user in queryset.order_by("username"):
        try:
            issued.append((user, enrolment.issue_link(user=user, by=request.user, now=now)))
        except enrolment.EnrolmentRefused as refusal:
            refused.append((user, str(refusal)))
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Two-factor enrolment links"),
        "opts": modeladmin.opts,
        "issued": issued,
        "refused": refused,
        "hours": settings.ADMIN_ENROLMENT_LINK_HOURS,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/tracker/enrolment_links.html", context)


@admin.register(User)
class TrackerUserAdmin(KeyCheckedRelations, UserAdmin):
    inlines = [ProfileInline]
    actions = [issue_enrolment_links]

    def has_enrol_permission(self, request) -> bool:
        return request.user.is_superuser

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if request.path == reverse("admin:autocomplete", current_app=self.admin_site.name):
            # Only people who can hold an item: active, with a profile (time zone, clearances).
            queryset = queryset.filter(is_active=True, profile__isnull=False)
        return queryset, duplicates

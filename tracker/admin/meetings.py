"""Forums and meetings in the admin: coordinators add and edit them and their agendas here.

Holding, postponing, outcomes and snapshots happen on the meeting's page (its “View on site”
link), through tracker/meetings.py, outcomes.py and snapshots.py, so a meeting's status is read
only here. Agenda and forum rows name items: each inline shows only the rows whose item the user
may see, and saving leaves the others alone.
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from tracker import meetings
from tracker.models import AgendaEntry, Forum, Meeting, Outcome
from tracker.releasability import visible_filter

from .guards import KeyCheckedRelations


class ForumItemInline(KeyCheckedRelations, admin.TabularInline):
    model = Forum.items.through
    extra = 1
    autocomplete_fields = ["actionitem"]
    verbose_name = gettext_lazy("item of this forum")
    verbose_name_plural = gettext_lazy("items of this forum (on every coming meeting's agenda)")

    def get_queryset(self, request):
        visible = visible_filter(request.user, prefix="actionitem__")
        return super().get_queryset(request).filter(visible).select_related("actionitem")


@admin.register(Forum)
class ForumAdmin(KeyCheckedRelations, admin.ModelAdmin):
    list_display = ["key", "short_name", "name_en", "name_ko", "secretariat", "update_lead_days"]
    list_select_related = ["secretariat"]
    search_fields = ["key", "short_name", "name_en", "name_ko"]
    autocomplete_fields = ["secretariat"]
    fields = ["key", "short_name", "name_en", "name_ko", "secretariat", "update_lead_days"]
    inlines = [ForumItemInline]


class AgendaEntryInline(KeyCheckedRelations, admin.TabularInline):
    model = AgendaEntry
    fk_name = "meeting"
    extra = 1
    autocomplete_fields = ["item"]
    fields = ["item", "reason", "carried_from"]
    readonly_fields = ["reason", "carried_from"]

    def get_queryset(self, request):
        visible = visible_filter(request.user, prefix="item__")
        return super().get_queryset(request).filter(visible).select_related("item", "carried_from")


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0
    can_delete = False
    fields = ["kind", "item", "text_en", "text_ko", "author", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # recorded on the meeting's page, through outcomes.py

    def get_queryset(self, request):
        visible = visible_filter(request.user, prefix="item__")
        return super().get_queryset(request).filter(visible).select_related("item", "author")


@admin.register(Meeting)
class MeetingAdmin(KeyCheckedRelations, admin.ModelAdmin):
    list_display = ["__str__", "forum", "date", "status", "place_en"]
    list_filter = ["forum", "status"]
    list_select_related = ["forum"]
    search_fields = ["key", "place_en", "place_ko", "forum__name_en", "forum__short_name"]
    ordering = ["-date"]
    fields = [
        "forum",
        "key",
        "date",
        "time_zone",
        "place_en",
        "place_ko",
        "status",
        "original_date",
        "minutes_en",
        "minutes_ko",
    ]
    readonly_fields = ["status", "original_date"]
    inlines = [AgendaEntryInline, OutcomeInline]

    def view_on_site(self, obj: Meeting) -> str:
        return reverse("tracker:meeting_detail", args=[obj.pk])

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change:  # a newly planned meeting takes over the last held one's open items
            meetings.carry_into(meeting=form.instance)

    def get_changeform_initial_data(self, request):
        return {"date": timezone.localdate(), **super().get_changeform_initial_data(request)}

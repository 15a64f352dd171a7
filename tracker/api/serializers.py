"""What each resource shows. Shapes only: which items and counts a caller may see is decided by
the views' querysets (releasability), and every change is made by workflow.py.

Bilingual text comes as `*_en` and `*_ko`, and once more in the request's language (`title`,
`summary`, `name`: the other language when that one is empty). Times are UTC.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker import workflow
from tracker.models import (
    ActionItem,
    Organization,
    Reminder,
    Source,
    Status,
    StatusUpdate,
    Theme,
)
from tracker.workflow import NOTE_MAX_LENGTH


class ReportSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True)
    item_count = serializers.IntegerField(read_only=True, help_text="Items you may see.")
    open_item_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Source
        fields = [
            "key",
            "title",
            "title_en",
            "title_ko",
            "publisher",
            "author",
            "date",
            "url",
            "citation",
            "item_count",
            "open_item_count",
        ]


class ThemeSerializer(serializers.ModelSerializer):
    report = serializers.CharField(source="source.key", read_only=True)
    title = serializers.CharField(read_only=True)
    item_count = serializers.IntegerField(read_only=True, help_text="Items you may see.")

    class Meta:
        model = Theme
        fields = ["id", "key", "report", "order", "title", "title_en", "title_ko", "item_count"]


class OrganizationSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    coordinator = serializers.CharField(
        source="coordinator.username", default=None, allow_null=True, read_only=True
    )
    item_count = serializers.IntegerField(read_only=True, help_text="Items you may see it lead.")

    class Meta:
        model = Organization
        fields = ["key", "name", "name_en", "name_ko", "country", "coordinator", "item_count"]


class ItemSerializer(serializers.ModelSerializer):
    """An item in a list: enough to act on it; its page says the rest."""

    url = serializers.SerializerMethodField()
    title = serializers.CharField(read_only=True)
    report = serializers.CharField(source="source.key", read_only=True)
    theme = serializers.IntegerField(source="theme_id", read_only=True)
    lead_organization = serializers.CharField(source="lead_organization.key", read_only=True)
    owner = serializers.CharField(
        source="owner.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = ActionItem
        fields = [
            "key",
            "url",
            "title",
            "title_en",
            "title_ko",
            "status",
            "priority",
            "due_date",
            "report",
            "theme",
            "lead_organization",
            "owner",
            "marking",
            "version",
            "next_follow_up_at",
            "updated_at",
        ]

    def get_url(self, item: ActionItem) -> str:
        # The items' address, made once a response (keys are slugs: nothing to quote).
        if "items_url" not in self.context:
            request = self.context["request"]
            self.context["items_url"] = request.build_absolute_uri(reverse("api:item-list"))
        return f"{self.context['items_url']}{item.key}/"


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    note_required = serializers.BooleanField()


class ItemDetailSerializer(ItemSerializer):
    """One item, whole. Evidence links join here (an `evidence` field and its own endpoint)
    once the tracker stores evidence: none exists yet, and none is made up."""

    summary = serializers.CharField(read_only=True)
    partner_organizations = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="key"
    )
    co_owners = serializers.SlugRelatedField(many=True, read_only=True, slug_field="username")
    web_url = serializers.SerializerMethodField()
    transitions = serializers.SerializerMethodField(
        help_text="The statuses you may move it to, and whether each needs a note."
    )

    class Meta(ItemSerializer.Meta):
        fields = [
            *ItemSerializer.Meta.fields,
            "web_url",
            "summary",
            "summary_en",
            "summary_ko",
            "paragraph",
            "excerpt",
            "partner_organizations",
            "owner_role",
            "co_owners",
            "cadence_days",
            "last_update_at",
            "snoozed_until",
            "created_at",
            "transitions",
        ]

    def get_web_url(self, item: ActionItem) -> str:
        path = reverse("tracker:item_detail", kwargs={"key": item.key})
        return self.context["request"].build_absolute_uri(path)

    @staticmethod
    def _transitions(item: ActionItem) -> list[dict]:
        return [
            {"to": to, "note_required": workflow.needs_note(item.status, to)}
            for to in workflow.allowed_transitions(item.status)
        ]

    @extend_schema_field(TransitionSerializer(many=True))
    def get_transitions(self, item: ActionItem) -> list[dict]:
        if not workflow.may_update(self.context["request"].user, item):
            return []
        return TransitionSerializer(self._transitions(item), many=True).data


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author.username", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = StatusUpdate
        fields = ["id", "created_at", "kind", "from_status", "to_status", "note", "author"]


class NoteInput(serializers.Serializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, allow_blank=False, trim_whitespace=True
    )


class StatusInput(serializers.Serializer):
    to = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when closing or reopening: say why.",
    )


class ReminderEntrySerializer(serializers.Serializer):
    item = serializers.CharField(source="item.key")
    kind = serializers.CharField()


class ReminderSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username", read_only=True)
    items = serializers.SerializerMethodField(help_text="The items of it you may see.")

    class Meta:
        model = Reminder
        fields = [
            "id",
            "recipient",
            "local_date",
            "state",
            "attempts",
            "created_at",
            "sent_at",
            "last_error",
            "items",
        ]

    @extend_schema_field(ReminderEntrySerializer(many=True))
    def get_items(self, reminder: Reminder) -> list[dict]:
        # Prefetched by the view, already narrowed to the items the caller may see.
        return ReminderEntrySerializer(reminder.visible_entries, many=True).data


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    coordinator = serializers.BooleanField()
    markings = serializers.ListField(child=serializers.CharField(), help_text="Markings you see.")
    language = serializers.CharField()
    time_zone = serializers.CharField()
    token_scope = serializers.CharField(allow_null=True)
    token_expires_at = serializers.DateTimeField(allow_null=True)

"""Forums (the DTICC, the TCSC, the RDP talks, ...), their meetings, agendas and outcomes.

An item is on a meeting's agenda explicitly (an AgendaEntry) or by default through its forum
(Forum.items) while the meeting is still to come; tracker/meetings.py holds the rules.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import MeetingStatus, OutcomeKind, pick_language
from .items import ActionItem, Organization, StatusUpdate
from .people import validate_time_zone

LEAD_DAYS_MIN, LEAD_DAYS_MAX = 2, 60


def _site_time_zone() -> str:
    return settings.TIME_ZONE


class Forum(models.Model):
    """A standing body whose meetings take up action items: a committee, a subcommittee, talks."""

    key = models.SlugField(verbose_name=_("key"), max_length=80, unique=True)
    short_name = models.CharField(
        max_length=40,
        blank=True,
        help_text=_("As in “the DTICC meeting”; the name when empty."),
        verbose_name=_("short name"),
    )
    name_en = models.CharField(verbose_name=_("name (English)"), max_length=200)
    name_ko = models.CharField(verbose_name=_("name (Korean)"), max_length=200, blank=True)
    secretariat = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="secretariat_of",
        help_text=_("The organization that runs the forum's meetings."),
        verbose_name=_("secretariat"),
    )
    update_lead_days = models.PositiveSmallIntegerField(
        default=14,
        help_text=_(
            "Owners of agenda items are asked for an update this many days before a meeting, "
            "then again at half of it."
        ),
        verbose_name=_("days before a meeting to ask for updates"),
    )
    items = models.ManyToManyField(
        ActionItem,
        blank=True,
        related_name="forums",
        help_text=_("Items on the agenda of every coming meeting of this forum."),
        verbose_name=_("items"),
    )

    class Meta:
        verbose_name = _("forum")
        verbose_name_plural = _("forums")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(update_lead_days__gte=LEAD_DAYS_MIN)
                & Q(update_lead_days__lte=LEAD_DAYS_MAX),
                name="forum_lead_days_2_to_60",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def name(self) -> str:
        return pick_language(self.name_en, self.name_ko)

    @property
    def label(self) -> str:
        """The short name where there is one (“DTICC”), else the name."""
        return self.short_name or self.name


class Meeting(models.Model):
    forum = models.ForeignKey(
        Forum, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("forum")
    )
    key = models.SlugField(
        verbose_name=_("key"), max_length=80, help_text=_("Unique within the forum, e.g. 2026-12.")
    )
    date = models.DateField(
        verbose_name=_("date"), help_text=_("The (new) date, in the meeting's time zone.")
    )
    time_zone = models.CharField(
        max_length=64,
        default=_site_time_zone,
        validators=[validate_time_zone],
        verbose_name=_("time zone"),
    )
    place_en = models.CharField(verbose_name=_("place (English)"), max_length=200, blank=True)
    place_ko = models.CharField(verbose_name=_("place (Korean)"), max_length=200, blank=True)
    status = models.CharField(
        max_length=16,
        choices=MeetingStatus.choices,
        default=MeetingStatus.PLANNED,
        verbose_name=_("status"),
    )
    original_date = models.DateField(
        null=True,
        blank=True,
        help_text=_("The date first planned, when it was postponed."),
        verbose_name=_("first planned date"),
    )
    minutes_en = models.TextField(verbose_name=_("minutes (English)"), blank=True)
    minutes_ko = models.TextField(verbose_name=_("minutes (Korean)"), blank=True)
    items = models.ManyToManyField(
        ActionItem,
        through="AgendaEntry",
        through_fields=("meeting", "item"),
        related_name="meetings",
        blank=True,
        verbose_name=_("agenda items"),
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["date", "forum__key", "key"]
        constraints = [
            models.UniqueConstraint(fields=["forum", "key"], name="meeting_unique_key_per_forum"),
            models.CheckConstraint(
                condition=Q(status__in=MeetingStatus.values), name="meeting_valid_status"
            ),
        ]
        indexes = [models.Index(fields=["status", "date"], name="meeting_status_date_idx")]

    def __str__(self) -> str:
        return f"{self.forum.label} {self.date.isoformat()}"

    @property
    def place(self) -> str:
        return pick_language(self.place_en, self.place_ko)

    @property
    def minutes(self) -> str:
        return pick_language(self.minutes_en, self.minutes_ko)


class AgendaReason(models.TextChoices):
    EXPLICIT = "explicit", _("Put on the agenda")
    FORUM = "forum", _("Through its forum")
    CARRIED = "carried", _("Carried over")


class AgendaEntry(models.Model):
    """An item on one meeting's agenda. A held meeting's agenda is all entries (what was on it
    when it was held); a coming meeting's is its entries and its forum's open items."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_entries", verbose_name=_("meeting")
    )
    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="agenda_entries", verbose_name=_("item")
    )
    reason = models.CharField(
        max_length=16,
        choices=AgendaReason.choices,
        default=AgendaReason.EXPLICIT,
        verbose_name=_("why it is on the agenda"),
    )
    carried_from = models.ForeignKey(
        Meeting,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="carried_on",
        verbose_name=_("carried over from"),
    )

    class Meta:
        verbose_name = _("agenda entry")
        verbose_name_plural = _("agenda entries")
        ordering = ["meeting", "item__key"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "item"], name="agenda_item_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.item_id}"


class Outcome(models.Model):
    """What a held meeting decided about one item: an update of an agenda item (its timeline
    entry cites the meeting) or a new action item whose provenance is the meeting."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.PROTECT, related_name="outcomes", verbose_name=_("meeting")
    )
    kind = models.CharField(verbose_name=_("kind"), max_length=16, choices=OutcomeKind.choices)
    text_en = models.TextField(
        verbose_name=_("text (English)"),
    )
    text_ko = models.TextField(verbose_name=_("text (Korean)"), blank=True)
    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="outcomes", verbose_name=_("item")
    )
    update = models.OneToOneField(
        StatusUpdate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcome",
        verbose_name=_("timeline entry"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(
        verbose_name=_("recorded at"),
    )

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["meeting", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=OutcomeKind.values), name="outcome_valid_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.get_kind_display()} ({self.item_id})"

    @property
    def text(self) -> str:
        return pick_language(self.text_en, self.text_ko)

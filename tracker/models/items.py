"""Reports, their themes, organizations, action items and each item's timeline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    BilingualTitleMixin,
    Country,
    Marking,
    Priority,
    Status,
    UpdateKind,
    pick_language,
)

TITLE_MAX_LENGTH = 300


KEY_HELP = _("Lowercase letters, digits and hyphens; a reload of the report matches on it.")


class Source(BilingualTitleMixin, models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True, help_text=KEY_HELP)
    title_en = models.CharField(_("title (English)"), max_length=300)
    title_ko = models.CharField(_("title (Korean)"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    author = models.CharField(_("author"), max_length=200, blank=True)
    date = models.DateField(
        _("publication date"), help_text=_("Publication date; no item may be due before it.")
    )
    url = models.URLField(_("address (URL)"), blank=True)
    citation = models.TextField(_("citation"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-date", "key"]

    def __str__(self) -> str:
        return self.title


class Theme(BilingualTitleMixin, models.Model):
    source = models.ForeignKey(
        Source, on_delete=models.CASCADE, related_name="themes", verbose_name=_("report")
    )
    key = models.SlugField(_("key"), max_length=80, help_text=KEY_HELP)
    order = models.PositiveSmallIntegerField(
        _("order"), default=0, help_text=_("Position of the theme in the report.")
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_ko = models.CharField(_("title (Korean)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["source", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="theme_unique_key_per_source"),
        ]

    def __str__(self) -> str:
        return self.title


class Organization(models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True, help_text=KEY_HELP)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ko = models.CharField(_("name (Korean)"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=5, choices=Country.choices)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_organizations",
        verbose_name=_("coordinator"),
        help_text=_("Receives escalation copies for this organization's overdue items."),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name_en"]
        constraints = [
            models.CheckConstraint(
                condition=Q(country__in=Country.values), name="organization_valid_country"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_language(self.name_en, self.name_ko)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Overdue: still open, and due before `today`. The one definition pages, admin and
    reminders share (ActionItem.is_overdue says the same of one item)."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES, f"{prefix}due_date__lt": today})


def local_day_end(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """When local `day` ends in `zone`: the first moment of the next local day."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


def follow_up_due_q(day: dt.date, zone: dt.tzinfo, prefix: str = "") -> Q:
    """Follow-up due on local `day`: still open, and its next follow-up falls on that day or
    before. The one definition pages, admin and reminders share (ActionItem.is_follow_up_due
    says the same of one item)."""
    return Q(
        **{
            f"{prefix}status__in": OPEN_STATUSES,
            f"{prefix}next_follow_up_at__lt": local_day_end(day, zone),
        }
    )


class ActionItemQuerySet(models.QuerySet):
    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> ActionItemQuerySet:
        return self.filter(status__in=CLOSED_STATUSES)

    def overdue(self, today: dt.date) -> ActionItemQuerySet:
        """Open items whose due date is before `today` (the viewer's local date)."""
        return self.filter(overdue_q(today))

    def follow_up_due(self, day: dt.date, zone: dt.tzinfo) -> ActionItemQuerySet:
        """Open items whose next follow-up falls on local `day` or before."""
        return self.filter(follow_up_due_q(day, zone))


class ActionItem(BilingualTitleMixin, models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True, help_text=KEY_HELP)
    source = models.ForeignKey(
        Source, on_delete=models.PROTECT, related_name="items", verbose_name=_("report")
    )
    # Copy of source.date so the database itself can refuse a due date before the report.
    source_date = models.DateField(_("report date"), editable=False)
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, related_name="items", verbose_name=_("theme")
    )
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX_LENGTH)
    title_ko = models.CharField(_("title (Korean)"), max_length=TITLE_MAX_LENGTH, blank=True)
    summary_en = models.TextField(_("summary (English)"), blank=True)
    summary_ko = models.TextField(_("summary (Korean)"), blank=True)
    paragraph = models.PositiveSmallIntegerField(
        _("paragraph"), help_text=_("Paragraph of the report.")
    )
    excerpt = models.TextField(_("excerpt"), help_text=_("Short verbatim excerpt of the report."))
    # Set when a meeting's outcome made the item: its provenance is that meeting (and `excerpt`
    # the outcome's words), not a paragraph of the report.
    origin_meeting = models.ForeignKey(
        "Meeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="born_items",
        verbose_name=_("meeting of origin"),
        help_text=_("The meeting whose outcome made this item."),
    )
    lead_organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="led_items",
        verbose_name=_("lead organization"),
    )
    partner_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="partner_items", verbose_name=_("partners")
    )
    owner_role_en = models.CharField(
        _("owner's role (English)"),
        max_length=200,
        blank=True,
        help_text=_("The role that should own the item, as the report would name it."),
    )
    owner_role_ko = models.CharField(_("owner's role (Korean)"), max_length=200, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_items",
        verbose_name=_("owner"),
        help_text=_("The one accountable owner."),
    )
    co_owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="co_owned_items",
        verbose_name=_("co-owners"),
    )
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.NOT_STARTED
    )
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority.choices, default=Priority.MEDIUM
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    cadence_days = models.PositiveSmallIntegerField(
        _("follow-up every (days)"), default=14, help_text=_("Days between follow-ups.")
    )
    last_update_at = models.DateTimeField(_("last update"), null=True, blank=True)
    next_follow_up_at = models.DateTimeField(_("next follow-up"), null=True, blank=True)
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    marking = models.CharField(
        _("releasability"), max_length=16, choices=Marking.choices, default=Marking.ALL
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    history = HistoricalRecords(m2m_fields=[co_owners, partner_organizations])

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["key"]
        permissions = [("manage_items", "Can manage every action item (coordinator)")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="item_valid_status"),
            models.CheckConstraint(
                condition=Q(priority__in=Priority.values), name="item_valid_priority"
            ),
            models.CheckConstraint(
                condition=Q(cadence_days__gte=1) & Q(cadence_days__lte=365),
                name="item_cadence_1_to_365",
            ),
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_date__gte=F("source_date")),
                name="item_due_not_before_source",
            ),
        ]
        indexes = [
            # Reminders: open items whose follow-up time has come.
            models.Index(
                fields=["next_follow_up_at"],
                condition=Q(status__in=OPEN_STATUSES),
                name="item_open_followup_idx",
            ),
            models.Index(
                fields=["due_date"], condition=Q(status__in=OPEN_STATUSES), name="item_open_due_idx"
            ),
            # Status pages: by status, theme and owner.
            models.Index(fields=["status", "theme", "owner"], name="item_status_theme_owner_idx"),
            models.Index(fields=["owner", "status"], name="item_owner_status_idx"),
            models.Index(fields=["-updated_at"], name="item_updated_idx"),
            # Admin list: the due-date drill-down (first and last due date, the years) and the
            # paginator's count under the marking filter, as index-only scans.
            models.Index(fields=["due_date", "marking"], name="item_due_marking_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def save(self, *args, **kwargs):
        # Keep the denormalised source date in step with the source (a copy, not a rule).
        if self.source_id:
            self.source_date = self.source.date
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.source_id and self.due_date and self.due_date < self.source.date:
            raise ValidationError(
                {
                    "due_date": _("The due date cannot be before the report's date (%(date)s).")
                    % {"date": self.source.date.isoformat()}
                }
            )

    @property
    def summary(self) -> str:
        return pick_language(self.summary_en, self.summary_ko)

    @property
    def owner_role(self) -> str:
        return pick_language(self.owner_role_en, self.owner_role_ko)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: dt.date) -> bool:
        return self.is_open and self.due_date is not None and self.due_date < today

    def follow_up_day(self, zone: dt.tzinfo) -> dt.date | None:
        """The local day of the next follow-up; None when none is planned (a closed item)."""
        if self.next_follow_up_at is None:
            return None
        return self.next_follow_up_at.astimezone(zone).date()

    def is_follow_up_due(self, day: dt.date, zone: dt.tzinfo) -> bool:
        follow_up = self.follow_up_day(zone)
        return self.is_open and follow_up is not None and follow_up <= day


class StatusUpdate(models.Model):
    """One entry of an item's timeline. Append-only: written by workflow.py, never edited.

    `changes` lists the fields a change moved, as {"field", "old", "new"} with language-neutral
    values (dates in ISO form, choice values, names in both languages), so each reader sees the
    entry in their own language (tracker/changes.py writes and describes them)."""

    item = models.ForeignKey(
        ActionItem, on_delete=models.CASCADE, related_name="updates", verbose_name=_("action item")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("when"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=UpdateKind.choices, default=UpdateKind.NOTE
    )
    from_status = models.CharField(_("status before"), max_length=32, choices=Status.choices)
    to_status = models.CharField(_("status after"), max_length=32, choices=Status.choices)
    note = models.TextField(_("note"), blank=True)
    changes = models.JSONField(_("changed fields"), default=list, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["item", "-created_at"], name="update_item_time_idx"),
            # Digests' news: the entries of the last days on followed items (reminders/news.py).
            models.Index(fields=["created_at"], name="update_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=Status.values) & Q(to_status__in=Status.values),
                name="update_valid_statuses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.key} {self.from_status}→{self.to_status} at {self.created_at:%Y-%m-%d}"

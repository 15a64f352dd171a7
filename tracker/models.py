"""What the tracker stores: reports, their action items, the timeline, profiles and reminders.

Rules that must hold whatever writes the row are database constraints here; the rules about how
rows change live in workflow.py, reminders.py and seeding.py.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Country(models.TextChoices):
    US = "US", _("United States")
    KR = "KR", _("Republic of Korea")
    JOINT = "JOINT", _("Joint (U.S.-ROK)")


class Marking(models.TextChoices):
    """Releasability markings. Who may see which is decided in releasability.py alone."""

    ALL = "all", _("Releasable to all")
    US_ONLY = "us-only", _("U.S. only")
    KR_ONLY = "kr-only", _("ROK only")
    US_KR = "us-kr", _("U.S. and ROK")


class Status(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    IMPLEMENTED = "implemented", _("Implemented")
    CLOSED_NOT_IMPLEMENTED = "closed_not_implemented", _("Closed, not implemented")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.BLOCKED)
CLOSED_STATUSES = (Status.IMPLEMENTED, Status.CLOSED_NOT_IMPLEMENTED, Status.SUPERSEDED)


TITLE_MAX_LENGTH = 300


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


KEY_HELP = _("Lowercase letters, digits and hyphens; a reload of the report matches on it.")


class Language(models.TextChoices):
    EN = "en", "English"
    KO = "ko", "한국어"


def pick_language(en: str, ko: str, language: str | None = None) -> str:
    """The text in the reader's language, falling back to the other when that one is empty."""
    language = (language or get_language() or "en")[:2]
    first, second = (ko, en) if language == "ko" else (en, ko)
    return first or second


class BilingualTitleMixin:
    title_en: str
    title_ko: str

    @property
    def title(self) -> str:
        return pick_language(self.title_en, self.title_ko)


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
    reminders share."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES, f"{prefix}due_date__lt": today})


class ActionItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> ActionItemQuerySet:
        """Only the items the user's releasability markings allow (see releasability.py)."""
        from .releasability import visible_filter

        return self.filter(visible_filter(user))

    def open(self) -> ActionItemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def closed(self) -> ActionItemQuerySet:
        return self.filter(status__in=CLOSED_STATUSES)

    def overdue(self, today: dt.date) -> ActionItemQuerySet:
        """Open items whose due date is before `today` (the viewer's local date)."""
        return self.filter(overdue_q(today))


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

    def owner_ids(self, co_owner_ids: set[int] | None = None) -> set[int]:
        """The owner's and co-owners' ids; `co_owner_ids` if the caller read them already
        (co_owner_ids_of, for many items at once)."""
        ids = (
            set(co_owner_ids) if co_owner_ids is not None else {u.pk for u in self.co_owners.all()}
        )
        if self.owner_id:
            ids.add(self.owner_id)
        return ids

    @classmethod
    def co_owner_ids_of(cls, item_ids) -> dict[int, set[int]]:
        """Each item's co-owner ids in one query of the link table (no user rows built)."""
        through = cls.co_owners.through
        found: dict[int, set[int]] = {}
        pairs = through.objects.filter(actionitem_id__in=list(item_ids))
        for item_id, user_id in pairs.values_list("actionitem_id", "user_id"):
            found.setdefault(item_id, set()).add(user_id)
        return found


class UpdateKind(models.TextChoices):
    STATUS = "status", _("Status change")
    NOTE = "note", _("Progress update")
    ON_TRACK = "on_track", _("Still on track")
    SNOOZE = "snooze", _("Snoozed")
    REASSIGN = "reassign", _("Owner changed")
    DUE_DATE = "due_date", _("Due date moved")
    EDIT = "edit", _("Details changed")
    IMPORT = "import", _("Changed by an import")
    SEED = "seed", _("Changed by a report reload")


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
        indexes = [models.Index(fields=["item", "-created_at"], name="update_item_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=Status.values) & Q(to_status__in=Status.values),
                name="update_valid_statuses",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.key} {self.from_status}→{self.to_status} at {self.created_at:%Y-%m-%d}"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s") % {"tz": value})


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("organization"),
    )
    country = models.CharField(
        _("country"), max_length=5, choices=Country.choices, default=Country.US
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text=_("An IANA name such as Asia/Seoul: pages and reminders follow it."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    # Markings beyond "releasable to all" that this user is cleared to see.
    may_see_us_only = models.BooleanField(default=False, verbose_name=_("May see U.S. only"))
    may_see_kr_only = models.BooleanField(default=False, verbose_name=_("May see ROK only"))
    may_see_us_kr = models.BooleanField(default=False, verbose_name=_("May see U.S. and ROK"))
    calendar_token = models.CharField(
        _("calendar feed token"), max_length=64, unique=True, default=new_calendar_token
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="profile_valid_language"
            ),
            models.CheckConstraint(
                condition=Q(country__in=Country.values), name="profile_valid_country"
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped (nothing left to send)")


class ReminderKind(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due soon")
    FOLLOW_UP = "follow_up", _("Follow-up")
    ESCALATION = "escalation", _("Escalation")


class Reminder(models.Model):
    """One digest to one recipient for one local day, claimed before it is sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    local_date = models.DateField(
        _("local date"), help_text=_("The recipient's local day this digest is for.")
    )
    state = models.CharField(
        _("state"), max_length=16, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    items = models.ManyToManyField(
        ActionItem, through="ReminderItem", related_name="reminders", verbose_name=_("items")
    )
    created_at = models.DateTimeField(_("created"))
    claimed_at = models.DateTimeField(
        _("claimed"), null=True, blank=True, help_text=_("When a worker last took it to send.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("message ID"), max_length=255, blank=True)
    # Delivery bookkeeping (delivery.py). `attempts` counts the times a worker took the row to
    # send: each reached SMTP (one cut short by a dead worker included) unless the row ended
    # skipped. The sweep re-enqueues a pending row untouched for too long.
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(
        _("next attempt"),
        null=True,
        blank=True,
        help_text=_("When the next send is due (after a retry)."),
    )
    send_before = models.DateTimeField(
        _("send before"),
        null=True,
        blank=True,
        help_text=_("End of the recipient's morning window; empty for a digest sent by hand."),
    )
    give_up_after = models.PositiveSmallIntegerField(
        _("give up after"), default=8, help_text=_("Mark failed once attempts reach this number.")
    )

    class Meta:
        verbose_name = _("reminder digest")
        verbose_name_plural = _("reminder digests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "local_date"], name="reminder_one_per_recipient_per_day"
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReminderState.values), name="reminder_valid_state"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state="pending"),
                name="reminder_pending_idx",
            ),
            # The dashboard's count of pending and failed digests, on every view: a few rows
            # among years of sent ones.
            models.Index(
                fields=["state"],
                condition=Q(state__in=["pending", "failed"]),
                name="reminder_unsettled_idx",
            ),
        ]

    def __str__(self) -> str:
        return _("Digest for %(recipient)s on %(date)s (%(state)s)") % {
            "recipient": self.recipient,
            "date": formats.date_format(self.local_date, "DATE_FORMAT"),
            "state": self.get_state_display(),
        }


class ReminderItem(models.Model):
    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="entries", verbose_name=_("digest")
    )
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="reminder_entries",
        verbose_name=_("action item"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReminderKind.choices)

    class Meta:
        verbose_name = _("digest entry")
        verbose_name_plural = _("digest entries")
        constraints = [
            models.UniqueConstraint(fields=["reminder", "item"], name="reminder_item_once"),
            models.CheckConstraint(
                condition=Q(kind__in=ReminderKind.values), name="reminder_item_valid_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ({self.kind})"


class UsedLink(models.Model):
    """A one-click email link that has acted; its token hash is unique, so it acts only once."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="used_links",
        verbose_name=_("recipient"),
    )
    item = models.ForeignKey(
        ActionItem,
        on_delete=models.CASCADE,
        related_name="used_links",
        verbose_name=_("action item"),
    )
    action = models.CharField(_("action"), max_length=16)
    used_at = models.DateTimeField(_("used"))

    class Meta:
        verbose_name = _("used email link")
        verbose_name_plural = _("used email links")
        ordering = ["-used_at"]

    def __str__(self) -> str:
        return f"{self.action} on {self.item_id} by {self.recipient_id} at {self.used_at}"


class SweepRun(models.Model):
    """When the reminder sweep last ran, so /healthz can tell a stopped beat."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    claimed = models.PositiveIntegerField(_("digests claimed"), default=0)
    requeued = models.PositiveIntegerField(_("digests queued again"), default=0)

    class Meta:
        verbose_name = _("reminder sweep")
        verbose_name_plural = _("reminder sweeps")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="sweep_started_idx")]

    def __str__(self) -> str:
        return f"Sweep at {self.started_at:%Y-%m-%d %H:%M}"

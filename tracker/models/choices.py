"""The fixed vocabularies: countries, markings, statuses, priorities, languages, kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


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


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


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

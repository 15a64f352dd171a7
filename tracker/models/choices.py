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
    # Neither open nor closed: the owner says it is done, with evidence; a reviewer decides
    # (tracker/review.py). No owner reminders, never overdue; reviewers hear of it.
    IMPLEMENTATION_CLAIMED = "implementation_claimed", _("Implementation claimed")
    IMPLEMENTED = "implemented", _("Implemented")
    CLOSED_NOT_IMPLEMENTED = "closed_not_implemented", _("Closed, not implemented")
    SUPERSEDED = "superseded", _("Superseded")


OPEN_STATUSES = (Status.NOT_STARTED, Status.IN_PROGRESS, Status.BLOCKED)


CLOSED_STATUSES = (Status.IMPLEMENTED, Status.CLOSED_NOT_IMPLEMENTED, Status.SUPERSEDED)


# Waiting for a reviewer: not open (no owner reminders, not overdue), not closed either.
REVIEW_STATUSES = (Status.IMPLEMENTATION_CLAIMED,)


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
    OUTCOME = "outcome", _("Meeting outcome")
    COMMENT = "comment", _("Comment")
    EVIDENCE = "evidence", _("Evidence added")
    CLAIM = "claim", _("Implementation claimed")
    CLAIM_RETURNED = "claim_returned", _("Claim returned")
    CLAIM_ACCEPTED = "claim_accepted", _("Claim accepted")


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
    MEETING = "meeting", _("Update before a meeting")
    REVIEW = "review", _("Claim awaiting review")
    MENTION = "mention", _("Mention")
    WATCHED = "watched", _("Change on a followed item")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    POSTPONED = "postponed", _("Postponed")


# A meeting still to come: planned, or postponed to a new date.
UPCOMING_MEETING_STATUSES = (MeetingStatus.PLANNED, MeetingStatus.POSTPONED)


class Edition(models.TextChoices):
    """The audience a snapshot is frozen for; which markings each may hold is releasability.py's."""

    ALL = "all", _("Releasable to all")
    US = "us", _("U.S. edition")
    KR = "kr", _("ROK edition")
    US_KR = "us-kr", _("U.S. and ROK governments")


class OutcomeKind(models.TextChoices):
    UPDATE = "update", _("Updates an agenda item")
    NEW_ITEM = "new_item", _("Becomes a new action item")


class DigestFrequency(models.TextChoices):
    WORKING_DAYS = "working_days", _("Every working day")
    WEEKLY = "weekly", _("Once a week")


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")

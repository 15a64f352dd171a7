"""What the tracker stores. Rules that must hold whatever writes the row are database
constraints here; how rows change lives in the rule modules (workflow, reminders, seeding).

    choices.py    the fixed vocabularies
    items.py      reports, themes, organizations, action items, the timeline
    people.py     profiles
    reminders.py  reminder digests, used links, sweep runs
    meetings.py   forums, their meetings, agendas and outcomes
    snapshots.py  frozen, citable status reports
    tokens.py     personal access tokens for the API
    webhooks.py   webhook endpoints, events and deliveries
    collaboration.py  watchers, mentions, comment edits, evidence, what digests told
"""

from .choices import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    REVIEW_STATUSES,
    UPCOMING_MEETING_STATUSES,
    BilingualTitleMixin,
    Country,
    DigestFrequency,
    Edition,
    EvidenceKind,
    Language,
    Marking,
    MeetingStatus,
    OutcomeKind,
    Priority,
    ReminderKind,
    ReminderState,
    Status,
    UpdateKind,
    pick_language,
)
from .collaboration import (
    CommentEdit,
    Evidence,
    Mention,
    ReminderNews,
    Watch,
)
from .items import (
    KEY_HELP,
    TITLE_MAX_LENGTH,
    ActionItem,
    ActionItemQuerySet,
    Organization,
    Source,
    StatusUpdate,
    Theme,
    follow_up_due_q,
    local_day_end,
    overdue_q,
)
from .meetings import (
    LEAD_DAYS_MAX,
    LEAD_DAYS_MIN,
    AgendaEntry,
    AgendaReason,
    Forum,
    Meeting,
    Outcome,
)
from .people import (
    WEEKDAYS,
    ExternalIdentity,
    Profile,
    new_calendar_token,
    validate_time_zone,
)
from .reminders import (
    PersonalSnooze,
    Reminder,
    ReminderItem,
    SweepRun,
    UsedLink,
)
from .snapshots import ScopeKind, Snapshot, SnapshotReport
from .tokens import (
    ApiToken,
    TokenScope,
)
from .webhooks import (
    Audience,
    DeliveryState,
    EventType,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

__all__ = [
    "REVIEW_STATUSES",
    "DigestFrequency",
    "EvidenceKind",
    "CommentEdit",
    "Evidence",
    "Mention",
    "ReminderNews",
    "Watch",
    "WEEKDAYS",
    "PersonalSnooze",
    "Country",
    "Marking",
    "Status",
    "OPEN_STATUSES",
    "CLOSED_STATUSES",
    "Priority",
    "Language",
    "pick_language",
    "BilingualTitleMixin",
    "UpdateKind",
    "ReminderState",
    "ReminderKind",
    "TITLE_MAX_LENGTH",
    "KEY_HELP",
    "Source",
    "Theme",
    "Organization",
    "overdue_q",
    "local_day_end",
    "follow_up_due_q",
    "ActionItemQuerySet",
    "ActionItem",
    "StatusUpdate",
    "validate_time_zone",
    "new_calendar_token",
    "Profile",
    "ExternalIdentity",
    "Reminder",
    "ReminderItem",
    "UsedLink",
    "SweepRun",
    "MeetingStatus",
    "UPCOMING_MEETING_STATUSES",
    "Edition",
    "OutcomeKind",
    "LEAD_DAYS_MIN",
    "LEAD_DAYS_MAX",
    "Forum",
    "Meeting",
    "AgendaEntry",
    "AgendaReason",
    "Outcome",
    "ScopeKind",
    "Snapshot",
    "SnapshotReport",
    "TokenScope",
    "ApiToken",
    "Audience",
    "DeliveryState",
    "EventType",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookDelivery",
]

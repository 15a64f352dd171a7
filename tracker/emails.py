"""A reminder digest as an email, and telling a temporary SMTP failure from a final one.

A digest is three Django templates (tracker/email/digest_subject.txt, digest.txt, digest.html)
rendered in the recipient's language and time zone, built as an EmailMultiAlternatives with the
row's Message-ID. One recipient per message: Django's SMTP backend silently drops refused
recipients when only some are refused. A section lists at most SECTION_LIMIT items, worst first,
then says how many more there are with a link to the recipient's list of them.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext_lazy as _

from . import notifications
from .digest_news import news_sections
from .links import ON_TRACK, SNOOZE, DigestLinks
from .models import OPEN_STATUSES, ActionItem, Reminder, ReminderKind, Status
from .reminders.calendar import recipient_language, recipient_zone
from .reminders.policy import KIND_ORDER, MeetingNeed, pending_meeting

ERROR_MAX_LENGTH = 1000
SECTION_LIMIT = 25
SECTION_TITLES = {
    ReminderKind.OVERDUE: _("Overdue"),
    ReminderKind.DUE_SOON: _("Due soon"),
    ReminderKind.FOLLOW_UP: _("Follow-up due"),
    ReminderKind.ESCALATION: _("Escalation: overdue items of your organization"),
    ReminderKind.MEETING: _("Update before a meeting"),
    ReminderKind.REVIEW: _("Claims awaiting your review"),
}
# The sections whose items their owner acts on from the digest (snooze, still on track).
OWNER_KINDS = (
    ReminderKind.MEETING,
    ReminderKind.OVERDUE,
    ReminderKind.DUE_SOON,
    ReminderKind.FOLLOW_UP,
)


@dataclass(frozen=True)
class Entry:
    """One item of a digest as both templates show it: its status, due date and last update
    are formatted once, in the recipient's language and time zone."""

    item: ActionItem
    status: str
    due: str
    last_update: str
    open_url: str
    on_track_url: str = ""
    snooze_url: str = ""


def _entry(item: ActionItem, kind: str, links: DigestLinks, today: dt.date | None) -> Entry:
    updated = item.last_update_at
    actions = {}
    if kind in OWNER_KINDS:  # coordinators act on the item page
        actions["snooze_url"] = links.action(item_id=item.pk, action=SNOOZE)
    # An overdue or blocked item is not simply "on track": that takes a note, on the item page.
    overdue = kind == ReminderKind.OVERDUE or (today is not None and item.is_overdue(today))
    if kind in OWNER_KINDS and not overdue and item.status != Status.BLOCKED:
        actions["on_track_url"] = links.action(item_id=item.pk, action=ON_TRACK)
    return Entry(
        item=item,
        status=str(Status(item.status).label),
        due=formats.date_format(item.due_date, "DATE_FORMAT") if item.due_date else "",
        last_update=formats.date_format(timezone.localtime(updated), "DATE_FORMAT")
        if updated
        else "",
        open_url=links.item(item),
        **actions,
    )


@dataclass
class Section:
    kind: str
    title: str
    entries: list[Entry] = field(default_factory=list)
    more: int = 0
    more_url: str = ""
    agenda_url: str = ""  # a meeting's request: its agenda, where each update shows as in


def _list_query(kind: str, username: str) -> dict:
    """The items list filtered to what a section stands for, for its "and N more" link."""
    if kind == ReminderKind.ESCALATION:
        return {"overdue": "on", "sort": "due"}
    if kind == ReminderKind.REVIEW:
        return {"status": Status.IMPLEMENTATION_CLAIMED, "sort": "-updated"}
    query = {"owner": username, "status": list(OPEN_STATUSES), "sort": "due"}
    if kind == ReminderKind.OVERDUE:
        query["overdue"] = "on"
    return query


def _meeting_section(need: MeetingNeed | None, language: str) -> tuple[object, str, str]:
    """The section of a meeting's request: its key, title and "and N more" link (the agenda)."""
    if need is None:  # the meeting moved on since the claim: a section of its own still
        return ReminderKind.MEETING, str(SECTION_TITLES[ReminderKind.MEETING]), ""
    forum = need.label_ko if language == "ko" else need.label_en
    title = _("Update before the %(forum)s meeting on %(date)s") % {
        "forum": forum,
        "date": formats.date_format(need.date, "DATE_FORMAT"),
    }
    url = settings.SITE_URL + reverse("tracker:meeting_detail", args=[need.meeting_id])
    return (ReminderKind.MEETING, need.meeting_id), str(title), url


def more_url(kind: str, username: str) -> str:
    """Where a section's "and N more" leads: the recipient's own list of such items (follow-ups:
    "My items", which puts the items waiting for an update first)."""
    if kind == ReminderKind.FOLLOW_UP:
        return settings.SITE_URL + reverse("tracker:my_items")
    query = urlencode(_list_query(kind, username), doseq=True)
    return settings.SITE_URL + reverse("tracker:item_list") + "?" + query


def _section_for(built: dict, item: ActionItem, kind: str, today: dt.date | None) -> Section:
    """The section `item` goes in: its kind's, or for a meeting's request that meeting's."""
    if kind != ReminderKind.MEETING:
        return built[kind]
    need = pending_meeting(item=item, today=today) if today else None
    key, title, url = _meeting_section(need, translation.get_language() or "en")
    if key not in built:
        built[key] = Section(kind=kind, title=title, more_url=url, agenda_url=url)
    return built[key]


def _in_order(built: dict) -> list[Section]:
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    return sorted((s for s in built.values() if s.entries), key=lambda s: order[s.kind])


def sections(
    *,
    user,
    entries: list[tuple[ActionItem, str]],
    now: dt.datetime,
    today: dt.date | None = None,
) -> list[Section]:
    """The digest's sections in their order, each with at most SECTION_LIMIT entries (`entries`
    come worst first): one a kind, and one a meeting whose update is asked for (`today`, the
    digest's local day, says which). In the active language and time zone."""
    links = DigestLinks(recipient_id=user.pk, now=now)
    built: dict = {kind: Section(kind=kind, title=str(SECTION_TITLES[kind])) for kind in KIND_ORDER}
    for item, kind in entries:
        section = _section_for(built, item, kind, today)
        if len(section.entries) >= SECTION_LIMIT:
            section.more += 1
            continue
        section.entries.append(_entry(item, kind, links, today))
    shown = _in_order(built)
    for section in shown:
        if section.more and not section.more_url:
            section.more_url = more_url(section.kind, user.get_username())
    return shown


def build_digest(
    *,
    reminder: Reminder,
    entries: list[tuple[ActionItem, str]],
    now: dt.datetime,
    news: list | None = None,
) -> EmailMultiAlternatives:
    """The digest email for `reminder` holding `entries` and `news` (reminders/news.py), in its
    recipient's language and zone, with a List-Unsubscribe address that pauses their digests
    in one click (RFC 8058) and a link to their notification settings."""
    user = reminder.recipient
    language = recipient_language(user)
    unsubscribe = notifications.unsubscribe_url(user_id=user.pk)
    with translation.override(language), timezone.override(recipient_zone(user)):
        context = {
            "name": user.get_full_name() or user.get_username(),
            "count": len(entries),
            "sections": sections(user=user, entries=entries, now=now, today=reminder.local_date),
            "news_sections": news_sections(news=news or []),
            **_footer(unsubscribe),
            "language": language,
        }
        subject = render_to_string("tracker/email/digest_subject.txt", context)
        text = render_to_string("tracker/email/digest.txt", context)
        html = render_to_string("tracker/email/digest.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
        body=text,
        to=[user.email],
        headers={
            "Message-ID": reminder.message_id,
            "X-Tracker-Reminder": str(reminder.pk),
            "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation auto-replies
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",  # RFC 8058
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _footer(unsubscribe_url: str) -> dict:
    return {
        "link_days": settings.REMINDER_LINK_MAX_AGE_DAYS,
        "site_url": settings.SITE_URL,
        "settings_url": notifications.settings_url(),
        "unsubscribe_url": unsubscribe_url,
    }


@dataclass(frozen=True)
class SendFailure:
    permanent: bool
    text: str


def _decode(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def classify_failure(exc: BaseException) -> SendFailure:
    """Permanent for an SMTP 5xx answer; temporary for 4xx, timeouts, refused or lost connections.

    Anything else (a bug while rendering, say) counts as temporary: it is retried up to the
    attempt limit and its text lands in the reminder log.
    """
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        answers = list(exc.recipients.values())
        text = "; ".join(f"{code} {_decode(msg)}" for code, msg in answers)
        permanent = any(500 <= code < 600 for code, _msg in answers)
    elif isinstance(exc, smtplib.SMTPResponseException):
        text = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
        permanent = 500 <= exc.smtp_code < 600
    else:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        permanent = False
    return SendFailure(permanent=permanent, text=text[:ERROR_MAX_LENGTH])


def connection_lost(exc: BaseException) -> bool:
    """Whether the SMTP session is unusable after `exc`: a timeout, a closed or refused
    connection, or 421 (the server is closing it). After any other SMTP answer to one message
    (4xx or 5xx), smtplib has reset the session and the next message may go through it."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code == 421
    return isinstance(exc, OSError)  # smtplib's other errors, sockets, timeouts

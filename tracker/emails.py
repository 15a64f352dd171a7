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

from .links import ON_TRACK, SNOOZE, DigestLinks
from .models import OPEN_STATUSES, ActionItem, Reminder, ReminderKind, Status
from .reminders.calendar import recipient_language, recipient_zone
from .reminders.policy import KIND_ORDER

ERROR_MAX_LENGTH = 1000
SECTION_LIMIT = 25
SECTION_TITLES = {
    ReminderKind.OVERDUE: _("Overdue"),
    ReminderKind.DUE_SOON: _("Due soon"),
    ReminderKind.FOLLOW_UP: _("Follow-up due"),
    ReminderKind.ESCALATION: _("Escalation: overdue items of your organization"),
}


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


def _entry(item: ActionItem, kind: str, links: DigestLinks) -> Entry:
    updated = item.last_update_at
    actions = {}
    if kind != ReminderKind.ESCALATION:  # coordinators act on the item page
        actions["snooze_url"] = links.action(item_id=item.pk, action=SNOOZE)
    # An overdue or blocked item is not simply "on track": that takes a note, on the item page.
    if (
        kind not in (ReminderKind.ESCALATION, ReminderKind.OVERDUE)
        and item.status != Status.BLOCKED
    ):
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


def _list_query(kind: str, username: str) -> dict:
    """The items list filtered to what a section stands for, for its "and N more" link."""
    if kind == ReminderKind.ESCALATION:
        return {"overdue": "on", "sort": "due"}
    query = {"owner": username, "status": list(OPEN_STATUSES), "sort": "due"}
    if kind == ReminderKind.OVERDUE:
        query["overdue"] = "on"
    return query


def more_url(kind: str, username: str) -> str:
    """Where a section's "and N more" leads: the recipient's own list of such items (follow-ups:
    "My items", which puts the items waiting for an update first)."""
    if kind == ReminderKind.FOLLOW_UP:
        return settings.SITE_URL + reverse("tracker:my_items")
    query = urlencode(_list_query(kind, username), doseq=True)
    return settings.SITE_URL + reverse("tracker:item_list") + "?" + query


def sections(*, user, entries: list[tuple[ActionItem, str]], now: dt.datetime) -> list[Section]:
    """The digest's sections in their order, each with at most SECTION_LIMIT entries (`entries`
    come worst first). In the active language and time zone."""
    links = DigestLinks(recipient_id=user.pk, now=now)
    built = {kind: Section(kind=kind, title=str(SECTION_TITLES[kind])) for kind in KIND_ORDER}
    for item, kind in entries:
        section = built[kind]
        if len(section.entries) >= SECTION_LIMIT:
            section.more += 1
            continue
        section.entries.append(_entry(item, kind, links))
    shown = [section for section in built.values() if section.entries]
    for section in shown:
        if section.more:
            section.more_url = more_url(section.kind, user.get_username())
    return shown


def build_digest(
    *, reminder: Reminder, entries: list[tuple[ActionItem, str]], now: dt.datetime
) -> EmailMultiAlternatives:
    """The digest email for `reminder` holding `entries`, in its recipient's language and zone."""
    user = reminder.recipient
    language = recipient_language(user)
    with translation.override(language), timezone.override(recipient_zone(user)):
        context = {
            "name": user.get_full_name() or user.get_username(),
            "count": len(entries),
            "sections": sections(user=user, entries=entries, now=now),
            "link_days": settings.REMINDER_LINK_MAX_AGE_DAYS,
            "site_url": settings.SITE_URL,
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
        },
    )
    message.attach_alternative(html, "text/html")
    return message


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

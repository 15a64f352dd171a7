"""Rendering and sending one reminder digest, and telling a temporary SMTP failure from a final one.

A digest is two Jinja2 templates (text, HTML) under tracker/jinja2/tracker/email/ and a one-line
subject, in the recipient's language and time zone. One recipient per message: the SMTP backend
silently drops refused recipients when only some are refused.

Every digest of a sweep is built in the workers, so building is kept cheap: the templates are
Jinja2's, compiled to Python once per process (Django's template engine took 0.27 of the 1.4 ms a
worker spent per digest; Jinja2 renders the same bytes in a few hundredths), what is the same for
many digests (the words, the subject, each formatted day) is made once per language, and the
MIME message skips work that cannot change its bytes (see DigestEmail). Through Django's SMTP
backend a digest goes out as digest_bytes() writes it: the bytes Django would send, without
building the MIME tree for them.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import smtplib
import zoneinfo
from dataclasses import dataclass
from email.policy import Compat32
from email.utils import formatdate
from pathlib import Path
from typing import NamedTuple

import jinja2
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .links import ON_TRACK, SNOOZE, DigestLinks
from .models import ActionItem, Reminder, ReminderKind, Status

TEMPLATES = Path(__file__).resolve().parent / "jinja2" / "tracker" / "email"
ERROR_MAX_LENGTH = 1000
logger = logging.getLogger(__name__)
GROUP_TITLES = {
    ReminderKind.OVERDUE: _("Overdue"),
    ReminderKind.DUE_SOON: _("Due soon"),
    ReminderKind.FOLLOW_UP: _("Follow-up due"),
    ReminderKind.ESCALATION: _("Escalation: overdue items of your organization"),
}


# Labels by value, made once: get_status_display() rebuilds this mapping on every call.
# Words repeated for every item of a digest: the templates take them translated once per
# language (_words), not once per item (each {% translate %} costs a catalog lookup).
ENTRY_LABELS = {
    "status": _("Status"),
    "due": _("Due"),
    "no_due_date": _("no due date"),
    "last_update": _("Last update"),
    "none_yet": _("none yet"),
    "open": _("Open the item"),
    "on_track": _("Still on track"),
    "snooze": _("Snooze 7 days"),
}


class _Labels(NamedTuple):
    """ENTRY_LABELS in one language. The templates read attributes: a tuple's are found at once,
    where a dict's keys cost Jinja2 a failed attribute lookup each."""

    status: str
    due: str
    no_due_date: str
    last_update: str
    none_yet: str
    open: str
    on_track: str
    snooze: str


class _Entry(NamedTuple):
    key: str
    title: str
    status: str
    due: str
    last_update: str
    open_url: str
    on_track_url: str
    snooze_url: str


class _Group(NamedTuple):
    kind: str
    title: str
    entries: list[_Entry]


@dataclass(frozen=True)
class _Words:
    """What every digest in one language says, translated once (the sentences' msgids are those
    Django's {% blocktranslate %} wrote, so the catalogue's Korean is used as it was)."""

    labels: _Labels
    group_titles: dict[str, str]
    statuses: dict[str, str]
    hello: str  # "%(name)s" to fill
    footer: str
    tracker: str
    title: str


@functools.cache
def templates() -> jinja2.Environment:
    """The digest templates: HTML autoescaped, text as written. Their sentences come translated
    in the context (_words), so the templates call nothing per digest. Compiled once per
    process, never reloaded."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.jinja",)),
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the build, not the reader
        keep_trailing_newline=True,
        auto_reload=False,
    )


@functools.lru_cache(maxsize=8)
def _words(language: str) -> _Words:
    with translation.override(language):
        return _Words(
            labels=_Labels(**{key: str(text) for key, text in ENTRY_LABELS.items()}),
            group_titles={kind: str(title) for kind, title in GROUP_TITLES.items()},
            statuses={value: str(label) for value, label in Status.choices},
            hello=gettext("Hello %(name)s,"),
            footer=gettext(
                "Each one-click link asks you to confirm, works once and expires after "
                "%(link_days)s days."
            )
            % {"link_days": settings.REMINDER_LINK_MAX_AGE_DAYS},
            tracker=gettext("Recommendations tracker"),
            title=gettext("Reminder digest"),
        )


@functools.lru_cache(maxsize=4096)
def _day(day: dt.date, language: str) -> str:
    """A day as the recipient's language writes it (the DATE_FORMAT of `language`)."""
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


@functools.lru_cache(maxsize=256)
def _counted(count: int, language: str) -> tuple[str, str]:
    """The subject line and the opening sentence for `count` items, in `language`."""
    with translation.override(language):
        subject = ngettext(
            "[Tracker] %(counter)s action item needs your attention",
            "[Tracker] %(counter)s action items need your attention",
            count,
        )
        intro = ngettext(
            "One action item needs your attention.",
            "%(counter)s action items need your attention.",
            count,
        )
    values = {"counter": count}
    return " ".join((subject % values).split()), intro % values  # a one-line subject


def _entry(*, item, kind, urls: DigestLinks, words: _Words, language: str, zone) -> _Entry:
    owner_actions = kind != ReminderKind.ESCALATION  # coordinators act on the item page
    updated = item.last_update_at
    return _Entry(
        key=item.key,
        title=item.title,
        status=words.statuses.get(item.status, item.status),
        # Days are formatted here, once per day and language, not by a filter in each template.
        due=_day(item.due_date, language) if item.due_date else words.labels.no_due_date,
        last_update=(
            _day(timezone.localtime(updated, zone).date(), language)
            if updated
            else words.labels.none_yet
        ),
        open_url=urls.item(item),
        on_track_url=urls.action(item_id=item.pk, action=ON_TRACK) if owner_actions else "",
        snooze_url=urls.action(item_id=item.pk, action=SNOOZE) if owner_actions else "",
    )


def _groups(*, entries, recipient_id: int, now: dt.datetime, language: str, zone) -> list[_Group]:
    urls = DigestLinks(recipient_id=recipient_id, now=now)
    words = _words(language)
    groups = []
    for kind, title in words.group_titles.items():
        rows = [
            _entry(item=item, kind=k, urls=urls, words=words, language=language, zone=zone)
            for item, k in entries
            if k == kind
        ]
        if rows:
            groups.append(_Group(kind=kind, title=title, entries=rows))
    return groups


def warm_up() -> None:
    """Make now what a worker's first digest would otherwise make: the compiled templates, each
    language's catalogue and words, and the URL map (importing every view: about 80 ms, once a
    process). A fresh worker then sends its first batch as fast as its hundredth."""
    for name in ("digest.txt.jinja", "digest.html.jinja"):
        templates().get_template(name)
    for language, _name in settings.LANGUAGES:
        _words(language)
        _counted(1, language)
    DigestLinks(recipient_id=0, now=timezone.now())  # reverses each kind of digest URL


def build_digest(
    *,
    reminder: Reminder,
    entries: list[tuple[ActionItem, str]],
    zone: zoneinfo.ZoneInfo,
    language: str,
    now: dt.datetime,
) -> DigestEmail:
    """The digest as an email (text and HTML), with the row's Message-ID."""
    user = reminder.recipient
    with translation.override(language), timezone.override(zone):  # titles follow the language
        words = _words(language)
        subject, intro = _counted(len(entries), language)
        context = {
            "greeting": words.hello % {"name": user.get_full_name() or user.get_username()},
            "intro": intro,
            "words": words,
            "groups": _groups(
                entries=entries, recipient_id=user.pk, now=now, language=language, zone=zone
            ),
            "labels": words.labels,
            "site_url": settings.SITE_URL,
            "language": language,
        }
        text = templates().get_template("digest.txt.jinja").render(context)
        html = templates().get_template("digest.html.jinja").render(context)
    message = DigestEmail(
        subject=subject,
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


class _Policy(Compat32):
    """Python's compat32 policy (Django's messages use it), less one cost: a header that is ASCII
    and fits on one line is written as it is, as compat32 would write it, without building an
    email.header.Header for it. Other headers (long, or Django's encoded words) go through
    compat32 unchanged."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and value.isascii()
            and "\r" not in value
            and "\n" not in value
            and (not self.max_line_length or len(name) + 2 + len(value) <= self.max_line_length)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_POLICY = _Policy()


def _boundary(bodies) -> str:
    """A random part boundary found in none of `bodies`: 36 characters, '=' and digits."""
    while True:
        boundary = "=" * 15 + f"{secrets.randbits(63):019d}" + "=="
        if not any(boundary in body for body in bodies):
            return boundary


class DigestEmail(EmailMultiAlternatives):
    """A digest's message, built as Django builds it, with two savings that leave the bytes as
    they were: headers through _Policy, and the part boundary chosen here (random, checked
    absent from both bodies) rather than by the generator, which compiles a new regular
    expression per message to check its own."""

    def message(self):
        msg = super().message()
        msg.policy = _POLICY
        msg.set_boundary(_boundary([self.body] + [c for c, _mimetype in self.alternatives]))
        return msg


# --- The bytes on the wire ------------------------------------------------------------------------

_WIRE = _POLICY.clone(linesep="\r\n")  # what as_bytes(linesep="\r\n") folds headers with
_LONGEST_LINE = 998  # RFC 5322: Django sends a body with a longer line as quoted-printable
_PLACED_BY_DJANGO = {"from", "to", "cc", "reply-to", "date"}  # extra headers moved or replacing
_PART_HEAD = b'Content-Type: text/%s; charset="utf-8"\r\nMIME-Version: 1.0\r\n'


def _fold(name: str, value: str) -> bytes:
    """One header line as Django's message() stores it and as_bytes() writes it: encoded words
    for non-ASCII (addresses each through sanitize_address), Header-encoded subjects, folded at
    78 columns. Raises as Django does (a newline in a value: BadHeaderError)."""
    return _WIRE.fold_binary(*forbid_multi_line_headers(name, value, "utf-8"))


# Subject, From and To repeat across digests: a Korean subject costs ~40 µs to encode and fold.
_cached_fold = functools.lru_cache(maxsize=4096)(_fold)


def _header(name: str, value: str) -> bytes:
    if (
        value.isascii()
        and "\r" not in value
        and "\n" not in value
        and len(name) + 2 + len(value) <= _WIRE.max_line_length
        and name.lower() != "subject"  # Django Header-encodes even an ASCII subject
    ):
        return f"{name}: {value}\r\n".encode("ascii")  # as _Policy writes it
    return _fold(name, value)


def _wire_body(text) -> bytes | None:
    """A body as Django's utf-8 text part carries it (8bit, or 7bit when ASCII), its line ends
    as CRLF; None when Django would do otherwise: quoted-printable for a line over 998 bytes
    (bytes.splitlines splits at fewer characters than Django's str.splitlines, so a line it
    passes Django passes too), an error for text utf-8 cannot encode, no part for no text."""
    if not isinstance(text, str) or not text:
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:
        return None
    if len(data) > _LONGEST_LINE and max(map(len, data.splitlines())) > _LONGEST_LINE:
        return None
    if b"\r" in data:  # the generator ends every line, CR, LF or CRLF, with CRLF
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.replace(b"\n", b"\r\n")


def _part(subtype: bytes, body: bytes) -> bytes:
    encoding = b"7bit" if body.isascii() else b"8bit"
    return b"%sContent-Transfer-Encoding: %s\r\n\r\n%s" % (_PART_HEAD % subtype, encoding, body)


def _common_case(message: DigestEmail) -> bool:
    """Whether the message has only what digest_bytes writes itself: a digest as build_digest
    makes it (plain text and one HTML alternative, utf-8, To and a Message-ID, no attachments)."""
    names = {name.lower() for name in message.extra_headers}
    alternatives = message.alternatives
    return (
        type(message) is DigestEmail
        and (message.encoding or settings.DEFAULT_CHARSET) == "utf-8"
        and message.content_subtype == "plain"
        and message.alternative_subtype == "alternative"
        and len(alternatives) == 1
        and alternatives[0][1] == "text/html"
        and not message.attachments
        and bool(message.to)
        and not message.cc
        and not message.reply_to
        and "message-id" in names
        and not names & _PLACED_BY_DJANGO
    )


def digest_bytes(message: DigestEmail) -> bytes:
    """What Django's SMTP backend sends for `message` (message().as_bytes(linesep="\r\n")), the
    same bytes for the same boundary and Date, written here for a digest without the MIME tree,
    its header objects and its generator (~0.2 ms a digest). Anything else (attachments, other
    headers, a body line over 998 bytes) goes through Django itself.

    Header order as Django's message(): Content-Type, MIME-Version, Subject, From, To, Date, then
    the extra headers in their order; each part: Content-Type, MIME-Version,
    Content-Transfer-Encoding.
    """
    if not _common_case(message):
        return message.message().as_bytes(linesep="\r\n")
    html = message.alternatives[0][0]
    text_bytes, html_bytes = _wire_body(message.body), _wire_body(html)
    if text_bytes is None or html_bytes is None:
        return message.message().as_bytes(linesep="\r\n")
    # Raising as Django would means computing in its order: Subject, From, To, the others.
    lines = [
        _cached_fold("Subject", str(message.subject)),
        _cached_fold("From", str(message.from_email)),
        _cached_fold("To", ", ".join(str(address) for address in message.to)),
        b"Date: %s\r\n" % formatdate(localtime=settings.EMAIL_USE_LOCALTIME).encode(),
    ]
    lines += [_header(name, str(value)) for name, value in message.extra_headers.items()]
    boundary = _boundary([message.body, html]).encode()
    # Its 36 characters fit on the continuation line: the header folds once, at the ';'.
    head = b'Content-Type: multipart/alternative;\r\n boundary="%s"\r\nMIME-Version: 1.0\r\n' % (
        boundary
    )
    delimiter = b"\r\n--%s\r\n" % boundary
    return b"".join(
        (
            head,
            *lines,
            delimiter,  # the blank line ending the headers, then the first delimiter
            _part(b"plain", text_bytes),
            delimiter,
            _part(b"html", html_bytes),
            b"\r\n--%s--\r\n" % boundary,
        )
    )


def open_connection():
    """One connection to the configured backend for a batch of messages; raises if it cannot."""
    connection = get_connection(fail_silently=False)
    connection.open()
    return connection


def close_connection(connection) -> None:
    """Say goodbye; a server that is already gone, or never answers, changes nothing."""
    try:
        connection.close()
    except (OSError, smtplib.SMTPException) as exc:  # SMTPException: an odd QUIT answer
        logger.info("Closing the SMTP connection failed: %r", exc)


def send(message: EmailMultiAlternatives, *, connection=None) -> None:
    """Hand the message to the backend (through `connection` if given, else a new one); raises on
    any failure (EMAIL_TIMEOUT bound). A digest through Django's own SMTP backend goes out as
    digest_bytes() writes it (see _send_smtp); any other backend gets send_messages()."""
    if connection is None:
        message.send(fail_silently=False)
    elif (
        type(connection) is SmtpBackend  # a subclass may send otherwise
        and isinstance(message, DigestEmail)
        and not connection.fail_silently
    ):
        _send_smtp(connection, message)
    else:
        connection.send_messages([message])


@functools.lru_cache(maxsize=4096)
def _envelope_address(address, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _send_smtp(backend: SmtpBackend, message: DigestEmail) -> None:
    """What backend.send_messages([message]) does, less its cost per message: the envelope
    addresses come from a cache and the bytes from digest_bytes. As there: the connection is
    opened if it is not (and closed after), nothing is sent without recipients, and smtplib's
    exceptions (SMTPRecipientsRefused, SMTPResponseException, OSError) reach the caller."""
    opened = backend.open()
    try:
        if not message.recipients():
            return
        encoding = message.encoding or settings.DEFAULT_CHARSET
        backend.connection.sendmail(
            _envelope_address(message.from_email, encoding),
            [_envelope_address(address, encoding) for address in message.recipients()],
            digest_bytes(message),
        )
    finally:
        if opened:
            backend.close()


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

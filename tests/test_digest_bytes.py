"""digest_bytes: the very bytes Django's SMTP backend would send for a digest, and the SMTP path
that sends them. Compared with Django's own bytes for the same boundary and Date."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from email.generator import Generator
from unittest import mock

import django.core.mail.message
import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.support.smtp import SmtpSink
from tests.test_delivery import use_smtp
from tracker import delivery, emails, reminders, roles
from tracker.models import ActionItem, Reminder, ReminderKind, Status

NOW = dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC)  # Monday, 09:30 in New York
BOUNDARY = "=" * 15 + "1234567890123456789" + "=="  # the shape emails._boundary makes
DATE = "Mon, 07 Dec 2026 14:30:00 -0000"
MANY = hypothesis_settings(max_examples=150, deadline=None)


@contextlib.contextmanager
def fixed_boundary_and_date():
    def date(localtime=False):
        return DATE

    with (
        mock.patch.object(emails, "_boundary", lambda bodies: BOUNDARY),
        mock.patch.object(emails, "formatdate", date),
        mock.patch.object(django.core.mail.message, "formatdate", date),
        # With attachments the alternatives nest, and the generator picks their boundary.
        mock.patch.object(Generator, "_make_boundary", classmethod(lambda cls, text=None: "in")),
    ):
        yield


def written(write, message):
    """The bytes, or the error they raised instead (both paths must raise alike)."""
    try:
        return write(message)
    except Exception as exc:
        return type(exc), str(exc)


def djangos(message) -> bytes:
    return message.message().as_bytes(linesep="\r\n")


def assert_same_bytes(message) -> None:
    with fixed_boundary_and_date():
        assert written(emails.digest_bytes, message) == written(djangos, message)


# Names, titles and addresses: ASCII, Korean, quotes and markup characters; a few long enough
# for a body line over 998 bytes (quoted-printable) or a header folded over several lines.
LETTERS = st.sampled_from(list("aZ09 .,-_'\"<>&;:()") + ["추", "적", "기", "\u00e9", "\t"])
short = st.text(LETTERS, max_size=30)
long = st.builds(
    lambda piece, n: piece * n, st.text(LETTERS, min_size=1, max_size=4), st.integers(1, 400)
)
texts = st.one_of(short, short, long)
addresses = st.one_of(
    st.emails(),
    st.builds(
        "{}@{}".format,
        st.text(st.sampled_from(list("ab.+_'\"") + ["철", "수"]), min_size=1, max_size=12),
        st.sampled_from(["example.org", "예시.kr", "a" * 70 + ".example.org"]),
    ),
)


@st.composite
def digests(draw) -> emails.DigestEmail:
    titles = draw(st.sampled_from([short, texts]))  # one long title sends a digest another way
    user = get_user_model()(
        pk=7, username="owner", first_name=draw(texts), last_name=draw(short), email=draw(addresses)
    )
    reminder = Reminder(
        pk=draw(st.integers(1, 10**12)),
        recipient=user,
        local_date=dt.date(2026, 12, 7),
        message_id=draw(st.sampled_from(["<reminder.1.2@localhost>", f"<{'m' * 90}@localhost>"])),
    )
    entries = [
        (
            ActionItem(
                pk=index + 1,
                key=f"item-{index}",
                title_en=draw(titles),
                title_ko=draw(titles),
                status=draw(st.sampled_from(Status.values)),
                due_date=draw(st.none() | st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))),
                last_update_at=draw(st.none() | st.just(NOW - dt.timedelta(days=3))),
            ),
            draw(st.sampled_from(ReminderKind.values)),
        )
        for index in range(draw(st.integers(1, 40)))
    ]
    return emails.build_digest(
        reminder=reminder,
        entries=entries,
        zone=zoneinfo.ZoneInfo(draw(st.sampled_from(["America/New_York", "Asia/Seoul"]))),
        language=draw(st.sampled_from(["en", "ko"])),
        now=NOW,
    )


@MANY
@given(digests())
def test_a_built_digest_is_sent_as_django_would_send_it(message):
    assert_same_bytes(message)


@st.composite
def odd_messages(draw) -> emails.DigestEmail:
    """What build_digest never makes: long or multi-line subjects and headers, named or several
    recipients, line ends of every kind, empty bodies, attachments."""
    body = st.one_of(texts, st.text(max_size=60), st.sampled_from(["", "a\r\nb\rc\n", "x\r"]))
    message = emails.DigestEmail(
        subject=draw(st.one_of(texts, st.text(max_size=100))),
        body=draw(body),
        to=draw(
            st.lists(addresses | st.just('"Kim, 철수" <kim@example.org>'), min_size=1, max_size=2)
        ),
        headers={
            "Message-ID": draw(st.sampled_from(["<a@b>", f"<{'m' * 90}@b>", "<철@b>"])),
            "X-Tracker-Reminder": draw(st.integers(0, 10**80).map(str) | short),
            **draw(st.sampled_from([{}] * 4 + [{"Date": DATE}, {"Reply-To": "r@example.org"}])),
        },
    )
    message.attach_alternative(draw(body), "text/html")
    if draw(st.sampled_from([False] * 5 + [True])):
        message.attach("notes.txt", "notes", "text/plain")
    return message


@MANY
@given(odd_messages())
def test_any_digest_email_is_sent_as_django_would_send_it(message):
    assert_same_bytes(message)


def ordinary(language: str, title: str) -> emails.DigestEmail:
    user = get_user_model()(pk=7, username="kim", first_name="Kim", email="kim@example.org")
    item = ActionItem(pk=1, key="late", title_en=title, title_ko=title, status=Status.BLOCKED)
    reminder = Reminder(pk=1, recipient=user, local_date=dt.date(2026, 12, 7), message_id="<a@b>")
    return emails.build_digest(
        reminder=reminder,
        entries=[(item, ReminderKind.OVERDUE)],
        zone=zoneinfo.ZoneInfo("Asia/Seoul"),
        language=language,
        now=NOW,
    )


@pytest.mark.parametrize(("language", "title"), [("en", "R&D <fast> track"), ("ko", "추적 항목")])
def test_an_ordinary_digest_is_written_without_djangos_mime_tree(language, title):
    # Otherwise the comparisons above would hold trivially, and the saving would be gone.
    message = ordinary(language, title)
    expected = written(djangos, message)
    with mock.patch.object(emails.DigestEmail, "message", side_effect=AssertionError):
        sent = emails.digest_bytes(message)
    assert sent.startswith(b"Content-Type: multipart/alternative;") and len(sent) == len(expected)


@pytest.fixture
def korean_row(user_factory, item_factory) -> Reminder:
    owner = user_factory("kim", role=roles.OWNERS, language="ko", time_zone="America/New_York")
    item_factory("late", owner=owner, due_date=dt.date(2026, 12, 4), title_ko='"긴급" <R&D>')
    return reminders.sweep(now=NOW, enqueue=False).claimed[0]


def test_the_smtp_path_delivers_the_message_the_locmem_path_would(settings, korean_row):
    def not_this_way(self, messages):
        raise AssertionError("a digest through the SMTP backend goes out as digest_bytes")

    with SmtpSink() as sink, fixed_boundary_and_date():
        use_smtp(settings, sink.port)
        with mock.patch.object(SmtpBackend, "send_messages", not_this_way):
            assert delivery.deliver(reminder_id=korean_row.pk, now=NOW).state == "sent"
        sink.wait_for(1)
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        Reminder.objects.filter(pk=korean_row.pk).update(state="pending", sent_at=None)
        assert delivery.deliver(reminder_id=korean_row.pk, now=NOW).state == "sent"
        (kept,) = mail.outbox
        assert sink.raw == [djangos(kept)]
    assert sink.envelopes == [("tracker@localhost", ["kim@example.org"])]
    assert sink.messages[0]["Subject"].strip().startswith("[추적기]")


def test_a_digest_without_recipients_is_not_sent_and_not_an_error(settings):
    message = emails.DigestEmail(subject="s", body="b", to=[""], headers={"Message-ID": "<a@b>"})
    message.attach_alternative("<p>b</p>", "text/html")
    with SmtpSink() as sink:
        use_smtp(settings, sink.port)
        connection = emails.open_connection()
        emails.send(message, connection=connection)
        emails.close_connection(connection)
    assert sink.messages == []

"""The digest email: groups, fields and links, in the recipient's language and time zone."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import smtplib
import zoneinfo
from html.parser import HTMLParser

import pytest

from tracker import emails, links, roles
from tracker.models import Reminder, ReminderKind, Status
from tracker.reminders.sweep import new_message_id

NOW = dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC)
LOCAL_DAY = dt.date(2026, 12, 7)


@pytest.fixture
def en_owner(user_factory):
    return user_factory("en-owner", role=roles.OWNERS, time_zone="America/New_York")


@pytest.fixture
def ko_owner(user_factory):
    return user_factory(
        "ko-owner", role=roles.OWNERS, country="KR", time_zone="Asia/Seoul", language="ko"
    )


@pytest.fixture
def entries(item_factory):
    updated = dt.datetime(2026, 12, 6, 20, 0, tzinfo=dt.UTC)  # 6 Dec in New York, 7 Dec in Seoul
    return [
        (item_factory("late", due_date=dt.date(2026, 12, 1), last_update_at=updated),
         ReminderKind.OVERDUE),
        (item_factory("soon", due_date=dt.date(2026, 12, 14), status=Status.BLOCKED),
         ReminderKind.DUE_SOON),
        (item_factory("check", due_date=None), ReminderKind.FOLLOW_UP),
        (item_factory("others", due_date=dt.date(2026, 11, 1)), ReminderKind.ESCALATION),
    ]  # fmt: skip


def digest(user, entries):
    reminder = Reminder.objects.create(
        recipient=user, local_date=LOCAL_DAY, created_at=NOW, message_id=new_message_id()
    )
    message = emails.build_digest(reminder=reminder, entries=entries, now=NOW)
    return reminder, message, message.alternatives[0][0]


def test_an_english_digest_groups_items_and_shows_status_due_date_and_last_update(
    en_owner, entries
):
    reminder, message, _html = digest(en_owner, entries)
    assert message.subject == "[Tracker] 4 action items need your attention"
    assert message.to == ["en-owner@example.org"]
    text = message.body
    headings = ["== Overdue ==", "== Due soon ==", "== Follow-up due ==", "== Escalation"]
    positions = [text.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Title of late [late]" in text and "Status: Blocked" in text
    assert "Due: Dec. 1, 2026" in text and "Due: no due date" in text
    assert "Last update: Dec. 6, 2026" in text and "Last update: none yet" in text
    assert message.extra_headers["Message-ID"] == reminder.message_id


def test_a_korean_digest_is_in_korean_with_dates_in_seoul(ko_owner, entries):
    _reminder, message, html = digest(ko_owner, entries)
    assert message.subject == "[추적기] 확인이 필요한 조치 항목 4건"
    assert "기한 경과" in message.body and "late 제목" in message.body
    assert "상태: 중단됨" in message.body
    assert "최근 갱신: 2026년 12월 7일" in message.body  # 20:00 UTC is the next day in Seoul
    assert '<html lang="ko">' in html and "7일간 알림 미루기" in html


@pytest.mark.parametrize("who", ["en_owner", "ko_owner"])
def test_the_wire_message_reads_back_as_built(who, request, entries):
    # What a mail client parses from the bytes sent: the subject (Korean as encoded words), the
    # identifying headers and both bodies, each whole, inside their boundary.
    reminder, message, html = digest(request.getfixturevalue(who), entries)
    sent = message.message().as_bytes(linesep="\r\n")
    header_lines = sent.split(b"\r\n\r\n")[0].split(b"\r\n")
    # A URL cannot be folded: the List-Unsubscribe address may pass 78 (never RFC 5322's 998).
    long = [line for line in header_lines if len(line) > 78]
    assert all(b"/u/" in line and len(line) <= 998 for line in long)
    read = email.message_from_bytes(sent, policy=email.policy.default)
    # (A subject in encoded words starts on a folded line, so reads back after one space.)
    assert read["Subject"].strip() == message.subject and read["To"] == message.to[0]
    assert read["Message-ID"] == reminder.message_id
    assert read["X-Tracker-Reminder"] == str(reminder.pk)
    assert read["Auto-Submitted"] == "auto-generated" and read["Date"]
    assert read["List-Unsubscribe"].strip() == message.extra_headers["List-Unsubscribe"]
    assert read["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read.get_content_type() == "multipart/alternative"
    text, markup = read.get_payload()
    bodies = [part.get_content().replace("\r\n", "\n") for part in (text, markup)]
    assert bodies == [message.body, html]
    assert (text.get_content_type(), markup.get_content_type()) == ("text/plain", "text/html")


class TagChecker(HTMLParser):
    VOID = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def test_the_html_part_is_well_formed_without_script_and_links_each_item(en_owner, entries):
    _reminder, _message, html = digest(en_owner, entries)
    checker = TagChecker()
    checker.feed(html)
    assert checker.errors == [] and checker.stack == []
    assert html.startswith("<!doctype html>") and "script" not in checker.tags
    items = [h for h in checker.hrefs if "/items/" in h]
    actions = [h for h in checker.hrefs if "/r/" in h]
    assert len(items) == 4
    # Snooze for the three owner items; "still on track" only for the one neither overdue nor
    # blocked; nothing for the escalation copy (coordinators act on the item page).
    assert len(actions) == 4


def test_one_click_links_are_bound_to_the_recipient_and_the_item(en_owner, entries):
    _reminder, message, _html = digest(en_owner, entries)
    urls = [w for w in message.body.split() if "/r/" in w]
    token = urls[0].rstrip("/").rsplit("/", 1)[1]
    link = links.read_link(token=token, now=NOW)
    assert link.recipient == en_owner and link.item.key == "late"
    assert link.action == links.SNOOZE


def test_an_overdue_or_blocked_item_offers_no_still_on_track_link(en_owner, entries):
    _reminder, message, _html = digest(en_owner, entries)
    tokens = [w.rstrip("/").rsplit("/", 1)[1] for w in message.body.split() if "/r/" in w]
    offered = {(link.item.key, link.action) for link in map(read, tokens)}
    assert offered == {
        ("late", links.SNOOZE),  # overdue
        ("soon", links.SNOOZE),  # blocked
        ("check", links.SNOOZE),
        ("check", links.ON_TRACK),
    }


def read(token):
    return links.read_link(token=token, now=NOW)


def test_titles_are_escaped_in_html_and_plain_in_text(en_owner, item_factory):
    item = item_factory("amp", title_en="R&D <fast> track")
    _reminder, message, html = digest(en_owner, [(item, ReminderKind.FOLLOW_UP)])
    assert "R&D <fast> track" in message.body
    assert "R&amp;D &lt;fast&gt; track" in html


def test_a_one_item_digest_says_so_in_the_singular(en_owner, item_factory):
    _reminder, message, html = digest(en_owner, [(item_factory(), ReminderKind.FOLLOW_UP)])
    assert message.subject == "[Tracker] 1 action item needs your attention"
    assert "One action item needs your attention." in message.body
    assert "One action item needs your attention." in html


def test_a_name_with_markup_is_escaped_in_the_html_greeting_only(user_factory, entries):
    user = user_factory("quoted", role=roles.OWNERS)
    user.first_name, user.last_name = 'Kim "K" <b>', "O'Neil"
    user.save()
    _reminder, message, html = digest(user, entries)
    assert 'Hello Kim "K" <b> O\'Neil,' in message.body
    assert "Hello Kim &quot;K&quot; &lt;b&gt; O&#x27;Neil," in html


def test_every_sentence_of_a_korean_digest_is_korean(ko_owner, entries):
    _reminder, message, html = digest(ko_owner, entries)
    for text in (message.body, html):
        assert "님, 안녕하십니까." in text
        assert "확인이 필요한 조치 항목이 4건 있습니다." in text
        assert "원클릭 링크는 확인을 거쳐 한 번만 작동하며 14일 후 만료됩니다." in text
        assert "권고사항 이행 추적기" in text
        for english in ("Hello", "need your attention", "one-click", "Recommendations tracker"):
            assert english not in text
    assert "<title>알림 요약</title>" in html


@pytest.mark.parametrize(
    ("error", "permanent", "text"),
    [
        (smtplib.SMTPDataError(451, b"4.3.0 try later"), False, "451 4.3.0 try later"),
        (smtplib.SMTPDataError(554, b"5.6.0 rejected"), True, "554 5.6.0 rejected"),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"no such user")}), True, "550 no such"),
        (smtplib.SMTPRecipientsRefused({"a@x": (452, b"mailbox full")}), False, "452 mailbox"),
        (smtplib.SMTPServerDisconnected("gone"), False, "SMTPServerDisconnected: gone"),
        (TimeoutError("timed out"), False, "TimeoutError: timed out"),
        (ConnectionRefusedError(111, "refused"), False, "ConnectionRefusedError"),
    ],
)
def test_smtp_failures_are_told_apart(error, permanent, text):
    failure = emails.classify_failure(error)
    assert failure.permanent is permanent and failure.text.startswith(text)


def test_dates_use_the_recipients_zone_not_the_servers(en_owner, ko_owner, item_factory):
    item = item_factory(last_update_at=dt.datetime(2026, 12, 6, 23, 30, tzinfo=dt.UTC))
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert item.last_update_at.astimezone(ny).day == 6
    _r1, en_message, _h1 = digest(en_owner, [(item, ReminderKind.FOLLOW_UP)])
    Reminder.objects.all().delete()
    _r2, ko_message, _h2 = digest(ko_owner, [(item, ReminderKind.FOLLOW_UP)])
    assert "Last update: Dec. 6, 2026" in en_message.body
    assert "최근 갱신: 2026년 12월 7일" in ko_message.body

"""Sending a claimed digest through a real SMTP server (aiosmtpd) in this process.

The same faults through a real Celery worker are in test_reminders_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from email import message_from_string
from email.policy import default

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from tests.support.db import restore_role_groups
from tests.support.reminders import NY_MON_MORNING, at, claim_one, day, deliver, swept
from tests.support.smtp import SilentSmtp, SmtpSink, free_port
from tracker import delivery, emails, roles
from tracker.models import Marking, Reminder, ReminderItem, Status

NOW = dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC)  # Monday, 09:30 in New York


def use_smtp(settings, port: int, timeout: int = 5) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = timeout


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        use_smtp(settings, server.port)
        yield server


@pytest.fixture
def owner(user_factory):
    return user_factory("ny-owner", role=roles.OWNERS, time_zone="America/New_York")


@pytest.fixture
def row(user_factory, item_factory) -> Reminder:
    owner = user_factory("owner", role=roles.OWNERS, time_zone="America/New_York")
    item_factory("late", owner=owner, due_date=dt.date(2026, 12, 4))
    return swept(NOW)[0]


def send(row, seconds=0):
    outcome = deliver(row.pk, NOW + dt.timedelta(seconds=seconds))
    row.refresh_from_db()
    return outcome


def test_a_digest_reaches_the_smtp_server_once_with_its_message_id(sink, row):
    assert send(row).state == "sent"
    (message,) = sink.wait_for(1)
    assert message["To"] == "owner@example.org" and message["Message-ID"] == row.message_id
    assert sink.envelopes == [("tracker@localhost", ["owner@example.org"])]
    assert row.state == "sent" and row.sent_at is not None and row.attempts == 1
    assert (
        message.get_body(("html",)) is not None
        and "late" in message.get_body(("plain",)).get_content()
    )


def test_a_451_is_retried_and_then_delivered_once(sink, row):
    sink.reply_next("DATA", "451 4.3.0 Try again later")
    first = send(row)
    assert first.state == "pending" and first.retry_in is not None and first.retry_in > 0
    assert (row.state, row.attempts, row.claimed_at) == ("pending", 1, None)
    assert row.last_error.startswith("451") and sink.messages == []
    assert send(row, seconds=10).state == "sent"
    assert row.attempts == 2 and len(sink.wait_for(1)) == 1


def test_a_550_fails_the_row_at_once_with_the_servers_answer(sink, row):
    sink.reply_next("RCPT", "550 5.1.1 No such user here")
    outcome = send(row)
    assert outcome.state == "failed" and outcome.retry_in is None
    assert (row.state, row.attempts) == ("failed", 1)
    assert row.last_error == "550 5.1.1 No such user here"
    assert send(row).state == "failed" and row.attempts == 1 and sink.messages == []


def test_a_server_that_never_answers_fails_within_the_email_timeout(settings, row):
    with SilentSmtp() as silent:
        use_smtp(settings, silent.port, timeout=1)
        started = time.monotonic()
        outcome = send(row)
        elapsed = time.monotonic() - started
    assert outcome.state == "pending" and outcome.retry_in is not None
    assert elapsed < 5 and "timed out" in row.last_error


def test_a_refused_connection_is_temporary(settings, row):
    use_smtp(settings, free_port())
    outcome = send(row)
    assert outcome.state == "pending" and "ConnectionRefused" in row.last_error


def test_temporary_failures_give_up_after_the_attempt_limit(sink, row):
    Reminder.objects.filter(pk=row.pk).update(give_up_after=2)
    sink.reply_next("DATA", "421 4.3.2 Shutting down", "452 4.3.1 Out of space")
    assert send(row).state == "pending"
    final = send(row, seconds=30)
    assert final.state == "failed" and final.retry_in is None
    assert "gave up after 2 attempts" in row.last_error and row.last_error.startswith("452")


# --- Batches: one connection for many digests -------------------------------------------------


@pytest.fixture
def rows(user_factory, item_factory) -> list[Reminder]:
    """Five owners' digests, in the order a batch sends them (by id)."""
    for n in range(5):
        owner = user_factory(f"owner{n}", role=roles.OWNERS, time_zone="America/New_York")
        item_factory(f"late{n}", owner=owner, due_date=dt.date(2026, 12, 4))
    return swept(NOW)


def send_batch(rows, seconds=0):
    batch = delivery.deliver_batch(
        reminder_ids=[r.pk for r in rows], now=NOW + dt.timedelta(seconds=seconds)
    )
    for row in rows:
        row.refresh_from_db()
    return batch


def address(row) -> str:
    return row.recipient.email


def test_a_batch_goes_through_one_connection_and_marks_each_digest_sent(sink, rows):
    batch = send_batch(rows)
    assert batch.counts() == {"sent": 5} and batch.retry_ids == []
    assert sorted(sink.message_ids().items()) == sorted((r.message_id, 1) for r in rows)
    assert len(set(sink.peers)) == 1
    assert [r.state for r in rows] == ["sent"] * 5 and {r.attempts for r in rows} == {1}
    assert send_batch(rows).counts() == {"sent": 5} and len(sink.messages) == 5


def test_refusals_and_a_dropped_connection_mid_batch_lose_nothing_and_send_nothing_twice(
    sink, rows
):
    ok, refused, busy, dropped, untried = rows
    sink.refuse(address(refused), "550 5.1.1 User unknown")
    sink.refuse(address(busy), "450 4.2.1 Mailbox busy")
    sink.drop_data(nth=2)  # ok's DATA is the first; the refused ones never reach DATA
    batch = send_batch(rows)

    assert [m["Message-ID"] for m in sink.messages] == [ok.message_id]
    assert (ok.state, ok.attempts) == ("sent", 1)
    assert (refused.state, refused.attempts, refused.last_error) == (
        "failed",
        1,
        "550 5.1.1 User unknown",
    )
    assert (busy.state, busy.attempts, busy.last_error) == ("pending", 1, "450 4.2.1 Mailbox busy")
    assert (dropped.state, dropped.attempts) == ("pending", 1)
    assert "Disconnected" in dropped.last_error
    assert (untried.state, untried.attempts, untried.claimed_at) == ("pending", 0, None)
    assert untried.next_attempt_at > NOW  # backoff, like the row that lost the connection
    assert sorted(batch.retry_ids) == sorted([busy.pk, dropped.pk, untried.pk])

    sink.accept(address(busy))
    again = send_batch(rows, seconds=30)  # the same task again, once the backoff has passed
    assert again.counts() == {"sent": 4, "failed": 1} and again.retry_ids == []
    assert sorted(sink.message_ids().items()) == sorted(
        (r.message_id, 1) for r in (ok, busy, dropped, untried)
    )
    assert (busy.attempts, dropped.attempts, untried.attempts) == (2, 2, 1)
    assert send_batch(rows, seconds=60).retry_ids == [] and len(sink.messages) == 4


def test_a_batch_out_of_time_gives_the_rest_back_untouched(sink, rows, settings):
    settings.REMINDER_BATCH_SECONDS = 0  # the first message always goes: the batch progresses
    batch = send_batch(rows)
    assert [r.state for r in rows] == ["sent"] + ["pending"] * 4
    assert [r.attempts for r in rows] == [1, 0, 0, 0, 0]
    assert batch.retry_ids == [r.pk for r in rows[1:]] and batch.retry_in == 0
    assert len(sink.messages) == 1


def test_a_batch_skips_digests_with_nothing_left_without_connecting(settings, rows):
    use_smtp(settings, free_port())  # nothing listens: any connection would fail
    for row in rows:
        row.recipient.is_active = False
        row.recipient.save()
    assert send_batch(rows).counts() == {"skipped": 5}
    assert {r.last_error for r in rows} == {"The recipient's account is inactive."}


def test_a_batch_costs_one_statement_a_digest_beyond_a_constant(sink, rows, user_factory):
    # Co-owners and an item hidden since the claim: the rules read them for every digest.
    rows[0].entries.get().item.co_owners.add(user_factory("helper", role=roles.OWNERS))
    with CaptureQueriesContext(connection) as one:
        delivery.deliver_batch(reminder_ids=[rows[0].pk], now=NOW)
    with CaptureQueriesContext(connection) as four:
        delivery.deliver_batch(reminder_ids=[r.pk for r in rows[1:]], now=NOW)
    assert len(four) - len(one) == 3  # the one "sent" mark of each further digest
    assert len(sink.messages) == 5
    assert set(Reminder.objects.values_list("state", flat=True)) == {"sent"}


def test_co_owners_are_read_at_sending_time(sink, user_factory, item_factory):
    """A co-owner added since the claim keeps the item; one removed since gets nothing."""
    lead = user_factory("lead", role=roles.OWNERS, time_zone="America/New_York")
    kept = user_factory("kept", role=roles.OWNERS, time_zone="America/New_York")
    dropped = user_factory("dropped", role=roles.OWNERS, time_zone="America/New_York")
    item = item_factory(
        "shared", owner=lead, co_owners=[kept, dropped], due_date=dt.date(2026, 12, 4)
    )
    claimed = {r.recipient.username: r for r in swept(NOW)}
    item.co_owners.remove(dropped)
    send_batch(list(claimed.values()))
    assert claimed["kept"].state == "sent" and claimed["lead"].state == "sent"
    assert claimed["dropped"].state == "skipped"
    assert sorted(to for _sender, (to,) in sink.envelopes) == [kept.email, lead.email]


def test_a_digest_that_cannot_be_built_is_retried_and_the_batch_goes_on(sink, rows, monkeypatch):
    broken = rows[2]
    real = emails.build_digest

    def build(*, reminder, entries, now, **more):
        if reminder.pk == broken.pk:
            raise ValueError("a template bug")
        return real(reminder=reminder, entries=entries, now=now)

    monkeypatch.setattr(emails, "build_digest", build)
    batch = send_batch(rows)
    assert batch.counts() == {"sent": 4, "pending": 1} and batch.retry_ids == [broken.pk]
    assert (broken.state, broken.last_error) == ("pending", "ValueError: a template bug")
    assert sorted(sink.message_ids()) == sorted(r.message_id for r in rows if r != broken)


@pytest.fixture
def role_groups(transactional_db):
    restore_role_groups()  # a transactional test starts from an emptied database


def test_each_digest_is_marked_sent_before_the_next_one_reaches_the_server(
    role_groups, sink, rows, monkeypatch
):
    """At most one accepted digest is ever unmarked: seen from the server, through its own
    database connection, each earlier digest is already marked sent when the next DATA comes."""
    ids = [r.pk for r in rows]
    unmarked_at_data: list[int] = []
    real_reply = sink._data_reply

    def count_unmarked():
        # A thread of its own has its own database connection: it sees only what is committed.
        unmarked_at_data.append(Reminder.objects.filter(pk__in=ids, state="pending").count())
        connection.close()

    def data_reply():
        watcher = threading.Thread(target=count_unmarked)
        watcher.start()
        watcher.join()
        return real_reply()

    monkeypatch.setattr(sink, "_data_reply", data_reply)
    batch = delivery.deliver_batch(reminder_ids=ids, now=NOW)
    assert batch.counts() == {"sent": 5}
    assert unmarked_at_data == [5, 4, 3, 2, 1]
    assert set(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}


def test_a_mark_that_fails_stops_the_batch_and_the_row_is_sent_again_later(sink, rows, monkeypatch):
    def failing_mark(reminder, dropped, sent_at):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(delivery, "_mark_sent", failing_mark)
    with pytest.raises(DatabaseError):
        delivery.deliver_batch(reminder_ids=[r.pk for r in rows], now=NOW)
    assert len(sink.messages) == 1  # no further digest after the failed mark
    # Still pending: the sweep hands it out again after the pending timeout (the one duplicate
    # this design allows, with the same Message-ID).
    assert Reminder.objects.filter(pk=rows[0].pk, state="pending").exists()


def test_a_sender_refused_at_mail_from_is_told_apart_and_the_batch_goes_on(sink, rows):
    first, second, *rest = rows
    sink.reply_next("MAIL", "451 4.3.2 Try later", "553 5.7.1 Sender not allowed")
    batch = send_batch(rows)
    assert (first.state, first.last_error) == ("pending", "451 4.3.2 Try later")
    assert (second.state, second.last_error) == ("failed", "553 5.7.1 Sender not allowed")
    assert [r.state for r in rest] == ["sent"] * 3  # the session was reset after each refusal
    assert batch.retry_ids == [first.pk] and len(sink.messages) == 3


# --- What a digest holds when it is sent (Django's test outbox; the SMTP path is above) ----------


def test_deliver_sends_one_digest_and_marks_the_row_sent_with_its_message_id(item_factory, owner):
    item_factory("late", owner=owner, due_date=day(-1))
    row = claim_one()
    outcome = deliver(row.pk, NY_MON_MORNING + dt.timedelta(seconds=5))
    row.refresh_from_db()
    assert outcome.state == "sent" and row.state == "sent" and row.attempts == 1
    sent_after = row.sent_at - (NY_MON_MORNING + dt.timedelta(seconds=5))
    assert dt.timedelta(0) <= sent_after < dt.timedelta(seconds=30)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ny-owner@example.org"]
    assert mail.outbox[0].extra_headers["Message-ID"] == row.message_id
    assert deliver(row.pk, NY_MON_MORNING).state == "sent"
    assert len(mail.outbox) == 1  # running it twice sends once


def test_deliver_rebuilds_from_current_data(item_factory, owner, user_factory):
    from tracker import workflow

    closed = item_factory("closing", owner=owner, due_date=day(-1))
    hidden = item_factory("hidden", owner=owner, due_date=day(-1))
    item_factory("still-open", owner=owner, due_date=day(-1))
    row = claim_one()
    workflow.change_status(
        item=closed, to=Status.SUPERSEDED, by=None, note="done", now=NY_MON_MORNING
    )
    hidden.marking = Marking.US_ONLY
    hidden.save()
    deliver(row.pk, NY_MON_MORNING)
    body = mail.outbox[0].body
    assert "still-open" in body and "closing" not in body and "hidden" not in body
    assert list(ReminderItem.objects.values_list("item__key", flat=True)) == ["still-open"]


def test_a_digest_with_nothing_left_is_skipped_not_sent(item_factory, owner):
    from tracker import workflow

    item = item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    workflow.change_status(item=item, to=Status.SUPERSEDED, by=None, note="x", now=NY_MON_MORNING)
    assert deliver(row.pk, NY_MON_MORNING).state == "skipped"
    assert mail.outbox == [] and Reminder.objects.get().state == "skipped"


def test_a_digest_is_never_sent_after_the_recipients_window(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    noon = at(2026, 12, 7, 17, 0)  # 12:00 in New York: the window has closed
    outcome = deliver(row.pk, noon)
    assert outcome.state == "skipped" and mail.outbox == []
    assert "window" in Reminder.objects.get().last_error


def test_a_recipient_without_an_email_address_is_skipped_and_logged(item_factory, user_factory):
    person = user_factory("no-mail", role=roles.OWNERS)
    person.email = ""
    person.save()
    item_factory(owner=person, due_date=day(-1))
    row = claim_one()
    assert deliver(row.pk, NY_MON_MORNING).state == "skipped"
    assert "email" in Reminder.objects.get().last_error


def test_a_row_held_by_a_live_worker_is_left_alone(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(claimed_at=NY_MON_MORNING)
    outcome = deliver(row.pk, NY_MON_MORNING + dt.timedelta(minutes=1))
    assert outcome.state == "busy" and mail.outbox == []


def test_a_row_out_of_attempts_is_failed_without_sending(item_factory, owner):
    item_factory(owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(attempts=8, give_up_after=8)
    assert deliver(row.pk, NY_MON_MORNING).state == "failed"
    assert mail.outbox == []


def test_retry_delays_grow_and_stay_capped(settings):
    settings.REMINDER_RETRY_BASE_SECONDS = 5
    settings.REMINDER_RETRY_MAX_SECONDS = 300
    first = delivery.retry_delay(attempts=1)
    assert 5 <= first <= 10
    assert 20 <= delivery.retry_delay(attempts=3) <= 25
    assert delivery.retry_delay(attempts=30) <= 305


def test_an_item_snoozed_after_the_claim_is_left_out_of_the_digest_sent(item_factory, owner):
    from tracker import workflow

    snoozed = item_factory("snoozed", owner=owner, due_date=day(-1))
    item_factory("kept", owner=owner, due_date=day(-2))
    row = claim_one()
    workflow.snooze(item=snoozed, by=owner, days=7, now=NY_MON_MORNING)
    assert deliver(row.pk, NY_MON_MORNING + dt.timedelta(minutes=1)).state == "sent"
    body = mail.outbox[0].body
    assert "[kept]" in body and "[snoozed]" not in body
    assert list(ReminderItem.objects.values_list("item__key", flat=True)) == ["kept"]


def test_a_retry_hours_later_still_leaves_out_what_was_snoozed_or_closed(item_factory, owner):
    from tracker import workflow

    snoozed = item_factory("snoozed", owner=owner, due_date=day(-1))
    closed = item_factory("closed", owner=owner, due_date=day(-1))
    row = claim_one()
    Reminder.objects.update(send_before=None)  # a retry sent by hand, after the window
    later = NY_MON_MORNING + dt.timedelta(hours=5)
    workflow.snooze(item=snoozed, by=owner, days=7, now=later)
    workflow.change_status(item=closed, to=Status.SUPERSEDED, by=None, note="done", now=later)
    assert deliver(row.pk, later).state == "skipped" and mail.outbox == []
    row.refresh_from_db()
    assert row.state == "skipped" and "snoozed" in row.last_error


def test_an_item_reassigned_after_the_claim_leaves_the_old_owners_digest(
    item_factory, owner, user_factory
):
    from tracker import workflow

    coordinator = user_factory("coord", role=roles.COORDINATORS)
    moved = item_factory("moved", owner=owner, due_date=day(-1))
    row = claim_one()
    newcomer = user_factory("newcomer", role=roles.OWNERS)
    workflow.reassign_owner(item=moved, owner=newcomer, by=coordinator, now=NY_MON_MORNING)
    assert deliver(row.pk, NY_MON_MORNING).state == "skipped" and mail.outbox == []


def test_an_update_posted_after_the_claim_drops_a_follow_up_it_answered(item_factory, owner):
    from tracker import workflow

    answered = item_factory("answered", owner=owner, next_follow_up_at=NY_MON_MORNING)
    item_factory("waiting", owner=owner, next_follow_up_at=NY_MON_MORNING)
    row = claim_one()
    workflow.post_update(item=answered, by=owner, note="Signed.", now=NY_MON_MORNING)
    assert deliver(row.pk, NY_MON_MORNING + dt.timedelta(minutes=1)).state == "sent"
    assert "[waiting]" in mail.outbox[0].body and "[answered]" not in mail.outbox[0].body


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    ],
)
def test_a_digest_arrives_with_text_and_html_through_any_email_backend(
    backend, settings, tmp_path, capsys, item_factory, owner
):
    settings.EMAIL_BACKEND = backend
    settings.EMAIL_FILE_PATH = str(tmp_path)
    item_factory("late", owner=owner, due_date=day(-1))
    row = claim_one()
    assert deliver(row.pk, NY_MON_MORNING).state == "sent"
    if backend.endswith("locmem.EmailBackend"):
        (message,) = mail.outbox
        raw = message.message().as_string()
    elif backend.endswith("console.EmailBackend"):
        raw = capsys.readouterr().out
    else:
        (written,) = tmp_path.iterdir()
        raw = written.read_text()
    parsed = message_from_string(raw.split("\n" + "-" * 79)[0], policy=default)
    assert parsed["Message-ID"] == row.message_id and parsed["To"] == owner.email
    assert "[late]" in parsed.get_body(("plain",)).get_content()
    assert 'href="http' in parsed.get_body(("html",)).get_content()


def test_a_long_section_lists_25_items_worst_first_then_how_many_more(item_factory, owner):
    for n in range(30):
        item_factory(f"late-{n:02d}", owner=owner, due_date=day(-1 - n))
    row = claim_one()
    assert deliver(row.pk, NY_MON_MORNING).state == "sent"
    (message,) = mail.outbox
    text = message.body
    listed = [line.split("[")[1].rstrip("]") for line in text.splitlines() if line.startswith("* ")]
    assert listed == [f"late-{n:02d}" for n in range(29, 4, -1)]  # the longest overdue first
    assert "…and 5 more: http://127.0.0.1:8000/items/?owner=ny-owner" in text
    html = message.alternatives[0][0]
    assert html.count("/r/") == 25  # a snooze link for each listed item (overdue: no "on track")
    assert "…and 5 more</a>" in html
    # Every claimed item stays in the log: the digest told of all 30.
    assert row.entries.count() == 30

"""Sending a claimed digest through a real SMTP server (aiosmtpd) in this process.

The same faults through a real Celery worker are in test_reminders_e2e.py.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from tests.support.db import restore_role_groups
from tests.support.smtp import SilentSmtp, SmtpSink, free_port
from tracker import delivery, reminders, roles
from tracker.models import Reminder

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
def row(user_factory, item_factory) -> Reminder:
    owner = user_factory("owner", role=roles.OWNERS, time_zone="America/New_York")
    item_factory("late", owner=owner, due_date=dt.date(2026, 12, 4))
    return reminders.sweep(now=NOW, enqueue=False).claimed[0]


def send(row, seconds=0):
    outcome = delivery.deliver(reminder_id=row.pk, now=NOW + dt.timedelta(seconds=seconds))
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
    claimed = reminders.sweep(now=NOW, enqueue=False).claimed
    return sorted(claimed, key=lambda r: r.pk)


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
    assert len(four) - len(one) == 3  # the "sent" mark of each further digest
    assert len(sink.messages) == 5
    assert set(Reminder.objects.values_list("state", flat=True)) == {"sent"}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL session setting")
def test_after_a_batch_the_workers_other_writes_wait_for_the_disk_again(sink, rows):
    # The batch's marks skip the WAL flush wait (docs/reminders.md); nothing after it may.
    assert delivery.deliver_batch(reminder_ids=[r.pk for r in rows], now=NOW).counts() == {
        "sent": 5
    }
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
    assert len(sink.messages) == 5


def test_co_owners_are_read_at_sending_time(sink, user_factory, item_factory):
    """A co-owner added since the claim keeps the item; one removed since gets nothing."""
    lead = user_factory("lead", role=roles.OWNERS, time_zone="America/New_York")
    kept = user_factory("kept", role=roles.OWNERS, time_zone="America/New_York")
    dropped = user_factory("dropped", role=roles.OWNERS, time_zone="America/New_York")
    item = item_factory(
        "shared", owner=lead, co_owners=[kept, dropped], due_date=dt.date(2026, 12, 4)
    )
    claimed = {r.recipient.username: r for r in reminders.sweep(now=NOW, enqueue=False).claimed}
    item.co_owners.remove(dropped)
    send_batch(list(claimed.values()))
    assert claimed["kept"].state == "sent" and claimed["lead"].state == "sent"
    assert claimed["dropped"].state == "skipped"
    assert sorted(to for _sender, (to,) in sink.envelopes) == [kept.email, lead.email]


def test_a_digest_that_cannot_be_built_is_retried_and_the_batch_goes_on(sink, rows, monkeypatch):
    broken = rows[2]
    real = delivery.build_message

    def build(reminder, entries, now):
        if reminder.pk == broken.pk:
            raise ValueError("a template bug")
        return real(reminder, entries, now)

    monkeypatch.setattr(delivery, "build_message", build)
    batch = send_batch(rows)
    assert batch.counts() == {"sent": 4, "pending": 1} and batch.retry_ids == [broken.pk]
    assert (broken.state, broken.last_error) == ("pending", "ValueError: a template bug")
    assert sorted(sink.message_ids()) == sorted(r.message_id for r in rows if r != broken)


@pytest.fixture
def role_groups(transactional_db):
    restore_role_groups()  # a transactional test starts from an emptied database


@pytest.mark.skipif(connection.vendor != "postgresql", reason="marks sent ahead: PostgreSQL")
def test_in_a_worker_each_mark_is_committed_before_the_next_digest_reaches_the_server(
    role_groups, sink, rows, monkeypatch
):
    """Outside a transaction (as in a worker) a mark is sent without waiting for its answer, but
    the next digest's DATA only comes once it is committed: at most one accepted digest is ever
    unmarked. Seen from the server, through its own database connection."""
    import psycopg

    ids = [r.pk for r in rows]
    watcher = psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"] or 5432,
        user=connection.settings_dict["USER"],
        autocommit=True,
    )
    unmarked_at_data: list[int] = []
    real_reply = sink._data_reply

    def data_reply():
        unmarked_at_data.append(
            watcher.execute(
                "SELECT count(*) FROM tracker_reminder WHERE id = ANY(%s) AND state = 'pending'",
                [ids],
            ).fetchone()[0]
        )
        return real_reply()

    monkeypatch.setattr(sink, "_data_reply", data_reply)
    try:
        batch = delivery.deliver_batch(reminder_ids=ids, now=NOW)
    finally:
        watcher.close()
    assert batch.counts() == {"sent": 5}
    assert unmarked_at_data == [5, 4, 3, 2, 1]  # each earlier digest already marked sent
    assert set(Reminder.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"sent"}
    with connection.cursor() as cursor:  # the connection is left ready for the next statement
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="marks sent ahead: PostgreSQL")
def test_a_mark_that_fails_stops_the_batch_and_leaves_the_connection_usable(
    role_groups, sink, rows, monkeypatch
):
    # A mark the server rejects (here: its prepared statement is gone) raises like a waited one.
    monkeypatch.setattr(delivery._Marks, "_prepare", lambda marks: None)
    monkeypatch.setattr(delivery, "MARK_STATEMENT", "no_such_statement")
    with pytest.raises(DatabaseError, match="Marking a sent digest failed"):
        delivery.deliver_batch(reminder_ids=[r.pk for r in rows], now=NOW)
    assert len(sink.messages) == 1  # the next digest was not sent after the failed mark
    assert Reminder.objects.filter(pk=rows[0].pk, state="pending").exists()  # sent again later
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_sender_refused_at_mail_from_is_told_apart_and_the_batch_goes_on(sink, rows):
    first, second, *rest = rows
    sink.reply_next("MAIL", "451 4.3.2 Try later", "553 5.7.1 Sender not allowed")
    batch = send_batch(rows)
    assert (first.state, first.last_error) == ("pending", "451 4.3.2 Try later")
    assert (second.state, second.last_error) == ("failed", "553 5.7.1 Sender not allowed")
    assert [r.state for r in rest] == ["sent"] * 3  # the session was reset after each refusal
    assert batch.retry_ids == [first.pk] and len(sink.messages) == 3

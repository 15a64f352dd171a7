"""Reminders end to end: a real Celery worker (and beat), the configured broker, the test database,
and an SMTP server started here. Nothing is mocked.

The worker uses the real clock, so these tests open the morning window to the whole day and count
every day as a working day (through the worker's environment); the window, daylight-saving and
holiday rules are tested with explicit times in tests/reminders/.
"""

from __future__ import annotations

import datetime as dt
import signal
import time

import pytest
from django.utils import timezone

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tests.support.db import at_once, restore_role_groups
from tests.support.processes import start_beat, start_worker
from tests.support.smtp import SilentSmtp, SmtpSink
from tracker import roles
from tracker.models import Marking, Reminder, ReminderState, Status, SweepRun
from tracker.reminders.sweep import claim_digests, plan_digests, sweep
from tracker.tasks import enqueue_sends, send_reminders

pytestmark = [pytest.mark.worker, pytest.mark.timeout(120)]

ANY_TIME = {
    "REMINDER_LOCAL_HOUR": "0",
    "REMINDER_WINDOW_HOURS": "24",
    "REMINDER_ONLY_WORKING_DAYS": "0",
    "REMINDER_RETRY_BASE_SECONDS": "0.2",
    "REMINDER_RETRY_MAX_SECONDS": "2",
}


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    restore_role_groups()


@pytest.fixture(autouse=True)
def any_time(settings):
    """The same window and working days in this process as in the worker's environment."""
    settings.REMINDER_LOCAL_HOUR = 0
    settings.REMINDER_WINDOW_HOURS = 24
    settings.REMINDER_ONLY_WORKING_DAYS = False


def wait_until(predicate, timeout: float = 30, what: str = "condition", log=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    tail = log.text()[-3000:] if log is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def processes(transactional_db):
    """Celery processes, ended before the database is flushed. SIGKILL: the test is over, and a
    graceful shutdown takes about five seconds a worker."""
    started = []
    yield started
    for process in reversed(started):
        process.kill(signal.SIGKILL)
        process.stop()


def worker(tmp_path, queue, processes, smtp_url: str, **env):
    process = start_worker(tmp_path, queue, EMAIL_URL=smtp_url, **ANY_TIME, **env)
    processes.append(process)
    return process


def one_overdue_owner(user_factory, item_factory):
    owner = user_factory("owner", role=roles.OWNERS)
    item_factory("late", owner=owner, due_date=timezone.now().date() - dt.timedelta(days=3))
    return owner


def sweep_now() -> list[Reminder]:
    """What beat's sweep task does: claim, then hand the rows to the workers."""
    result = sweep(now=timezone.now())
    enqueue_sends(result.to_send)
    return list(Reminder.objects.filter(pk__in=result.claimed_ids).order_by("pk"))


def test_each_owner_gets_exactly_one_digest_of_their_visible_items_once_a_day(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    us = user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES)
    us2 = user_factory("us-owner2", role=roles.OWNERS)
    kr = user_factory(
        "kr-owner",
        role=roles.OWNERS,
        country="KR",
        clearances=KR_CLEARANCES,
        time_zone="Asia/Seoul",
        language="ko",
    )
    today = timezone.now().date()
    late = today - dt.timedelta(days=3)
    item_factory("joint-plan", owner=us, co_owners=[kr, us2], due_date=late)
    item_factory("us-eyes", owner=us, co_owners=[us2], due_date=late, marking=Marking.US_ONLY)
    item_factory(
        "kr-eyes", owner=kr, due_date=today + dt.timedelta(days=1), marking=Marking.KR_ONLY
    )
    item_factory("quiet", owner=us2, due_date=today + dt.timedelta(days=90),
                 next_follow_up_at=timezone.now() + dt.timedelta(days=14))  # fmt: skip
    item_factory("done", owner=kr, due_date=late, status=Status.IMPLEMENTED)

    work = worker(tmp_path, celery_queue, processes, sink.url)
    beat = start_beat(tmp_path, celery_queue, REMINDER_SWEEP_SECONDS="1", **ANY_TIME)
    processes.append(beat)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 3, what="3 sent", log=work)
    runs = SweepRun.objects.count()
    wait_until(lambda: SweepRun.objects.count() >= runs + 2, what="two more sweeps", log=beat)

    assert len(sink.messages) == 3 and max(sink.message_ids().values()) == 1

    def keys(address):
        (message,) = sink.to(address)
        text = message.get_body(("plain",)).get_content()
        return {k for k in ("joint-plan", "us-eyes", "kr-eyes", "quiet", "done") if k in text}

    assert keys("us-owner@example.org") == {"joint-plan", "us-eyes"}
    assert keys("us-owner2@example.org") == {"joint-plan"}
    assert keys("kr-owner@example.org") == {"joint-plan", "kr-eyes"}
    assert sink.to("kr-owner@example.org")[0]["Subject"].strip().startswith("[추적기]")
    assert Reminder.objects.count() == 3


def test_two_sweeps_at_once_send_no_duplicates(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    owners = [user_factory(role=roles.OWNERS) for _ in range(3)]
    late = timezone.now().date() - dt.timedelta(days=1)
    for person in owners:
        item_factory(owner=person, due_date=late)
    work = worker(tmp_path, celery_queue, processes, sink.url)
    # Both sweeps plan before either claims: the race the unique constraint has to settle.
    claimed: list[int] = []

    def sweep_in_a_thread(barrier):
        now = timezone.now()
        plans = plan_digests(now=now)
        barrier.wait(timeout=10)
        for plan in plans:
            if ids := claim_digests(plans=[plan], now=now):
                enqueue_sends(ids)
                claimed.append(plan.recipient.pk)

    at_once(sweep_in_a_thread)
    assert sorted(claimed) == sorted(p.pk for p in owners)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 3, log=work)
    time.sleep(1)  # a duplicate would have had time to arrive
    assert len(sink.messages) == 3 and max(sink.message_ids().values()) == 1


def test_smtp_answering_451_then_250_delivers_exactly_once(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    one_overdue_owner(user_factory, item_factory)
    sink.reply_next("DATA", "451 4.3.0 Mailbox busy, try again later")
    work = worker(tmp_path, celery_queue, processes, sink.url)
    (row,) = sweep_now()
    wait_until(lambda: Reminder.objects.get(pk=row.pk).state == "sent", log=work)
    row.refresh_from_db()
    assert row.attempts == 2 and row.last_error.startswith("451")
    time.sleep(1)
    assert len(sink.messages) == 1 and sink.messages[0]["Message-ID"] == row.message_id


def test_more_451s_than_celerys_default_retry_limit_are_retried_by_backoff_not_left_waiting(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    # Celery stops a task after 3 retries unless told otherwise; the row's attempt budget
    # (8) is the limit that counts. Without that, the 5th attempt would wait for the sweep's
    # pending timeout (15 minutes here).
    one_overdue_owner(user_factory, item_factory)
    sink.reply_next("DATA", *["451 4.3.0 Mailbox busy, try again later"] * 4)
    work = worker(tmp_path, celery_queue, processes, sink.url)
    (row,) = sweep_now()
    wait_until(lambda: Reminder.objects.get(pk=row.pk).state == "sent", timeout=20, log=work)
    row.refresh_from_db()
    assert row.attempts == 5 and len(sink.messages) == 1


def test_smtp_answering_550_fails_the_row_after_one_attempt(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    one_overdue_owner(user_factory, item_factory)
    sink.reply_next("RCPT", "550 5.1.1 User unknown")
    work = worker(tmp_path, celery_queue, processes, sink.url)
    (row,) = sweep_now()
    wait_until(lambda: Reminder.objects.get(pk=row.pk).state == "failed", log=work)
    time.sleep(1.5)  # longer than any retry backoff here: none may follow
    row.refresh_from_db()
    assert (row.attempts, row.last_error) == (1, "550 5.1.1 User unknown")
    assert sink.messages == [] and Reminder.objects.filter(state=ReminderState.FAILED).count() == 1


def test_a_server_that_never_answers_fails_within_email_timeout_and_is_retried(
    transactional_db, tmp_path, celery_queue, processes, user_factory, item_factory
):
    one_overdue_owner(user_factory, item_factory)
    with SilentSmtp() as silent:
        work = worker(tmp_path, celery_queue, processes, silent.url, EMAIL_TIMEOUT="2")
        started = time.monotonic()
        (row,) = sweep_now()

        def failed_once():
            row.refresh_from_db()
            return row.attempts >= 1 and "timed out" in row.last_error

        wait_until(failed_once, timeout=15, what="a timeout", log=work)
        assert time.monotonic() - started < 2 + 6  # the timeout plus pickup, not forever
        wait_until(lambda: Reminder.objects.get(pk=row.pk).attempts >= 2, what="a retry", log=work)
        assert Reminder.objects.get(pk=row.pk).state == "pending"


def test_a_worker_killed_while_sending_leads_to_delivery_after_restart(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    one_overdue_owner(user_factory, item_factory)
    fast_requeue = {"REMINDER_PENDING_TIMEOUT_MINUTES": "0.05"}  # 3 s instead of 15 min
    sink.stall_data()
    first = worker(tmp_path, celery_queue, processes, sink.url, **fast_requeue)
    (row,) = sweep_now()
    assert sink.stalled.wait(timeout=30), first.text()[-3000:]
    first.kill(signal.SIGKILL)  # the whole worker, mid-DATA: the message is gone with it
    sink.release()
    assert Reminder.objects.get(pk=row.pk).state == "pending"

    second = worker(tmp_path, celery_queue, processes, sink.url, **fast_requeue)
    beat = start_beat(tmp_path, celery_queue, REMINDER_SWEEP_SECONDS="1", **ANY_TIME)
    processes.append(beat)
    wait_until(lambda: Reminder.objects.get(pk=row.pk).state == "sent", log=second)
    row.refresh_from_db()
    assert row.attempts == 2
    assert len(sink.messages) == 1 and sink.messages[0]["Message-ID"] == row.message_id


def test_a_batch_through_refusals_and_a_dropped_connection_delivers_every_other_digest_once(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    owners = [user_factory(f"owner{n}", role=roles.OWNERS) for n in range(5)]
    late = timezone.now().date() - dt.timedelta(days=2)
    for person in owners:
        item_factory(owner=person, due_date=late)
    refused, busy = owners[1].email, owners[3].email
    sink.refuse(refused, "550 5.1.1 User unknown")
    sink.refuse(busy, "450 4.2.1 Mailbox busy")
    sink.drop_data(nth=2)  # the second message of the batch: the connection goes
    work = worker(tmp_path, celery_queue, processes, sink.url)
    rows = sweep_now()  # one batch: five ids, one task
    assert len(rows) == 5

    def busy_refused_once():
        return Reminder.objects.filter(recipient=owners[3], last_error__startswith="450").exists()

    wait_until(busy_refused_once, what="the busy mailbox refused once", log=work)
    sink.accept(busy)

    def settled():
        return not Reminder.objects.filter(state="pending").exists()

    wait_until(settled, what="every row settled", log=work)
    by_owner = {r.recipient_id: r for r in Reminder.objects.all()}
    assert (by_owner[owners[1].pk].state, by_owner[owners[1].pk].attempts) == ("failed", 1)
    assert by_owner[owners[1].pk].last_error == "550 5.1.1 User unknown"
    assert by_owner[owners[3].pk].attempts >= 2
    others = [by_owner[p.pk] for p in owners if p.email not in (refused, busy)]
    # The row whose message was cut off took two attempts; the rows given back untried, one.
    assert sorted(r.attempts for r in others) == [1, 1, 2]
    delivered = {r.message_id for r in by_owner.values() if r.state == "sent"}
    assert len(delivered) == 4 and sink.message_ids() == dict.fromkeys(delivered, 1)
    assert len(set(sink.peers)) >= 2  # a new connection after the drop

    send_reminders.delay([r.pk for r in rows])  # the same task again: nothing to send
    time.sleep(1.5)
    assert len(sink.messages) == 4 and len(sink.rcpt_seen) == 5

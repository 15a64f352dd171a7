"""Webhooks end to end: a real Celery worker on the configured broker, the test database, and a
real HTTP receiver on loopback. Nothing is mocked; the sweep runs here as beat would run it.

The worker uses the real clock and short backoffs (its environment), so a receiver that is down
for a few seconds stands for one that is down for hours.
"""

from __future__ import annotations

import signal
import time

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from tests.support.db import restore_role_groups
from tests.support.processes import start_worker
from tests.support.receiver import Receiver
from tests.support.smtp import SmtpSink
from tracker import tasks, workflow
from tracker.models import EventType, WebhookEndpoint, WebhookEvent

pytestmark = [pytest.mark.worker, pytest.mark.timeout(150)]

FAST = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_CONNECT_TIMEOUT_SECONDS": "1",
}


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    restore_role_groups()


@pytest.fixture
def processes(transactional_db):
    started = []
    yield started
    for process in reversed(started):
        process.kill(signal.SIGKILL)
        process.stop()


def wait_until(predicate, *, timeout: float = 40, what: str, sweep: bool = False, log=None):
    """Wait for `predicate`, running the webhook sweep every half second if asked (beat's
    job, at a faster tick)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if sweep:
            tasks.sweep_webhooks()
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{log.text()[-3000:] if log else ''}")


def _note(item, by, text: str) -> None:
    workflow.post_update(item=item, by=by, note=text, now=timezone.now())


def test_a_receiver_down_for_a_while_gets_every_event_once_it_returns(
    tmp_path, celery_queue, processes, settings, coordinator, item_factory, endpoint_factory
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.3
    worker = start_worker(tmp_path, celery_queue, **FAST)
    processes.append(worker)
    receiver = Receiver().start()
    try:
        endpoint = _endpoint_at(endpoint_factory, receiver)
        item = item_factory("ship-1", owner=coordinator)
        _note(item, coordinator, "Before the outage.")
        wait_until(lambda: len(receiver.received) == 1, what="the first event", log=worker)
        receiver.stop()
        for n in range(5):
            _note(item, coordinator, f"During the outage, {n}.")
        endpoint_failing = WebhookEndpoint.objects.filter(pk=endpoint.pk, failures__gt=0)
        wait_until(endpoint_failing.exists, what="a failed try", log=worker)
        receiver.start()
        events = set(WebhookEvent.objects.values_list("message_id", flat=True))
        wait_until(
            lambda: set(receiver.ids()) == events, what="every event", sweep=True, log=worker
        )
    finally:
        receiver.stop()
    assert len(events) == 6
    for got in receiver.received:
        Webhook(endpoint.secret).verify(got.body, got.headers)  # raises if it does not verify


def _endpoint_at(endpoint_factory, receiver):
    endpoint = endpoint_factory(events=[EventType.UPDATE_POSTED])
    endpoint.url = receiver.url()
    endpoint.save()
    return endpoint


def test_a_disabled_endpoint_gets_nothing_more_and_its_owner_is_told(
    tmp_path, celery_queue, processes, settings, coordinator, item_factory, endpoint_factory
):
    hours = "0.0005"  # about two seconds of failures stand for a day
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.3
    settings.WEBHOOK_DISABLE_AFTER_HOURS = float(hours)
    with SmtpSink() as sink, Receiver() as receiver:
        worker = start_worker(
            tmp_path, celery_queue, EMAIL_URL=sink.url, WEBHOOK_DISABLE_AFTER_HOURS=hours, **FAST
        )
        processes.append(worker)
        receiver.status = 503
        endpoint = _endpoint_at(endpoint_factory, receiver)
        item = item_factory("ship-1", owner=coordinator)
        _note(item, coordinator, "Nobody hears this.")
        off = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=False)
        wait_until(off.exists, what="the endpoint turned off", sweep=True, log=worker)
        wait_until(
            lambda: len(sink.messages) == 1, what="the owner's email", sweep=True, log=worker
        )
        (message,) = sink.messages
        assert (
            message["To"] == coordinator.email and endpoint.url in message.get_body().get_content()
        )
        refused = receiver.refused
        receiver.status = 200
        _note(item, coordinator, "Nor this.")
        for _tick in range(6):
            tasks.sweep_webhooks()
            time.sleep(0.5)
    assert receiver.received == [] and receiver.refused == refused

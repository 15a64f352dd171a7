"""Webhook delivery in one process, to a real receiver on loopback: what is recorded, what is
sent, signed and retried, and what is never sent."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook

from tracker import evidence, new_items, outcomes, review, roles, workflow
from tracker.models import (
    ActionItem,
    Audience,
    DeliveryState,
    EventType,
    Forum,
    Marking,
    Meeting,
    MeetingStatus,
    Status,
    WebhookDelivery,
    WebhookEvent,
)
from tracker.webhooks import endpoints, notices, sweep
from tracker.webhooks.sending import deliver_batch

pytestmark = pytest.mark.django_db


def _pending_ids() -> list[int]:
    return list(WebhookDelivery.objects.filter(state="pending").values_list("pk", flat=True))


def _send_all(now) -> dict:
    return deliver_batch(delivery_ids=_pending_ids(), now=now).outcomes


def test_a_status_change_arrives_signed_per_standard_webhooks(
    endpoint_factory, receiver, item_factory, coordinator
):
    now = timezone.now()  # a receiver refuses a signature more than five minutes off its clock
    endpoint = endpoint_factory()
    item = item_factory("ship-1")
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=now)
    _send_all(now)
    (got,) = receiver.received
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)  # raises if it does not
    assert payload["type"] == "item.status_changed"
    assert payload["data"]["item"]["key"] == "ship-1"
    assert payload["data"]["to_status"] == "in_progress"
    assert payload["data"]["by"] == "us-coordinator"
    assert got.headers["webhook-id"] == WebhookEvent.objects.get().message_id


def test_an_endpoint_gets_only_the_events_it_subscribed_to(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory(events=[EventType.UPDATE_POSTED])
    item = item_factory("ship-1")
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=now)
    workflow.post_update(item=item, by=coordinator, note="Shipyard visited.", now=now)
    _send_all(now)
    assert [json.loads(b)["type"] for b in receiver.bodies()] == ["item.update_posted"]


def test_an_item_outside_the_audience_is_never_recorded_for_it(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory(audience=Audience.ALL)
    item = item_factory("secret-1", marking=Marking.US_ONLY)
    workflow.post_update(item=item, by=coordinator, note="Progress.", now=now)
    assert not WebhookDelivery.objects.exists()


def test_an_item_re_marked_before_sending_is_skipped(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory(audience=Audience.ALL)
    item = item_factory("ship-1")
    workflow.post_update(item=item, by=coordinator, note="Progress.", now=now)
    item.marking = Marking.US_ONLY
    item.save()
    assert set(_send_all(now).values()) == {DeliveryState.SKIPPED}
    assert receiver.received == []


def test_a_delivery_sent_twice_reaches_the_receiver_once(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory()
    workflow.post_update(item=item_factory(), by=coordinator, note="Progress.", now=now)
    ids = _pending_ids()
    deliver_batch(delivery_ids=ids, now=now)
    deliver_batch(delivery_ids=ids, now=now)
    assert len(receiver.received) == 1


def test_a_server_error_is_retried_with_the_same_id_and_a_refusal_is_not(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory(path="/flaky")
    endpoint_factory(path="/refusing")
    receiver.statuses = {"/flaky": 503, "/refusing": 400}
    workflow.post_update(item=item_factory(), by=coordinator, note="Progress.", now=now)
    _send_all(now)
    flaky, refusing = WebhookDelivery.objects.order_by("endpoint__url")
    assert (flaky.state, refusing.state) == (DeliveryState.PENDING, DeliveryState.FAILED)
    assert flaky.endpoint.failing_since is not None
    receiver.statuses = {}
    later = flaky.next_attempt_at + dt.timedelta(seconds=1)
    deliver_batch(delivery_ids=sweep.due_deliveries(now=later), now=later)
    flaky.refresh_from_db()
    assert flaky.state == DeliveryState.SENT and flaky.attempts == 2
    assert receiver.ids() == [flaky.event.message_id]


def test_a_slow_receiver_is_cut_off_after_the_timeout(
    endpoint_factory, receiver, item_factory, coordinator, now, settings
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    endpoint_factory()
    receiver.delay = 3
    workflow.post_update(item=item_factory(), by=coordinator, note="Progress.", now=now)
    started = time.monotonic()
    outcomes = _send_all(now)
    assert time.monotonic() - started < 2
    assert set(outcomes.values()) == {DeliveryState.PENDING}
    assert "timed out" in WebhookDelivery.objects.get().last_error


def test_while_an_endpoint_fails_its_other_deliveries_wait_for_one_probe(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory()
    receiver.status = 500
    for n in range(4):
        workflow.post_update(item=item_factory(), by=coordinator, note=f"Note {n}", now=now)
    _send_all(now)
    assert receiver.refused == 1  # the first failed; the other three were not tried
    later = now + dt.timedelta(hours=1)
    assert len(sweep.due_deliveries(now=later)) == 1  # one probe, not four timeouts
    receiver.status = 200
    result = deliver_batch(delivery_ids=sweep.due_deliveries(now=later), now=later)
    deliver_batch(delivery_ids=result.follow_up_ids, now=later + dt.timedelta(seconds=5))
    assert len(set(receiver.ids())) == 4


def test_an_endpoint_failing_for_a_day_is_turned_off_and_its_owner_told(
    endpoint_factory, receiver, item_factory, coordinator, now, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    endpoint = endpoint_factory()
    receiver.status = 502
    item = item_factory()
    workflow.post_update(item=item, by=coordinator, note="One.", now=now)
    _send_all(now)
    day_later = now + dt.timedelta(hours=25)
    assert sweep.sweep(now=day_later).untold_endpoint_ids == [endpoint.pk]
    assert WebhookDelivery.objects.get().state == DeliveryState.FAILED
    assert notices.tell_owner(endpoint_id=endpoint.pk, now=day_later)
    (message,) = mail.outbox
    assert message.to == [coordinator.email] and endpoint.url in message.body
    workflow.post_update(item=item, by=coordinator, note="Two.", now=day_later)
    receiver.status = 200
    assert sweep.due_deliveries(now=day_later + dt.timedelta(days=1)) == []
    assert receiver.received == []


def test_replay_sends_a_delivery_again_with_the_same_id(
    endpoint_factory, receiver, item_factory, coordinator, now
):
    endpoint_factory()
    workflow.post_update(item=item_factory(), by=coordinator, note="Progress.", now=now)
    (delivery_id,) = _pending_ids()
    deliver_batch(delivery_ids=[delivery_id], now=now)
    again = endpoints.replay(delivery_ids=[delivery_id], now=now)
    deliver_batch(delivery_ids=again, now=now)
    first, second = receiver.ids()
    assert first == second


def test_an_item_that_became_overdue_is_announced_once(
    endpoint_factory, receiver, item_factory, now
):
    endpoint_factory(events=[EventType.OVERDUE])
    item_factory("late-1", due_date=now.date() - dt.timedelta(days=2))
    item_factory("long-late", due_date=now.date() - dt.timedelta(days=200))
    item_factory("closed-late", due_date=now.date() - dt.timedelta(days=2), status="implemented")
    sweep.sweep(now=now)
    sweep.sweep(now=now)
    assert list(WebhookEvent.objects.values_list("item__key", "type")) == [
        ("late-1", "item.overdue")
    ]


def test_a_due_date_move_and_a_new_item_are_events_too(
    endpoint_factory, receiver, item_factory, coordinator
):
    now = timezone.now()  # save_edit stamps the move with the time of the save
    endpoint_factory()
    item = item_factory("ship-1")
    item.due_date = dt.date(2028, 1, 31)
    workflow.save_edit(item=item, by=coordinator, expected_version=item.version, now=now)
    new = ActionItem(
        key="ship-2",
        source=item.source,
        theme=item.theme,
        title_en="New",
        paragraph=2,
        excerpt="x",
        lead_organization=item.lead_organization,
    )
    new_items.create_item(item=new, by=coordinator, now=now)
    _send_all(timezone.now())
    created, moved = sorted((json.loads(b) for b in receiver.bodies()), key=lambda b: b["type"])
    assert moved["type"] == "item.due_date_changed"
    assert (moved["data"]["from_due_date"], moved["data"]["to_due_date"]) == (
        "2027-06-30",
        "2028-01-31",
    )
    assert (created["type"], created["data"]["item"]["key"]) == ("item.created", "ship-2")
    assert ActionItem.objects.get(key="ship-2").next_follow_up_at is not None


def test_an_item_a_meeting_decided_on_is_an_event_too(
    endpoint_factory, receiver, item_factory, coordinator
):
    now = timezone.now()
    endpoint_factory()
    template = item_factory("ship-1")
    forum = Forum.objects.create(key="dticc", short_name="DTICC", name_en="DTICC")
    held = Meeting.objects.create(
        forum=forum, key="held", date=now.date(), status=MeetingStatus.HELD
    )
    new = outcomes.NewItem(
        key="working-group",
        title_en="Set up a working group",
        title_ko="실무그룹 구성",
        source=template.source,
        theme=template.theme,
        lead_organization=template.lead_organization,
    )
    outcomes.record_new_item(
        meeting=held, new=new, by=coordinator, text_en="Agreed to set one up.", now=now
    )
    _send_all(timezone.now())
    (created,) = [json.loads(b) for b in receiver.bodies()]
    assert (created["type"], created["data"]["item"]["key"]) == ("item.created", "working-group")


def test_a_claim_of_implementation_is_a_status_change_event(
    endpoint_factory, receiver, item_factory, user_factory
):
    now = timezone.now()
    endpoint_factory()
    owner = user_factory("ship-owner", role=roles.OWNERS)
    item = item_factory("ship-1", owner=owner, status=Status.IN_PROGRESS)
    link = evidence.check_link("https://example.org/mou", "MOU")
    review.claim(item=item, by=owner, note="Signed.", now=now, link=link)
    _send_all(timezone.now())
    (changed,) = [json.loads(b) for b in receiver.bodies()]
    assert changed["type"] == "item.status_changed"
    assert changed["data"]["to_status"] == Status.IMPLEMENTATION_CLAIMED

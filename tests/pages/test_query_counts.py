"""Every page costs the same number of queries whatever the number of items (measured at two
sizes); the benchmark measures their speed at 100,000 items."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker import workflow
from tracker.models import Profile, Reminder, ReminderItem, ReminderKind, Status


def grow(world, item_factory, kr_org, n: int) -> None:
    """Add `n` items of every kind, each with co-owners, partners, updates and reminders."""
    now = timezone.now()
    first_day = dt.date(2027, 1, 1) + dt.timedelta(days=Reminder.objects.count())
    for i in range(n):
        item = item_factory(
            owner=world.owner,
            co_owners=[world.co_owner, world.coordinator],
            status=Status.BLOCKED if i % 2 else Status.NOT_STARTED,
            due_date=timezone.localdate() + dt.timedelta(days=i - n // 2),
            next_follow_up_at=now - dt.timedelta(days=1),
        )
        item.partner_organizations.add(kr_org)
        workflow.change_status(
            item=item, to=Status.SUPERSEDED, by=world.owner, note="done", now=now
        )
        workflow.post_update(item=world.public, by=world.owner, note=f"step {i}", now=now)
        reminder = Reminder.objects.create(
            recipient=world.owner,
            local_date=first_day + dt.timedelta(days=i),
            created_at=now,
        )
        ReminderItem.objects.create(reminder=reminder, item=world.public, kind=ReminderKind.OVERDUE)
        ReminderItem.objects.create(reminder=reminder, item=item, kind=ReminderKind.OVERDUE)


def count_queries(client, path: str) -> int:
    cache.clear()  # a cold cache costs the most
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, path
    return len(queries)


# Queries on a cold cache, signed in as an owner. Every signed-in page starts with two: the
# session, and the user with their profile (tracker.auth_backend).
PATHS = {
    "/": 18,  # the themes: their ids in report order, then the dozen drawn
    "/items/": 7,
    "/items/?status=blocked&owner=owner&overdue=on&q=Title&sort=-due": 6,
    "/items/export.csv": 5,
    "/items/public-item/": 15,
    "/mine/": 5,
    "/calendar/": 3,
}


@pytest.mark.parametrize("path", PATHS)
def test_a_page_costs_the_same_queries_for_few_and_many_items(
    client, world, item_factory, kr_org, path
):
    client.force_login(world.owner)
    grow(world, item_factory, kr_org, 2)
    few = count_queries(client, path)
    grow(world, item_factory, kr_org, 25)
    many = count_queries(client, path)
    assert few == many, f"{path}: {few} queries with few items, {many} with many"
    assert many == PATHS[path]


def test_the_calendar_feed_costs_the_same_queries_for_few_and_many_items(
    client, world, item_factory, kr_org
):
    token = Profile.objects.get(user=world.owner).calendar_token
    grow(world, item_factory, kr_org, 2)
    few = count_queries(client, f"/calendar/{token}.ics")
    grow(world, item_factory, kr_org, 25)
    assert count_queries(client, f"/calendar/{token}.ics") == few


def test_a_warm_dashboard_skips_the_aggregates(client, world, item_factory, kr_org):
    client.force_login(world.reader)
    grow(world, item_factory, kr_org, 3)
    cold = count_queries(client, "/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/")
    assert len(warm) <= cold - 5

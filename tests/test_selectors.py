"""Read-side aggregates of the status pages, and the dashboard cache that every write refreshes."""

import datetime as dt
import zoneinfo

from django.core.cache import cache
from django.utils import timezone

from tests.conftest import US_CLEARANCES
from tracker import selectors, workflow
from tracker.models import ActionItem, Marking, Status

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


def test_the_dashboard_counts_again_after_any_write_of_an_item_or_its_timeline(
    item_factory, user_factory, now
):
    cache.clear()
    user = user_factory(clearances=US_CLEARANCES)
    item = item_factory(priority="low")
    assert selectors.dashboard_numbers(user=user, now=now).total == 1
    item_factory()  # created in the admin, an import or the seed: a plain save
    assert selectors.dashboard_numbers(user=user, now=now).total == 2
    ActionItem.objects.filter(pk=item.pk).first().delete()
    assert selectors.dashboard_numbers(user=user, now=now).total == 1


def test_a_closing_counts_in_its_month_in_the_viewers_time_zone(item_factory, now):
    item = item_factory()
    # 2026-10-31 20:00 UTC is already November 1st in Seoul.
    workflow.change_status(
        item=item,
        to=Status.SUPERSEDED,
        by=None,
        note="done",
        now=dt.datetime(2026, 10, 31, 20, 0, tzinfo=dt.UTC),
    )
    items = ActionItem.objects.all()
    with timezone.override(SEOUL):
        seoul = dict(selectors.closed_per_month(items, now=now))
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        new_york = dict(selectors.closed_per_month(items, now=now))
    assert seoul[dt.date(2026, 11, 1)] == 1 and seoul[dt.date(2026, 10, 1)] == 0
    assert new_york[dt.date(2026, 10, 1)] == 1 and new_york[dt.date(2026, 11, 1)] == 0


def test_closed_per_month_covers_twelve_months_and_ignores_reopenings(item_factory, now):
    item = item_factory()
    workflow.change_status(item=item, to=Status.SUPERSEDED, by=None, note="x", now=now)
    later = now + dt.timedelta(minutes=1)
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=None, note="back", now=later)
    old = now - dt.timedelta(days=400)
    other = item_factory()
    workflow.change_status(item=other, to=Status.SUPERSEDED, by=None, note="x", now=old)
    series = selectors.closed_per_month(ActionItem.objects.all(), now=now)
    assert len(series) == 12
    assert series[0][0] == dt.date(2025, 12, 1) and series[-1] == (dt.date(2026, 11, 1), 1)
    assert sum(n for _m, n in series) == 1


def test_dashboard_numbers_are_cached_until_an_item_changes(item_factory, user_factory, now):
    cache.clear()
    user = user_factory(clearances=US_CLEARANCES)
    item = item_factory(status=Status.BLOCKED)
    first = selectors.dashboard_numbers(user=user, now=now)
    assert first.by_status == {"blocked": 1}
    assert selectors.dashboard_numbers(user=user, now=now) == first
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=None, now=now)
    assert selectors.dashboard_numbers(user=user, now=now).by_status == {"in_progress": 1}


def test_dashboard_numbers_differ_by_clearance_even_with_a_warm_cache(
    item_factory, user_factory, now
):
    cache.clear()
    item_factory(marking=Marking.US_ONLY)
    item_factory()
    cleared = user_factory(clearances=US_CLEARANCES)
    assert selectors.dashboard_numbers(user=cleared, now=now).total == 2
    assert selectors.dashboard_numbers(user=user_factory(), now=now).total == 1


def test_overdue_and_due_in_the_next_30_days_are_judged_against_the_local_date(item_factory):
    today = dt.date(2026, 11, 28)
    late = item_factory(due_date=today - dt.timedelta(days=1))
    item_factory(due_date=today - dt.timedelta(days=1), status=Status.IMPLEMENTED)
    soon = item_factory(due_date=today + dt.timedelta(days=30))
    item_factory(due_date=today + dt.timedelta(days=31))
    items = ActionItem.objects.all()
    assert list(items.overdue(today)) == [late]
    horizon = selectors.DASHBOARD_HORIZON_DAYS
    assert list(selectors.due_within(items, today=today, days=horizon)) == [soon]

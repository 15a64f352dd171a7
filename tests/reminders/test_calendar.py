"""The recipient's morning: time zones, daylight saving, weekends, public holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.reminders import MON, NY, UTC, at
from tracker.reminders import calendar


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Friday before daylight saving begins (EST, UTC-5) and Monday after (EDT, UTC-4).
        (at(2026, 3, 6, 13, 59), None),
        (at(2026, 3, 6, 14, 0), dt.date(2026, 3, 6)),
        (at(2026, 3, 9, 12, 59), None),
        (at(2026, 3, 9, 13, 0), dt.date(2026, 3, 9)),
        (at(2026, 3, 9, 15, 59), dt.date(2026, 3, 9)),
        (at(2026, 3, 9, 16, 0), None),
        # Friday before it ends (EDT) and Monday after (EST).
        (at(2026, 10, 30, 13, 0), dt.date(2026, 10, 30)),
        (at(2026, 11, 2, 13, 0), None),
        (at(2026, 11, 2, 14, 0), dt.date(2026, 11, 2)),
        (at(2026, 11, 2, 16, 59), dt.date(2026, 11, 2)),
        (at(2026, 11, 2, 17, 0), None),
    ],
)
def test_new_york_mornings_follow_daylight_saving_both_ways(owner, now, expected):
    assert calendar.due_local_date(user=owner, now=now) == expected


def test_the_window_keeps_its_local_hours_on_the_days_the_clocks_change():
    assert calendar.window_end(day=dt.date(2026, 3, 8), zone=NY) == at(2026, 3, 8, 16)
    assert calendar.window_end(day=dt.date(2026, 11, 1), zone=NY) == at(2026, 11, 1, 17)
    spring = dt.datetime(2026, 3, 8, 13, 0, tzinfo=UTC).astimezone(NY)
    fall = dt.datetime(2026, 11, 1, 13, 0, tzinfo=UTC).astimezone(NY)
    assert calendar.in_morning_window(local=spring)  # 09:00 EDT
    assert not calendar.in_morning_window(local=fall)  # 08:00 EST


def test_seoul_mornings_are_the_previous_evening_in_utc(kr_owner):
    assert calendar.due_local_date(user=kr_owner, now=at(2026, 12, 6, 23, 59)) is None
    assert calendar.due_local_date(user=kr_owner, now=at(2026, 12, 7, 0, 0)) == MON
    assert calendar.due_local_date(user=kr_owner, now=at(2026, 12, 7, 2, 59)) == MON
    assert calendar.due_local_date(user=kr_owner, now=at(2026, 12, 7, 3, 0)) is None


def test_weekends_are_not_working_days(owner):
    saturday_morning = at(2026, 12, 12, 14, 30)
    assert calendar.due_local_date(user=owner, now=saturday_morning) is None


def test_the_window_hour_is_a_setting(owner, settings):
    settings.REMINDER_LOCAL_HOUR = 7
    assert calendar.due_local_date(user=owner, now=at(2026, 12, 7, 12, 0)) == MON

"""The recipient's calendar: their time zone and language, their morning window, their working days.

Reminders go out in each recipient's own morning (their chosen hour, REMINDER_LOCAL_HOUR unless
they chose one, for REMINDER_WINDOW_HOURS hours, local wall-clock time) on their working days:
Monday to Friday, less the public holidays of their country (U.S. or ROK; joint staff keep
weekends only); or, for a weekly digest, on the weekday they chose. A pause or a stop
(tracker/notifications.py) holds them. Everything here is a pure function of the user's profile,
the settings and `now`.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

import holidays
from django.conf import settings

from tracker import notifications
from tracker.models import Country


def _profile_value(user, name: str, default: str) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, name, default) if profile is not None else default


def recipient_zone(user) -> zoneinfo.ZoneInfo:
    """The recipient's time zone; the site's when the profile has none or an unknown one."""
    try:
        return zoneinfo.ZoneInfo(_profile_value(user, "time_zone", settings.TIME_ZONE))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def recipient_language(user) -> str:
    return _profile_value(user, "language", settings.LANGUAGE_CODE)


def recipient_country(user) -> str:
    return _profile_value(user, "country", Country.US)


def in_morning_window(*, local: dt.datetime, hour: int | None = None) -> bool:
    """Whether a local wall-clock time lies in [hour, + REMINDER_WINDOW_HOURS); `hour` is
    REMINDER_LOCAL_HOUR unless given."""
    start = (settings.REMINDER_LOCAL_HOUR if hour is None else hour) * 60
    minutes = local.hour * 60 + local.minute
    return start <= minutes < start + settings.REMINDER_WINDOW_HOURS * 60


def window_end(*, day: dt.date, zone: zoneinfo.ZoneInfo, hour: int | None = None) -> dt.datetime:
    """When the morning window of local `day` (opening at `hour`, REMINDER_LOCAL_HOUR unless
    given) closes, in UTC.

    Arithmetic on an aware datetime with one tzinfo is wall-clock arithmetic, so the window keeps
    its local hours on the days daylight saving begins or ends.
    """
    hour = settings.REMINDER_LOCAL_HOUR if hour is None else hour
    start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
    return (start + dt.timedelta(hours=settings.REMINDER_WINDOW_HOURS)).astimezone(dt.UTC)


@functools.lru_cache(maxsize=32)
def _public_holidays(country: str, year: int) -> frozenset[dt.date]:
    if country not in (Country.US, Country.KR):
        return frozenset()  # joint staff keep neither calendar: weekends only
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(*, day: dt.date, country: str) -> bool:
    """Monday to Friday and not a public holiday of `country` (US or KR).

    With REMINDER_ONLY_WORKING_DAYS off, every day is a working day.
    """
    if not settings.REMINDER_ONLY_WORKING_DAYS:
        return True
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def due_local_date(*, user, now: dt.datetime) -> dt.date | None:
    """The recipient's local date if `now` is inside their morning window on a day they get a
    digest: a working day, or their weekly day; never while their digests are paused."""
    local = now.astimezone(recipient_zone(user))
    if not in_morning_window(local=local, hour=notifications.digest_hour(user)):
        return None
    day = local.date()
    if notifications.digests_paused(user, day=day):
        return None
    if notifications.is_weekly(user):
        return day if day.weekday() == notifications.weekly_day(user) else None
    if not is_working_day(day=day, country=recipient_country(user)):
        return None
    return day

"""Each person's own notification settings, and the one-click link that pauses their digests.

A person chooses on /settings/: a digest every working day or once a week on a chosen day, at a
local hour (the site's REMINDER_LOCAL_HOUR when they never chose), which sections they get, and
a pause until a date; their language and time zone are edited there too. Every digest carries a
signed `List-Unsubscribe` address (RFC 8058): a POST to it stops that person's digests without a
sign-in (a GET only shows a page asking to confirm); the settings page starts them again.
reminders/calendar.py reads the schedule; the sweep and delivery read the sections and pauses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import DigestFrequency, Profile, ReminderKind

UNSUBSCRIBE_SALT = "tracker.notifications.unsubscribe"
# The sections a person may leave out, in the digest's order.
SECTIONS = (
    ReminderKind.OVERDUE,
    ReminderKind.DUE_SOON,
    ReminderKind.FOLLOW_UP,
    ReminderKind.ESCALATION,
    ReminderKind.REVIEW,
    ReminderKind.MENTION,
    ReminderKind.WATCHED,
)


def _profile(user):
    return getattr(user, "profile", None)


def digest_hour(user) -> int:
    """The local hour `user`'s digest window opens."""
    hour = getattr(_profile(user), "digest_hour", None)
    return settings.REMINDER_LOCAL_HOUR if hour is None else hour


def latest_hour() -> int:
    """The latest hour a person may choose: their window must end within the local day."""
    return 24 - settings.REMINDER_WINDOW_HOURS


def is_weekly(user) -> bool:
    return getattr(_profile(user), "digest_frequency", "") == DigestFrequency.WEEKLY


def weekly_day(user) -> int:
    return getattr(_profile(user), "digest_weekday", 0) or 0


def digests_paused(user, *, day: dt.date) -> bool:
    """Whether `user` asked for no digest on local `day`: stopped by the unsubscribe link, or
    paused until a later date."""
    profile = _profile(user)
    if profile is None:
        return False
    if profile.digests_stopped_at is not None:
        return True
    return profile.digests_paused_until is not None and day < profile.digests_paused_until


def wants(user, kind: str) -> bool:
    """Whether `user` gets digest section `kind` (they did not leave it out)."""
    return kind not in (getattr(_profile(user), "muted_sections", None) or ())


@dataclass(frozen=True)
class Choices:
    """What the settings page saves."""

    frequency: str
    hour: int
    weekday: int
    sections: tuple[str, ...]  # the sections wanted
    paused_until: dt.date | None
    resume: bool  # start digests again after an unsubscribe
    language: str
    time_zone: str


def save_settings(*, user, choices: Choices) -> Profile:
    """Save `user`'s choices (the form checked each value). The site's hour is kept as "not
    chosen", so a change of REMINDER_LOCAL_HOUR still reaches those who never chose."""
    profile = user.profile
    profile.digest_frequency = choices.frequency
    unchanged = profile.digest_hour is None and choices.hour == settings.REMINDER_LOCAL_HOUR
    profile.digest_hour = None if unchanged else choices.hour
    profile.digest_weekday = choices.weekday
    profile.muted_sections = [s.value for s in SECTIONS if s.value not in choices.sections]
    profile.digests_paused_until = choices.paused_until
    if choices.resume:
        profile.digests_stopped_at = None
    profile.language, profile.time_zone = choices.language, choices.time_zone
    profile.full_clean(exclude=["user", "organization", "calendar_token"])
    profile.save()
    return profile


def unsubscribe_token(*, user_id: int) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user_id))


def unsubscribe_url(*, user_id: int) -> str:
    token = unsubscribe_token(user_id=user_id)
    return settings.SITE_URL + reverse("tracker:unsubscribe", kwargs={"token": token})


def settings_url() -> str:
    return settings.SITE_URL + reverse("tracker:settings")


class BadToken(Exception):
    """The unsubscribe address is not one the tracker made."""


def person_of(token: str):
    """The active account an unsubscribe token was made for, or BadToken."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError) as error:
        raise BadToken(_("This address is not valid: it may have been altered or cut.")) from error
    user_id = int(value) if value.isdigit() and len(value) < 19 else None
    user = None
    if user_id is not None:
        user = get_user_model().objects.filter(pk=user_id, is_active=True)
        user = user.select_related("profile").first()
    if user is None or _profile(user) is None:
        raise BadToken(_("This address is not valid: it may have been altered or cut."))
    return user


def stop_digests(*, user, now: dt.datetime) -> bool:
    """Stop `user`'s digests (the one-click unsubscribe); False when they already were."""
    changed = Profile.objects.filter(user=user, digests_stopped_at__isnull=True).update(
        digests_stopped_at=now
    )
    return bool(changed)

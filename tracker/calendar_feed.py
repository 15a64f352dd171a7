"""Each user's calendar (ICS) feed of due dates and coming meetings, reached by a secret token
instead of a login."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import icalendar
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import meetings, selectors
from .models import ActionItem, Meeting, MeetingStatus, Profile, new_calendar_token
from .releasability import visible_items
from .workflow import is_coordinator

UID_DOMAIN = "recommendations-tracker"
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what secrets.token_urlsafe makes


def profile_for_token(token: str) -> Profile | None:
    """The active user's profile whose feed token this is, or None."""
    if not TOKEN.fullmatch(token):  # e.g. a NUL, which PostgreSQL refuses in a query
        return None
    return (
        Profile.objects.select_related("user")
        .filter(calendar_token=token, user__is_active=True)
        .first()
    )


def reset_token(*, profile: Profile) -> str:
    """Give the profile a new secret; the old feed URL stops working at once."""
    profile.calendar_token = new_calendar_token()
    profile.save(update_fields=["calendar_token"])
    return profile.calendar_token


def feed_items(*, user) -> QuerySet:
    """Open items with a due date that the user may see: their own, or every one for a
    coordinator."""
    items = visible_items(user).open().filter(due_date__isnull=False)
    if not is_coordinator(user):
        items = selectors.my_items(items, user=user)
    return items.select_related("lead_organization").order_by("due_date", "key")


def feed_meetings(*, user, items: QuerySet, today: dt.date) -> QuerySet[Meeting]:
    """Coming meetings (planned or postponed): every one for a coordinator; for anyone else,
    those with one of their feed's items on the agenda."""
    if is_coordinator(user):
        coming = meetings.coming_meetings(today=today)
    else:
        coming = meetings.coming_meetings_with(items=items, today=today)
    return coming.select_related("forum").order_by("date", "pk")


def _meeting_event(meeting: Meeting, *, now: dt.datetime, link: str) -> icalendar.Event:
    """An all-day event on the meeting's (new) date; a postponed one says from when."""
    forum = meeting.forum.label
    if meeting.status == MeetingStatus.POSTPONED and meeting.original_date:
        summary = _("%(forum)s meeting (postponed from %(date)s)") % {
            "forum": forum,
            "date": meeting.original_date.isoformat(),
        }
    else:
        summary = _("%(forum)s meeting") % {"forum": forum}
    event = icalendar.Event()
    event.add("uid", f"meeting-{meeting.pk}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.date)
    event.add("dtend", meeting.date + dt.timedelta(days=1))
    event.add("summary", summary)
    if meeting.place:
        event.add("location", meeting.place)
    event.add("description", f"{meeting.forum.name}\n{link}")
    event.add("url", link)
    return event


def build_ics(
    *,
    items: QuerySet,
    now: dt.datetime,
    link_for: Callable[[ActionItem], str],
    name: str,
    coming: QuerySet[Meeting],
    meeting_link_for: Callable[[Meeting], str],
) -> bytes:
    """An iCalendar document with one all-day event per item, on its due date, and one per
    coming meeting, on its date."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Recommendations tracker//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    for meeting in coming:
        cal.add_component(_meeting_event(meeting, now=now, link=meeting_link_for(meeting)))
    for item in items:
        link = link_for(item)
        event = icalendar.Event()
        event.add("uid", f"{item.key}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        event.add("dtstart", item.due_date)
        event.add("dtend", item.due_date + dt.timedelta(days=1))
        event.add("summary", _("Due: %(title)s") % {"title": item.title})
        event.add(
            "description",
            f"{item.key} · {item.get_status_display()} · {item.lead_organization.name}\n{link}",
        )
        event.add("url", link)
        cal.add_component(event)
    return cal.to_ical()

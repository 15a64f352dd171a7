"""Each user's calendar (ICS) feed of due dates, reached by a secret token instead of a login."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import icalendar
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from . import selectors
from .models import ActionItem, Profile, new_calendar_token
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


def build_ics(
    *, items: QuerySet, now: dt.datetime, link_for: Callable[[ActionItem], str], name: str
) -> bytes:
    """An iCalendar document with one all-day event per item, on its due date."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Recommendations tracker//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
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

"""What the policy reads of the coming meetings: which items are on whose agenda, and since when
an update counts. Three queries at most, whatever the number of items; one when no meeting's
requests can be due.

A meeting's requests can be due somewhere today when its first request day (the forum's
`update_lead_days` before it) is at most a day after `now`'s UTC date and the meeting is not
more than a day before it (local dates run at most a day either side of UTC).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery

from tracker.models import (
    LEAD_DAYS_MAX,
    UPCOMING_MEETING_STATUSES,
    ActionItem,
    AgendaEntry,
    Forum,
    Meeting,
    MeetingStatus,
)

from .policy import MeetingNeed, meeting_need


def meetings_in_window(now: dt.datetime) -> list[Meeting]:
    """The coming meetings whose requests for updates may be due today in some time zone, each
    with `last_held` (the date of the forum's last held meeting before it, or None)."""
    today = now.astimezone(dt.UTC).date()
    last_held = (
        Meeting.objects.filter(
            forum_id=OuterRef("forum_id"), status=MeetingStatus.HELD, date__lt=OuterRef("date")
        )
        .order_by("-date")
        .values("date")[:1]
    )
    near = Meeting.objects.filter(
        status__in=UPCOMING_MEETING_STATUSES,
        date__gte=today - dt.timedelta(days=1),
        date__lte=today + dt.timedelta(days=LEAD_DAYS_MAX + 1),
    )
    found = near.select_related("forum").annotate(last_held=Subquery(last_held)).order_by("date")
    horizon = today + dt.timedelta(days=1)
    return [m for m in found if m.date - dt.timedelta(days=m.forum.update_lead_days) <= horizon]


def agenda_q(meetings: list[Meeting]) -> Q:
    """Items on the agenda of any of `meetings`: explicitly, or open items of their forums."""
    if not meetings:
        return Q(pk__in=[])
    entries = AgendaEntry.objects.filter(meeting__in=[m.pk for m in meetings])
    forum_items = Forum.items.through.objects.filter(forum_id__in={m.forum_id for m in meetings})
    return Q(pk__in=entries.values("item_id")) | Q(pk__in=forum_items.values("actionitem_id"))


def attach_needs(
    items: QuerySet[ActionItem], loaded: dict[int, ActionItem], meetings: list[Meeting]
) -> None:
    """Give each of `loaded` (the rows of `items`) `meeting_needs`: the meetings among
    `meetings` it is on the agenda of, soonest first. Two queries, none without meetings."""
    for item in loaded.values():
        item.meeting_needs = ()
    if not meetings:
        return
    ids = items.order_by().values("pk")
    by_meeting: dict[int, set[int]] = {m.pk: set() for m in meetings}
    explicit = AgendaEntry.objects.filter(meeting__in=list(by_meeting), item__in=ids)
    for meeting_id, item_id in explicit.values_list("meeting_id", "item_id"):
        by_meeting[meeting_id].add(item_id)
    forums: dict[int, set[int]] = {}
    links = Forum.items.through.objects.filter(
        forum_id__in={m.forum_id for m in meetings}, actionitem__in=ids
    )
    for forum_id, item_id in links.values_list("forum_id", "actionitem_id"):
        forums.setdefault(forum_id, set()).add(item_id)
    needs: dict[int, list[MeetingNeed]] = {}
    for meeting in meetings:
        need = meeting_need(meeting)
        for item_id in by_meeting[meeting.pk] | forums.get(meeting.forum_id, set()):
            needs.setdefault(item_id, []).append(need)
    for item_id, found in needs.items():
        if item_id in loaded:
            loaded[item_id].meeting_needs = tuple(sorted(found, key=lambda n: n.date))

"""Forums and their meetings: agendas, whose update is in, holding, postponing, carrying over.

- An item is on a coming meeting's agenda explicitly (an AgendaEntry) or through its forum
  (Forum.items, while the item is open, or closed since the forum last met: the closing is
  reported there). When the meeting is held, that agenda is written down (entries for the
  forum's items), so a held meeting's agenda stays what it was.
- A forum's meetings are one series: holding a meeting carries its agenda items still open over
  to the forum's next coming meeting, and a meeting planned after a held one takes them too.
- An agenda item's update is "in" once it has a timeline entry since the forum's last held
  meeting before this one (with none, since the first request: `update_lead_days` before it).
- A postponement moves the date (the first one is kept); the requests move with it.

Meetings are not marked: anyone signed in may know of them. Their agendas show, and count, only
the items the viewer may see (releasability.py).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .models import (
    OPEN_STATUSES,
    UPCOMING_MEETING_STATUSES,
    ActionItem,
    AgendaEntry,
    AgendaReason,
    Forum,
    Meeting,
    MeetingStatus,
)
from .releasability import visible_items
from .workflow import WorkflowError, is_coordinator


class MeetingError(WorkflowError):
    """A change to a meeting the rules refuse; the message is meant for the user."""


def zone_of(meeting: Meeting) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(meeting.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first moment of local `day` in `zone`, in UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.UTC)


def request_days(*, lead_days: int, date: dt.date) -> tuple[dt.date, dt.date]:
    """The two days owners are asked for their update: `lead_days` before the meeting, then at
    half of that (at least one day before it)."""
    return date - dt.timedelta(days=lead_days), date - dt.timedelta(days=max(lead_days // 2, 1))


def is_upcoming(meeting: Meeting) -> bool:
    return meeting.status in UPCOMING_MEETING_STATUSES


def previous_held(meeting: Meeting) -> Meeting | None:
    """The forum's last held meeting before `meeting`."""
    return (
        Meeting.objects.filter(
            forum_id=meeting.forum_id, status=MeetingStatus.HELD, date__lt=meeting.date
        )
        .exclude(pk=meeting.pk)
        .order_by("-date", "-pk")
        .first()
    )


def update_since(*, meeting: Meeting, last_held_date: dt.date | None) -> dt.datetime:
    """From when a timeline entry counts as the update for `meeting`: the start of the day of
    the forum's last held meeting before it or, with none, of the first request day."""
    first_request, _second = request_days(
        lead_days=meeting.forum.update_lead_days, date=meeting.date
    )
    return day_start(last_held_date or first_request, zone_of(meeting))


def agenda_items(meeting: Meeting) -> QuerySet[ActionItem]:
    """Every item on the agenda (visible or not: callers narrow it). A held meeting's are its
    entries; a coming one's, its entries and its forum's items that are open or were closed
    since the forum last met (their closing is reported at this meeting)."""
    entries = AgendaEntry.objects.filter(meeting=meeting).values("item_id")
    if not is_upcoming(meeting):
        return ActionItem.objects.filter(pk__in=entries)
    forum_items = Forum.items.through.objects.filter(forum_id=meeting.forum_id)
    current = Q(status__in=OPEN_STATUSES)
    last = previous_held(meeting)
    if last is not None:
        current |= Q(last_update_at__gte=day_start(last.date, zone_of(last)))
    return ActionItem.objects.filter(
        Q(pk__in=entries) | (Q(pk__in=forum_items.values("actionitem_id")) & current)
    )


def awaiting_update_q(since: dt.datetime) -> Q:
    """Open items with no timeline entry since `since`."""
    return Q(status__in=OPEN_STATUSES) & (
        Q(last_update_at__isnull=True) | Q(last_update_at__lt=since)
    )


@dataclass(frozen=True)
class AgendaLine:
    item: ActionItem
    reason: str
    carried_from: Meeting | None
    update_in: bool | None  # None: a held meeting, or a closed item (nothing awaited)


def agenda(*, meeting: Meeting, user) -> list[AgendaLine]:
    """The agenda as `user` may see it, by key, each line saying how the item got there and,
    for a coming meeting, whether its update is in."""
    items = visible_items(user, agenda_items(meeting)).select_related("owner").order_by("key")
    entries = {
        e.item_id: e
        for e in AgendaEntry.objects.filter(meeting=meeting).select_related("carried_from")
    }
    since = None
    if is_upcoming(meeting):
        last = previous_held(meeting)
        since = update_since(meeting=meeting, last_held_date=last.date if last else None)
    lines = []
    for item in items:
        entry = entries.get(item.pk)
        update_in = None
        if since is not None and item.is_open:
            update_in = item.last_update_at is not None and item.last_update_at >= since
        lines.append(
            AgendaLine(
                item=item,
                reason=entry.reason if entry else AgendaReason.FORUM,
                carried_from=entry.carried_from if entry else None,
                update_in=update_in,
            )
        )
    return lines


def awaiting_count(*, meeting: Meeting, user) -> int:
    """How many agenda items `user` may see still await their update for coming `meeting`."""
    last = previous_held(meeting)
    since = update_since(meeting=meeting, last_held_date=last.date if last else None)
    return visible_items(user, agenda_items(meeting)).filter(awaiting_update_q(since)).count()


def coming_meetings(*, today: dt.date) -> QuerySet[Meeting]:
    return Meeting.objects.filter(status__in=UPCOMING_MEETING_STATUSES, date__gte=today)


def next_meeting_per_forum(*, user, today: dt.date) -> list[tuple[Meeting, int]]:
    """Each forum's next coming meeting with the number of its agenda items (that `user` may
    see) still awaiting an update, soonest first. One count a forum."""
    nexts: dict[int, Meeting] = {}
    for meeting in coming_meetings(today=today).select_related("forum").order_by("date", "pk"):
        nexts.setdefault(meeting.forum_id, meeting)
    return [(m, awaiting_count(meeting=m, user=user)) for m in nexts.values()]


def coming_meetings_with(*, items: QuerySet[ActionItem], today: dt.date) -> QuerySet[Meeting]:
    """Coming meetings with one of `items` on their agenda: by an entry of its own, or, for
    an open item, through the meeting's forum."""
    open_items = items.filter(status__in=OPEN_STATUSES).values("pk")
    on_agenda = Q(agenda_entries__item__in=items.values("pk")) | Q(forum__items__in=open_items)
    return coming_meetings(today=today).filter(on_agenda).distinct()


def next_meeting_of(*, item: ActionItem, today: dt.date) -> Meeting | None:
    """The soonest coming meeting with `item` on its agenda."""
    items = ActionItem.objects.filter(pk=item.pk)
    meetings = coming_meetings_with(items=items, today=today)
    return meetings.select_related("forum").order_by("date", "pk").first()


def _check_coordinator(by) -> None:
    if by is not None and not is_coordinator(by):
        raise MeetingError(_("Only a coordinator may change a meeting."))


def _carry(*, held: Meeting, into: Meeting) -> list[int]:
    """Put `held`'s agenda items still open on `into`'s agenda; returns their ids."""
    still_open = agenda_items(held).filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)
    ids = sorted(set(still_open) - set(into.agenda_entries.values_list("item_id", flat=True)))
    AgendaEntry.objects.bulk_create(
        AgendaEntry(meeting=into, item_id=pk, reason=AgendaReason.CARRIED, carried_from=held)
        for pk in ids
    )
    return ids


def next_of(meeting: Meeting) -> Meeting | None:
    """The forum's next coming meeting after `meeting`."""
    return (
        Meeting.objects.filter(
            forum_id=meeting.forum_id,
            status__in=UPCOMING_MEETING_STATUSES,
            date__gte=meeting.date,
        )
        .exclude(pk=meeting.pk)
        .order_by("date", "pk")
        .first()
    )


def carry_into(*, meeting: Meeting) -> list[int]:
    """A newly planned meeting takes the open agenda items of the forum's last held meeting
    before it, if it is that meeting's next one; returns the ids carried."""
    held = previous_held(meeting)
    if held is None or next_of(held) != meeting:
        return []
    return _carry(held=held, into=meeting)


def hold(
    *, meeting: Meeting, by, now: dt.datetime, minutes_en: str = "", minutes_ko: str = ""
) -> list[int]:
    """Mark a coming meeting held: its agenda is written down as it stands, the minutes kept,
    and its items still open carried over to the forum's next coming meeting (if one is
    planned; a meeting planned later takes them then). Returns the ids carried over.

    Refuses a meeting already held, and one whose day has not yet come in its time zone."""
    _check_coordinator(by)
    given = meeting
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("forum").get(pk=meeting.pk)
        if not is_upcoming(meeting):
            raise MeetingError(_("This meeting has already been held."))
        if meeting.date > now.astimezone(zone_of(meeting)).date():
            raise MeetingError(_("A meeting cannot be marked held before its date."))
        on_agenda = set(agenda_items(meeting).values_list("pk", flat=True))
        listed = set(meeting.agenda_entries.values_list("item_id", flat=True))
        AgendaEntry.objects.bulk_create(
            AgendaEntry(meeting=meeting, item_id=pk, reason=AgendaReason.FORUM)
            for pk in sorted(on_agenda - listed)
        )
        meeting.status = MeetingStatus.HELD
        meeting.minutes_en = minutes_en.strip() or meeting.minutes_en
        meeting.minutes_ko = minutes_ko.strip() or meeting.minutes_ko
        meeting.save()
        _sync(given, meeting)
        following = next_of(meeting)
        return _carry(held=meeting, into=following) if following else []


def _sync(target: Meeting, source: Meeting) -> None:
    """Let the caller's object reflect what was saved."""
    for name in ("status", "date", "original_date", "minutes_en", "minutes_ko"):
        setattr(target, name, getattr(source, name))


def postpone(*, meeting: Meeting, to: dt.date, by, now: dt.datetime) -> Meeting:
    """Move a coming meeting to a later day `to`; its first planned date is kept. The requests
    for updates move with it. Refuses a held meeting, and a day that is not after both the
    current date and today (in the meeting's time zone)."""
    _check_coordinator(by)
    given = meeting
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if not is_upcoming(meeting):
            raise MeetingError(_("A held meeting cannot be postponed."))
        today = now.astimezone(zone_of(meeting)).date()
        if to <= meeting.date or to <= today:
            raise MeetingError(_("Postpone to a day after the planned date and after today."))
        meeting.original_date = meeting.original_date or meeting.date
        meeting.date = to
        meeting.status = MeetingStatus.POSTPONED
        meeting.save()
    _sync(given, meeting)
    return given

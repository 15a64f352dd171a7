"""Who hears of what, and why: pure functions of the items, the recipient and `now`.

One policy for the sweep (who is due today) and for delivery (what is still due when the digest
is sent): an owner or co-owner hears of an open, unsnoozed item they may see when it needs a
follow-up, is due soon or is overdue; the lead organization's coordinator gets an escalation copy
once it is long overdue; the coordinators who may accept a claim of implementation hear of it
while it waits ("claims awaiting review"). Sections the recipient left out (their notification
settings) are left out. Nothing here reads the database.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from tracker import notifications
from tracker.meetings import request_days, update_since
from tracker.models import ActionItem, ReminderKind, Status
from tracker.releasability import can_see
from tracker.review import independent_reviewer

OWNER = "owner"
COORDINATOR = "coordinator"
REVIEWER = "reviewer"
# Days before the due date that start a "due soon" reminder: a week ahead, then the day before.
# (Not the dashboard's "due in the next 30 days" nor the admin's "due within 7/14/30 days".)
DUE_SOON_MARKS = (7, 1)
KIND_ORDER = (
    ReminderKind.MEETING,
    ReminderKind.OVERDUE,
    ReminderKind.DUE_SOON,
    ReminderKind.FOLLOW_UP,
    ReminderKind.ESCALATION,
    ReminderKind.REVIEW,
)
# The kinds the owner and escalation rules count as "reminded"; a claim's reminders count apart.
REVIEW_KINDS = (ReminderKind.REVIEW,)
ITEM_KINDS = tuple(kind for kind in KIND_ORDER if kind not in REVIEW_KINDS)


@dataclass(frozen=True)
class Holding:
    """An item and the role a recipient holds on it."""

    item: ActionItem
    role: str


@dataclass(frozen=True)
class MeetingNeed:
    """A coming meeting an item is on the agenda of, and when its owners are asked for an
    update: from `first_request`, again from `second_request`, until the meeting's day; an
    update (a timeline entry) since `since` answers it."""

    meeting_id: int
    label_en: str
    label_ko: str
    date: dt.date
    first_request: dt.date
    second_request: dt.date
    since: dt.datetime


def meeting_need(meeting) -> MeetingNeed:
    """`meeting` (with its forum, and `last_held`: the date of the forum's last held meeting
    before it, or None) as the policy reads it."""
    forum = meeting.forum
    first, second = request_days(lead_days=forum.update_lead_days, date=meeting.date)
    return MeetingNeed(
        meeting_id=meeting.pk,
        label_en=forum.short_name or forum.name_en,
        label_ko=forum.short_name or forum.name_ko or forum.name_en,
        date=meeting.date,
        first_request=first,
        second_request=second,
        since=update_since(meeting=meeting, last_held_date=meeting.last_held),
    )


def roles_on(
    *, owner_id: int | None, co_owner_ids: Iterable[int], coordinator_ids: Iterable[int]
) -> dict[int, str]:
    """Who holds which role on one item: its owner and co-owners are owners; those its
    escalation goes to (escalation.py), unless owners too, are its coordinators."""
    roles = {user_id: OWNER for user_id in co_owner_ids}
    if owner_id is not None:
        roles[owner_id] = OWNER
    for coordinator_id in coordinator_ids:
        roles.setdefault(coordinator_id, COORDINATOR)
    return roles


def is_snoozed(*, item: ActionItem, now: dt.datetime) -> bool:
    return item.snoozed_until is not None and item.snoozed_until > now


def may_hear_of(
    *, recipient, item: ActionItem, now: dt.datetime, snoozed_by_them: bool = False
) -> bool:
    """Whether `recipient` may be told of `item` at all right now: it is open, not snoozed (for
    everyone, or by them alone: `snoozed_by_them`), and releasable to them. (Whether it needs
    them today is entry_kind's question.)"""
    if snoozed_by_them or not item.is_open or is_snoozed(item=item, now=now):
        return False
    return can_see(recipient, item)


def may_review(*, recipient, item: ActionItem) -> bool:
    """Whether `recipient` (a coordinator: holdings chose them) may hear of `item`'s claim: it is
    still claimed, they may see it and may accept it. `item` carries claimant_id and
    claimant_country (holdings.py)."""
    if item.status != Status.IMPLEMENTATION_CLAIMED or not can_see(recipient, item):
        return False
    claimant = getattr(item, "claimant_id", None)
    country = getattr(item, "claimant_country", None)
    return independent_reviewer(recipient, claimant=claimant, claimant_country=country)


def _may_hear(*, recipient, holding: Holding, now: dt.datetime, snoozed_by_them: bool) -> bool:
    if holding.role == REVIEWER:
        return may_review(recipient=recipient, item=holding.item)
    return may_hear_of(
        recipient=recipient, item=holding.item, now=now, snoozed_by_them=snoozed_by_them
    )


def review_due(*, item: ActionItem, today: dt.date, zone, last: dt.date | None) -> bool:
    """A claim awaiting review: from the local day it was made, then every cadence."""
    if item.last_update_at is None:
        return False
    mark = item.last_update_at.astimezone(zone).date()
    return _repeat_due(item=item, mark=mark, today=today, last=last)


def _reminded_since(last: dt.date | None, mark: dt.date) -> bool:
    return last is not None and last >= mark


def _repeat_due(*, item: ActionItem, mark: dt.date, today: dt.date, last: dt.date | None) -> bool:
    """From `mark` on: remind, then again every cadence while nothing changes.

    A reminder counts only if it came on or after `mark`: a later update or snooze moves the
    follow-up date, and reminders before it no longer hold the next one back.
    """
    if today < mark:
        return False
    if not _reminded_since(last, mark):
        return True
    return last <= today - dt.timedelta(days=item.cadence_days)


def _follow_up(*, item: ActionItem, today: dt.date, zone, last: dt.date | None) -> bool:
    """The follow-up rule: due from the local day of the next follow-up, then every cadence."""
    if not item.is_follow_up_due(today, zone):
        return False
    return _repeat_due(item=item, mark=item.follow_up_day(zone), today=today, last=last)


def owner_kind(
    *, item: ActionItem, today: dt.date, zone: zoneinfo.ZoneInfo, last: dt.date | None
) -> str | None:
    """Why an owner hears about open `item` on local day `today`, or None.

    `last` is the local day the owner was last reminded of the item. Overdue: the first working
    day after the due date, then every cadence. Due soon: the first working day on or after the
    7-day and the 1-day marks. Follow-up: once the follow-up day has come, then every cadence.
    A mark that falls on a holiday is not lost: it is reminded on the next working day, because
    the rule asks "not reminded since the mark".
    """
    follow_up = _follow_up(item=item, today=today, zone=zone, last=last)
    due = item.due_date
    if item.is_overdue(today):
        overdue_from = due + dt.timedelta(days=1)
        if follow_up or not _reminded_since(last, overdue_from):
            return ReminderKind.OVERDUE
        return None
    if due is not None and (due - today).days <= max(DUE_SOON_MARKS):
        nearest = min(d for d in DUE_SOON_MARKS if d >= (due - today).days)
        if follow_up or not _reminded_since(last, due - dt.timedelta(days=nearest)):
            return ReminderKind.DUE_SOON
        return None
    return ReminderKind.FOLLOW_UP if follow_up else None


def pending_meeting(*, item: ActionItem, today: dt.date) -> MeetingNeed | None:
    """The soonest coming meeting (after local day `today`) whose requests have begun and for
    which `item` has no update yet, or None. Reads `item.meeting_needs` (reminders/agenda.py)."""
    for need in getattr(item, "meeting_needs", ()):
        if need.first_request <= today < need.date and not (
            item.last_update_at is not None and item.last_update_at >= need.since
        ):
            return need
    return None


def meeting_due(*, item: ActionItem, today: dt.date, last: dt.date | None) -> bool:
    """Whether an owner is asked today for `item`'s update before a meeting: on the first
    working day on or after each request day (the forum's lead days before the meeting, then
    half of them), unless reminded of the item since, and never once the update is in."""
    need = pending_meeting(item=item, today=today)
    if need is None:
        return False
    mark = need.second_request if today >= need.second_request else need.first_request
    return not _reminded_since(last, mark)


def escalation_due(*, item: ActionItem, today: dt.date, last: dt.date | None) -> bool:
    """Whether the lead organization's coordinator gets an escalation copy of open `item` today:
    from REMINDER_ESCALATION_DAYS days overdue on, then every cadence."""
    if item.due_date is None:
        return False
    mark = item.due_date + dt.timedelta(days=settings.REMINDER_ESCALATION_DAYS)
    return _repeat_due(item=item, mark=mark, today=today, last=last)


def entry_kind(
    *, holding: Holding, today: dt.date, zone: zoneinfo.ZoneInfo, last: dt.date | None
) -> str | None:
    """The section `holding.item` goes in today for someone in `holding.role`, or None (always
    for a closed item)."""
    if holding.role == REVIEWER:
        due = review_due(item=holding.item, today=today, zone=zone, last=last)
        return ReminderKind.REVIEW if due else None
    if not holding.item.is_open:
        return None
    if holding.role == OWNER:
        # Before a meeting, the request for an update comes first: it names the meeting.
        if meeting_due(item=holding.item, today=today, last=last):
            return ReminderKind.MEETING
        return owner_kind(item=holding.item, today=today, zone=zone, last=last)
    if escalation_due(item=holding.item, today=today, last=last):
        return ReminderKind.ESCALATION
    return None


def due_entries(
    *,
    recipient,
    today: dt.date,
    zone: zoneinfo.ZoneInfo,
    holdings: Iterable[Holding],
    last_reminded: dict[int, dt.date],
    now: dt.datetime,
    snoozed: frozenset[int] = frozenset(),
    last_reviewed: dict[int, dt.date] | None = None,
) -> list[tuple[ActionItem, str]]:
    """What `recipient` hears of on local day `today`: (item, kind) for each item they hold a
    role on, may hear of, and that needs them today, in the sections they want. `last_reminded`
    maps item ids to the local day they were last reminded of it (failed and skipped digests do
    not count), `last_reviewed` the same for claims awaiting review; `snoozed` holds the ids of
    the items they snoozed for themselves."""
    entries = []
    for holding in holdings:
        item = holding.item
        mine = item.pk in snoozed
        if not _may_hear(recipient=recipient, holding=holding, now=now, snoozed_by_them=mine):
            continue
        days = (last_reviewed or {}) if holding.role == REVIEWER else last_reminded
        kind = entry_kind(holding=holding, today=today, zone=zone, last=days.get(item.pk))
        if kind and notifications.wants(recipient, kind):
            entries.append((item, kind))
    return entries


def kind_at_send(
    *,
    recipient,
    holding: Holding | None,
    claimed_kind: str,
    today: dt.date,
    zone: zoneinfo.ZoneInfo,
    last: dt.date | None,
    now: dt.datetime,
    by_hand: bool,
    snoozed_by_them: bool = False,
) -> str | None:
    """The section an item claimed for a digest goes in when the digest is sent, or None when it
    has left the digest since the claim: closed, snoozed, reassigned (no `holding` any more) or
    no longer releasable to the recipient. A digest the sweep claimed also asks its timing rules
    again (`last` is the day of the latest other digest): an item updated since the claim no
    longer needs a follow-up. A digest a coordinator sent by hand keeps its kinds."""
    if holding is None or not _may_hear(
        recipient=recipient, holding=holding, now=now, snoozed_by_them=snoozed_by_them
    ):
        return None
    kind = (
        claimed_kind if by_hand else entry_kind(holding=holding, today=today, zone=zone, last=last)
    )
    return kind if kind and notifications.wants(recipient, kind) else None


def worst_first(entries: Iterable[tuple[ActionItem, str]]) -> list[tuple[ActionItem, str]]:
    """A digest's order: by section, then the longest overdue or soonest due first (no due date
    last), then by key."""
    return sorted(
        entries,
        key=lambda e: (KIND_ORDER.index(e[1]), e[0].due_date or dt.date.max, e[0].key),
    )

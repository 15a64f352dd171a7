"""News for digests: mentions, and changes on the items a person follows.

A follower (a Watch row: they chose to watch, commented, or were mentioned) hears of an item's
status changes and reviews, due-date moves, owner changes, comments and evidence made by someone
else since they started following it; a person mentioned in a comment hears of the comment. Each
is told once: a timeline entry carried by one of their digests that was sent or is pending
(ReminderNews) is not told again; one carried by a digest that failed or was skipped is. Only
entries of the last DIGEST_NEWS_DAYS days are told, and only of items the person may still see
(asked again when the digest is sent). A constant number of queries, whatever the number of
items or followers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings

from tracker import notifications
from tracker.models import (
    Mention,
    ReminderKind,
    ReminderNews,
    ReminderState,
    StatusUpdate,
    UpdateKind,
    Watch,
)
from tracker.releasability import can_see

CHANGE_KINDS = (
    UpdateKind.STATUS,
    UpdateKind.DUE_DATE,
    UpdateKind.REASSIGN,
    UpdateKind.COMMENT,
    UpdateKind.EVIDENCE,
    UpdateKind.CLAIM,
    UpdateKind.CLAIM_RETURNED,
    UpdateKind.CLAIM_ACCEPTED,
)
# Edits, imports and report reloads are news when they moved one of these fields.
FIELD_KINDS = (UpdateKind.EDIT, UpdateKind.IMPORT, UpdateKind.SEED)
FOLLOWED_FIELDS = frozenset({"owner", "co_owners", "due_date"})


@dataclass(frozen=True)
class News:
    """A timeline entry (with its item and author) a digest tells of, and why: MENTION or
    WATCHED."""

    update: StatusUpdate
    kind: str


def _is_news(update: StatusUpdate) -> bool:
    if update.kind in CHANGE_KINDS:
        return True
    moved = {change.get("field") for change in update.changes or [] if isinstance(change, dict)}
    return update.kind in FIELD_KINDS and bool(moved & FOLLOWED_FIELDS)


def _candidates(now: dt.datetime) -> dict[tuple[int, int], str]:
    """(person id, timeline entry id) -> MENTION or WATCHED, for entries of the last
    DIGEST_NEWS_DAYS days made by someone else since the person followed the item: two
    queries."""
    since = now - dt.timedelta(days=settings.DIGEST_NEWS_DAYS)
    rows = StatusUpdate.objects.filter(
        created_at__gt=since,
        created_at__lte=now,
        kind__in=CHANGE_KINDS + FIELD_KINDS,
        item__watches__isnull=False,
    ).values_list("pk", "author_id", "created_at", "item__watches__user_id",
                  "item__watches__created_at")  # fmt: skip
    pairs: dict[tuple[int, int], str] = {}
    for pk, author_id, created, watcher, watching_since in rows:
        if watcher != author_id and created >= watching_since:
            pairs[(watcher, pk)] = ReminderKind.WATCHED
    mentioned = Mention.objects.filter(
        update__created_at__gt=since, update__created_at__lte=now
    ).values_list("user_id", "update_id")
    for user_id, update_id in mentioned:
        pairs[(user_id, update_id)] = ReminderKind.MENTION
    return pairs


def _told(update_ids) -> set[tuple[int, int]]:
    """(person id, timeline entry id) already carried by a digest sent or pending."""
    rows = ReminderNews.objects.filter(update_id__in=list(update_ids)).exclude(
        reminder__state__in=(ReminderState.FAILED, ReminderState.SKIPPED)
    )
    return set(rows.values_list("reminder__recipient_id", "update_id"))


def _entries(ids) -> dict[int, StatusUpdate]:
    """The timeline entries `ids`, each with its item and author."""
    rows = StatusUpdate.objects.filter(pk__in=list(ids)).select_related("item", "author")
    return {update.pk: update for update in rows}


def pending_news(*, now: dt.datetime) -> dict[int, list[News]]:
    """person id -> the news not told to them yet, oldest first (four queries). Whether each
    may be told now (releasability, the sections they want) is `news_for`'s question."""
    pairs = _candidates(now)
    if not pairs:
        return {}
    told = _told({update_id for _user, update_id in pairs})
    updates = _entries({update_id for (_user, update_id) in pairs})
    found: dict[int, list[News]] = defaultdict(list)
    for (user_id, update_id), kind in pairs.items():
        update = updates.get(update_id)
        if (user_id, update_id) in told or update is None or not _is_news(update):
            continue
        found[user_id].append(News(update=update, kind=kind))
    for news in found.values():
        news.sort(key=lambda n: (n.update.created_at, n.update.pk))
    return found


def news_for(*, recipient, news: list[News]) -> list[News]:
    """What of `news` `recipient` may be told: items they may see, sections they want."""
    return [
        n
        for n in news
        if can_see(recipient, n.update.item) and notifications.wants(recipient, n.kind)
    ]


def news_at_send(reminders: list) -> dict[int, tuple[list[News], list[int]]]:
    """reminder id -> (the news it still tells, the ids of its news rows to drop): a person
    who stopped following the item, a mention taken out by an edit, an item no longer
    releasable to them, or a section they left out since the claim. Four queries."""
    rows = (
        ReminderNews.objects.filter(reminder__in=reminders)
        .select_related("update__item", "update__author")
        .prefetch_related("update__evidence")
    )
    by_reminder: dict[int, list[ReminderNews]] = defaultdict(list)
    for row in rows.order_by("update__created_at", "update_id"):
        by_reminder[row.reminder_id].append(row)
    people = {r.recipient_id for r in reminders}
    items = {row.update.item_id for group in by_reminder.values() for row in group}
    watching = set(
        Watch.objects.filter(user_id__in=people, item_id__in=items).values_list(
            "user_id", "item_id"
        )
    )
    updates = {row.update_id for group in by_reminder.values() for row in group}
    mentions = set(
        Mention.objects.filter(user_id__in=people, update_id__in=updates).values_list(
            "user_id", "update_id"
        )
    )
    return {r.pk: _still_told(r, by_reminder.get(r.pk, []), watching, mentions) for r in reminders}


def _still_told(reminder, rows: list, watching: set, mentions: set) -> tuple[list[News], list[int]]:
    """(the news `reminder` still tells, the ids of its rows that left it)."""
    user, kept, dropped = reminder.recipient, [], []
    for row in rows:
        if row.kind == ReminderKind.MENTION:
            still = (user.pk, row.update_id) in mentions
        else:
            still = (user.pk, row.update.item_id) in watching
        news = News(update=row.update, kind=row.kind)
        if still and news_for(recipient=user, news=[news]):
            kept.append(news)
        else:
            dropped.append(row.pk)
    return kept, dropped

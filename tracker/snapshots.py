"""Snapshots: the chosen items as they stood at a moment, for one edition, frozen and citable.

- What is chosen: a report's items, a forum's, a meeting's agenda, or the items a list filter
  chose (the caller resolves the filter: `items`).
- As they stood at `as_of` (now or a past moment): each item's fields from its field history
  (django-simple-history: the latest history row at or before `as_of`, which workflow.py dates
  as the timeline) and its last update from the timeline. An item that did not exist then is
  left out. Forum and agenda membership are today's.
- For one edition (releasability.EDITION_MARKINGS): only items whose marking then and now are
  both releasable to the audience named; the coordinator freezing must be cleared for every
  marking of that edition, and sees only what they may see.
- Frozen: a number (1, 2, ...), the content as JSON, and the SHA-256 of its canonical form
  (`digest`), which `verify` recomputes. Nothing here changes a snapshot once written.
- Opened (page, PDF, CSV, XLSX, comparison) only by those who may see every item it holds:
  cleared for each marking it holds, and each of its items that still exists visible to them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from .meetings import agenda_items
from .models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    Edition,
    Forum,
    Meeting,
    Organization,
    ScopeKind,
    Snapshot,
    Source,
    StatusUpdate,
    Theme,
    UpdateKind,
)
from .releasability import edition_markings, editions_for, may_see_markings, visible_items
from .workflow import WorkflowError, is_coordinator

FORMAT = 1
# Timeline entries that are an update of the item (snoozes and reassignments are not).
UPDATE_KINDS = (UpdateKind.STATUS, UpdateKind.NOTE, UpdateKind.ON_TRACK, UpdateKind.OUTCOME)
NOTE_SHOWN = 500


class SnapshotError(WorkflowError):
    """A snapshot the rules refuse to freeze; the message is meant for the user."""


@dataclass(frozen=True)
class Scope:
    """What a snapshot covers, as stored with it and cited."""

    kind: str
    source: Source | None = None
    forum: Forum | None = None
    meeting: Meeting | None = None
    query: str = ""

    def items(self) -> QuerySet[ActionItem]:
        """The items in scope now (every one: callers narrow by releasability). A filter's are
        resolved by the caller, who passes them to `freeze`."""
        if self.kind == ScopeKind.SOURCE:
            return ActionItem.objects.filter(source=self.source)
        if self.kind == ScopeKind.FORUM:
            return self.forum.items.all()
        if self.kind == ScopeKind.MEETING:
            return agenda_items(self.meeting)
        raise SnapshotError(_("A filter's items are given by the list they come from."))

    def described(self) -> dict:
        label = {
            ScopeKind.SOURCE: lambda: (self.source.title_en, self.source.title_ko),
            ScopeKind.FORUM: lambda: (self.forum.name_en, self.forum.name_ko),
            ScopeKind.MEETING: lambda: (
                f"{self.meeting.forum.label} {self.meeting.date.isoformat()}",
                f"{self.meeting.forum.label} {self.meeting.date.isoformat()}",
            ),
            ScopeKind.FILTER: lambda: (self.query, self.query),
        }[self.kind]()
        return {"kind": self.kind, "label_en": label[0], "label_ko": label[1], "query": self.query}


def scope_of(snapshot: Snapshot) -> Scope:
    return Scope(
        kind=snapshot.scope,
        source=snapshot.source,
        forum=snapshot.forum,
        meeting=snapshot.meeting,
        query=snapshot.filter_query,
    )


# --- Rebuilding the past --------------------------------------------------------------------------


def _latest(queryset: QuerySet, *, partition: str, order: list) -> QuerySet:
    """The first row of each `partition` in `order`: one query, whatever the number of items."""
    ranked = queryset.annotate(
        rank=Window(RowNumber(), partition_by=[F(partition)], order_by=order)
    )
    return ranked.filter(rank=1)


def history_at(items: QuerySet[ActionItem], as_of: dt.datetime) -> list:
    """Each of `items` as it stood at `as_of`: its latest history row then, by key. Items that
    did not exist then (no row, or a deletion row) are left out."""
    rows = _latest(
        ActionItem.history.filter(id__in=items.order_by().values("pk"), history_date__lte=as_of),
        partition="id",
        order=[F("history_date").desc(), F("history_id").desc()],
    )
    return sorted((r for r in rows if r.history_type != "-"), key=lambda r: r.key)


def last_updates_at(items: QuerySet[ActionItem], as_of: dt.datetime) -> dict[int, tuple]:
    """item id -> (when, note) of its latest update at or before `as_of`."""
    entries = _latest(
        StatusUpdate.objects.filter(
            item__in=items.order_by().values("pk"), created_at__lte=as_of, kind__in=UPDATE_KINDS
        ),
        partition="item_id",
        order=[F("created_at").desc(), F("id").desc()],
    )
    return {
        e.item_id: (e.created_at, e.note) for e in entries.only("item_id", "created_at", "note")
    }


def _names(rows: list) -> dict[str, dict]:
    """The people, themes, organizations, reports and meetings the rows name, by id."""
    users = get_user_model().objects.filter(pk__in={r.owner_id for r in rows if r.owner_id})
    meetings = Meeting.objects.filter(pk__in={r.origin_meeting_id for r in rows}).select_related(
        "forum"
    )
    return {
        "users": {u.pk: (u.get_username(), u.get_full_name()) for u in users},
        "themes": {t.pk: t for t in Theme.objects.filter(pk__in={r.theme_id for r in rows})},
        "orgs": {
            o.pk: o
            for o in Organization.objects.filter(pk__in={r.lead_organization_id for r in rows})
        },
        "sources": {s.pk: s for s in Source.objects.filter(pk__in={r.source_id for r in rows})},
        "meetings": {m.pk: str(m) for m in meetings},
    }


def _row(r, names: dict, last: tuple | None, day: dt.date) -> dict:
    owner, owner_name = names["users"].get(r.owner_id, ("", ""))
    theme, lead, source = (
        names["themes"][r.theme_id],
        names["orgs"][r.lead_organization_id],
        (names["sources"][r.source_id]),
    )
    return {
        "item_id": r.id,
        "key": r.key,
        "title_en": r.title_en,
        "title_ko": r.title_ko,
        "status": r.status,
        "priority": r.priority,
        "marking": r.marking,
        "due_date": r.due_date.isoformat() if r.due_date else None,
        "overdue": r.status in OPEN_STATUSES and r.due_date is not None and r.due_date < day,
        "owner": owner,
        "owner_name": owner_name,
        "theme_en": theme.title_en,
        "theme_ko": theme.title_ko,
        "lead_en": lead.name_en,
        "lead_ko": lead.name_ko,
        "source_key": source.key,
        "source_title": source.title_en,
        "paragraph": r.paragraph,
        "excerpt": r.excerpt,
        "origin_meeting": names["meetings"].get(r.origin_meeting_id, ""),
        "last_update_at": last[0].isoformat() if last else None,
        "last_update_note": last[1][:NOTE_SHOWN] if last else "",
    }


def summary_of(rows: list[dict]) -> dict:
    by_status: dict[str, int] = {}
    for row in rows:
        by_status[row["status"]] = by_status.get(row["status"], 0) + 1
    return {
        "total": len(rows),
        "open": sum(n for s, n in by_status.items() if s in OPEN_STATUSES),
        "closed": sum(n for s, n in by_status.items() if s in CLOSED_STATUSES),
        "overdue": sum(1 for row in rows if row["overdue"]),
        "by_status": by_status,
    }


def rows_at(
    *, items: QuerySet[ActionItem], edition: str, as_of: dt.datetime, day: dt.date
) -> list[dict]:
    """The rows of `items` (already narrowed to what the caller may see) as they stood at
    `as_of`, in `edition` (marking then and now both releasable to it); `day` is the local date
    of `as_of`, for "overdue". A fixed number of queries, whatever the number of items."""
    markings = sorted(edition_markings(edition))
    items = items.filter(marking__in=markings)
    then = [r for r in history_at(items, as_of) if r.marking in markings]
    last = last_updates_at(items, as_of)
    names = _names(then)
    return [_row(r, names, last.get(r.id), day) for r in then]


# --- Freezing -------------------------------------------------------------------------------------


def canonical(content: dict) -> bytes:
    """The one byte form of a snapshot's content that its SHA-256 is taken of."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def digest(content: dict) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def verify(snapshot: Snapshot) -> bool:
    """Whether the stored content still has the SHA-256 stored with it."""
    return digest(snapshot.content) == snapshot.sha256


def _check_freeze(*, by, edition: str, as_of: dt.datetime, now: dt.datetime) -> None:
    if by is not None and not is_coordinator(by):
        raise SnapshotError(_("Only a coordinator may freeze a status report."))
    if edition not in Edition.values:
        raise SnapshotError(_("Unknown edition."))
    if by is not None and not may_see_markings(by, edition_markings(edition)):
        raise SnapshotError(_("You may not freeze an edition for an audience you are not part of."))
    if as_of > now:
        raise SnapshotError(_("A snapshot cannot be taken of a moment still to come."))


@dataclass(frozen=True)
class Request:
    """What a coordinator asks to freeze."""

    scope: Scope
    edition: str
    as_of: dt.datetime
    zone: dt.tzinfo
    title_en: str = ""
    title_ko: str = ""


def default_titles(scope: Scope) -> tuple[str, str]:
    """A title for a report nobody named: what it covers, in English and in Korean."""
    label = scope.described()
    en, ko = label["label_en"], label["label_ko"] or label["label_en"]
    if scope.kind == ScopeKind.SOURCE:
        return f"Status of the recommendations of “{en}”", f"「{ko}」 권고 이행 현황"
    if scope.kind == ScopeKind.FORUM:
        return f"Status of the {scope.forum.label} items", f"{scope.forum.label} 항목 현황"
    if scope.kind == ScopeKind.MEETING:
        forum, date = scope.meeting.forum.label, scope.meeting.date.isoformat()
        return (
            f"Status of the agenda of the {forum} meeting of {date}",
            f"{forum} {date} 회의 의제 현황",
        )
    return f"Status of the items chosen by “{en}”", f"“{ko}” 조건의 항목 현황"


def content_for(*, request: Request, items: QuerySet[ActionItem], by, now: dt.datetime) -> dict:
    """The snapshot's content without its number (a comparison with now uses it as is)."""
    day = request.as_of.astimezone(request.zone).date()
    visible = visible_items(by, items) if by is not None else items
    rows = rows_at(items=visible, edition=request.edition, as_of=request.as_of, day=day)
    title_en, title_ko = default_titles(request.scope)
    return {
        "format": FORMAT,
        "title_en": request.title_en.strip() or title_en,
        "title_ko": request.title_ko.strip() or title_ko,
        "as_of": request.as_of.astimezone(dt.UTC).isoformat(),
        "as_of_date": day.isoformat(),
        "edition": request.edition,
        "markings": sorted(edition_markings(request.edition)),
        "scope": request.scope.described(),
        "frozen_at": now.astimezone(dt.UTC).isoformat(),
        "frozen_by": by.get_username() if by is not None else "",
        "summary": summary_of(rows),
        "items": rows,
    }


def freeze(
    *, request: Request, by, now: dt.datetime, items: QuerySet[ActionItem] | None = None
) -> Snapshot:
    """Freeze a numbered snapshot of the items in `request.scope` (or `items`, a filter's) as
    they stood at `request.as_of`, for `request.edition`. Two freezes at once get two numbers."""
    _check_freeze(by=by, edition=request.edition, as_of=request.as_of, now=now)
    chosen = items if items is not None else request.scope.items()
    content = content_for(request=request, items=chosen, by=by, now=now)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return _store(request=request, content=content, by=by, now=now)
        except IntegrityError:  # another freeze took the number: take the next one
            continue
    raise SnapshotError(_("The snapshot could not be numbered; try again."))


def _store(*, request: Request, content: dict, by, now: dt.datetime) -> Snapshot:
    number = (Snapshot.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    content = {**content, "number": number}
    scope = request.scope
    return Snapshot.objects.create(
        number=number,
        title_en=content["title_en"],
        title_ko=content["title_ko"],
        as_of=request.as_of,
        edition=request.edition,
        scope=scope.kind,
        source=scope.source,
        forum=scope.forum,
        meeting=scope.meeting,
        filter_query=scope.query,
        item_count=len(content["items"]),
        content=content,
        sha256=digest(content),
        created_at=now,
        created_by=by,
    )


def citation(snapshot: Snapshot, *, language: str | None = None) -> str:
    """“Status of the CSIS-DAPA 2021 recommendations as of 2026-12-04, snapshot 12”."""
    content = snapshot.content
    title = content["title_ko"] if language == "ko" and content.get("title_ko") else None
    return _("%(title)s as of %(date)s, snapshot %(number)d") % {
        "title": title or content["title_en"],
        "date": content["as_of_date"],
        "number": snapshot.number,
    }


# --- Who may open one -----------------------------------------------------------------------------


def may_open(user, snapshot: Snapshot) -> bool:
    """Whether `user` may see every item `snapshot` holds: cleared for each marking it holds
    then, and each of its items that still exists visible to them now."""
    rows = snapshot.content.get("items", [])
    if not may_see_markings(user, {row["marking"] for row in rows}):
        return False
    ids = {row["item_id"] for row in rows}
    visible = visible_items(user, ActionItem.objects.filter(pk__in=ids)).values("pk")
    return not ActionItem.objects.filter(pk__in=ids).exclude(pk__in=visible).exists()


def openable(user) -> QuerySet[Snapshot]:
    """Snapshots of an edition `user` is cleared for (each still checked with may_open)."""
    return Snapshot.objects.filter(edition__in=editions_for(user))


def previous_of(snapshot: Snapshot) -> Snapshot | None:
    """The latest earlier snapshot of the same items and edition (what "what changed" compares
    with by default)."""
    return (
        Snapshot.objects.filter(
            number__lt=snapshot.number,
            edition=snapshot.edition,
            scope=snapshot.scope,
            source=snapshot.source,
            forum=snapshot.forum,
            meeting=snapshot.meeting,
            filter_query=snapshot.filter_query,
        )
        .order_by("-number")
        .first()
    )


def live_content(*, snapshot: Snapshot, by, now: dt.datetime, zone: dt.tzinfo, items=None) -> dict:
    """The same items and edition as `snapshot`, as they stand at `now` (not stored): what a
    comparison with now compares with. A filter's items are given again by the caller."""
    request = Request(scope=scope_of(snapshot), edition=snapshot.edition, as_of=now, zone=zone)
    chosen = items if items is not None else request.scope.items()
    return content_for(request=request, items=chosen, by=by, now=now)

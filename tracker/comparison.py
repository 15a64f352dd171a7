"""What changed between two snapshots' contents (or a snapshot and now): pure functions.

Items are matched by key. Listed: items closed (open then, closed now), reopened, newly overdue
(open and overdue now, not overdue then), due dates moved (by how many days), owners changed,
new items (not in the first), and items no longer in the report (not in the second).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .models import CLOSED_STATUSES, OPEN_STATUSES


@dataclass(frozen=True)
class Change:
    key: str
    title_en: str
    title_ko: str
    before: str = ""
    after: str = ""
    days: int | None = None  # a due date's move, later is positive


@dataclass
class Changes:
    closed: list[Change] = field(default_factory=list)
    reopened: list[Change] = field(default_factory=list)
    newly_overdue: list[Change] = field(default_factory=list)
    due_moved: list[Change] = field(default_factory=list)
    owner_changed: list[Change] = field(default_factory=list)
    new_items: list[Change] = field(default_factory=list)
    dropped: list[Change] = field(default_factory=list)

    def groups(self) -> list[tuple[str, list[Change]]]:
        return [(name, getattr(self, name)) for name in GROUPS]

    @property
    def count(self) -> int:
        return sum(len(changes) for _name, changes in self.groups())


GROUPS = (
    "closed",
    "reopened",
    "newly_overdue",
    "due_moved",
    "owner_changed",
    "new_items",
    "dropped",
)


def _change(row: dict, **fields) -> Change:
    return Change(key=row["key"], title_en=row["title_en"], title_ko=row["title_ko"], **fields)


def _days(before: str | None, after: str | None) -> int | None:
    if not before or not after:
        return None
    return (dt.date.fromisoformat(after) - dt.date.fromisoformat(before)).days


def _compare_one(changes: Changes, old: dict, new: dict) -> None:
    if old["status"] in OPEN_STATUSES and new["status"] in CLOSED_STATUSES:
        changes.closed.append(_change(new, before=old["status"], after=new["status"]))
    if old["status"] in CLOSED_STATUSES and new["status"] in OPEN_STATUSES:
        changes.reopened.append(_change(new, before=old["status"], after=new["status"]))
    if new["overdue"] and not old["overdue"]:
        changes.newly_overdue.append(_change(new, after=new["due_date"] or ""))
    if old["due_date"] != new["due_date"]:
        changes.due_moved.append(
            _change(
                new,
                before=old["due_date"] or "",
                after=new["due_date"] or "",
                days=_days(old["due_date"], new["due_date"]),
            )
        )
    if old["owner"] != new["owner"]:
        changes.owner_changed.append(_change(new, before=old["owner"], after=new["owner"]))


def compare(before: dict, after: dict) -> Changes:
    """The changes from content `before` to content `after` (snapshot contents), by key."""
    old = {row["key"]: row for row in before["items"]}
    new = {row["key"]: row for row in after["items"]}
    changes = Changes()
    for key in sorted(new):
        if key in old:
            _compare_one(changes, old[key], new[key])
        else:
            changes.new_items.append(_change(new[key], after=new[key]["status"]))
    changes.dropped = [_change(old[key]) for key in sorted(old.keys() - new.keys())]
    return changes

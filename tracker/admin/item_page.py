"""What the item's admin page shows around the form: provenance, timeline, field history and
the reminders sent. Read-only: the timeline box is part of the item's form."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from tracker import selectors, workflow
from tracker.models import ActionItem

from .history import shown_value

HISTORY_SHOWN = 10
REMINDERS_SHOWN = 20


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    when: object
    who: object
    kind: str
    changes: list[FieldChange]


def field_history(item: ActionItem) -> list[HistoryEntry]:
    """The latest saved versions of the item, each with the fields it changed."""
    records = list(item.history.select_related("history_user")[: HISTORY_SHOWN + 1])
    entries = []
    for newer, older in zip(records, records[1:] + [None], strict=True):
        changes = []
        if older is not None:
            delta = newer.diff_against(older, foreign_keys_are_objs=True)
            for change in delta.changes:
                field = ActionItem._meta.get_field(change.field)
                changes.append(
                    FieldChange(
                        str(field.verbose_name),
                        shown_value(field, change.old),
                        shown_value(field, change.new),
                    )
                )
        entries.append(
            HistoryEntry(newer.history_date, newer.history_user, newer.history_type, changes)
        )
    return entries[:HISTORY_SHOWN]


def item_page_context(request, item: ActionItem, *, site_name: str) -> dict:
    user = request.user
    return {
        "item": item,
        "timeline": list(item.updates.select_related("author").prefetch_related("evidence")),
        "reassign_url": reverse(
            "admin:tracker_actionitem_reassign", args=[item.pk], current_app=site_name
        )
        if workflow.is_coordinator(user)
        else None,
        "field_history": field_history(item),
        "reminder_entries": selectors.item_reminder_log(item=item, limit=REMINDERS_SHOWN),
    }

"""What changed in an item's fields, kept on its timeline in words every reader can read.

A change is stored language-neutral on the StatusUpdate (`changes`: a list of
{"field", "old", "new"}): dates in ISO form, choice values, organizations, themes and reports with
their names in both languages, people by user name. `describe` turns an entry into lines in the
reader's own language when the page is drawn, so an entry written by a Korean coordinator reads
in English for an American reader, and the other way round.

workflow.py (admin edits, imports, reassignment) and seeding.py (report reloads) call
`snapshot`, `diff` and `record` here; the templates call `describe` (tracker/templatetags).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats
from django.utils.text import capfirst

from .models import ActionItem, StatusUpdate, pick_language

# The fields people type about an item, in form order, whose changes a reader should see. The
# workflow's own fields (status, follow-up times, snooze) have their own timeline entries.
TRACKED_FIELDS = (
    "title_en",
    "title_ko",
    "summary_en",
    "summary_ko",
    "source",
    "theme",
    "paragraph",
    "excerpt",
    "lead_organization",
    "partner_organizations",
    "owner",
    "owner_role_en",
    "owner_role_ko",
    "co_owners",
    "priority",
    "due_date",
    "cadence_days",
    "marking",
)
MANY_TO_MANY = ("partner_organizations", "co_owners")
# Long text is shown cut to this many characters on the timeline (the field history has it all).
SHOWN_CHARACTERS = 200


@dataclass(frozen=True)
class ChangeLine:
    """One changed field, ready to show: its label and values in the active language."""

    field: str
    label: str
    old: str
    new: str


def _named(obj) -> dict | str | None:
    """A related row as its key and its names in both languages (what a reader needs later,
    even if the row is renamed or deleted); a person as their user name."""
    if obj is None:
        return None
    if hasattr(obj, "name_en"):
        return {"key": obj.key, "en": obj.name_en, "ko": obj.name_ko}
    if hasattr(obj, "title_en"):
        return {"key": obj.key, "en": obj.title_en, "ko": obj.title_ko}
    return obj.get_username()


def _sort_key(value) -> str:
    return value["key"] if isinstance(value, dict) else str(value)


def _value(item: ActionItem, name: str):
    value = getattr(item, name)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return _named(value)
    return value


def snapshot(item: ActionItem, *, m2m: dict[str, list] | None = None) -> dict:
    """The tracked fields of `item` as language-neutral values.

    `m2m` gives many-to-many values that are not saved yet (a form's or an import row's); the
    others are read from the database (an unsaved item has none)."""
    values = {name: _value(item, name) for name in TRACKED_FIELDS if name not in MANY_TO_MANY}
    for name in MANY_TO_MANY:
        if m2m is not None and name in m2m:
            related = list(m2m[name])
        elif item.pk:
            related = list(getattr(item, name).all())
        else:
            related = []
        values[name] = sorted((_named(obj) for obj in related), key=_sort_key)
    return values


def diff(before: dict, after: dict) -> list[dict]:
    """The fields whose value differs, in TRACKED_FIELDS order, as stored on the timeline."""
    return [
        {"field": name, "old": before.get(name), "new": after.get(name)}
        for name in TRACKED_FIELDS
        if before.get(name) != after.get(name)
    ]


def record(
    *, item: ActionItem, by, now: dt.datetime, kind: str, changes: list[dict], note: str = ""
) -> StatusUpdate:
    """A timeline entry for `changes` (the item's status does not move)."""
    return StatusUpdate.objects.create(
        item=item,
        author=by,
        created_at=now,
        kind=kind,
        from_status=item.status,
        to_status=item.status,
        note=note,
        changes=changes,
    )


def _shown(field: models.Field, value) -> str:
    """A stored value as the active language writes it; "—" for nothing."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, list):
        return ", ".join(_shown(field, v) for v in value)
    if isinstance(value, dict):
        return pick_language(value.get("en") or "", value.get("ko") or "") or value.get("key", "")
    if isinstance(field, models.DateField) and isinstance(value, str):
        try:
            return formats.date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except ValueError:
            return value
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    text = str(value)
    if len(text) > SHOWN_CHARACTERS:
        return text[: SHOWN_CHARACTERS - 1] + "…"
    return text


def describe(update: StatusUpdate) -> list[ChangeLine]:
    """The entry's changed fields in the active language; a field the model no longer has is
    shown by its stored name."""
    lines = []
    for change in update.changes or []:
        name = change.get("field", "")
        try:
            field = ActionItem._meta.get_field(name)
        except FieldDoesNotExist:  # a field removed since: show what was stored
            lines.append(ChangeLine(name, name, str(change.get("old")), str(change.get("new"))))
            continue
        label = capfirst(str(field.verbose_name))
        lines.append(
            ChangeLine(
                name, label, _shown(field, change.get("old")), _shown(field, change.get("new"))
            )
        )
    return lines

"""Template filters of the tracker's pages: timeline entries in the reader's language, and whole
days between dates (a count reads better than “1주, 5일” and translates with a plural)."""

from __future__ import annotations

import datetime as dt

from django import template

from tracker import changes, comment_text, evidence
from tracker.models import StatusUpdate

register = template.Library()


@register.filter
def change_lines(update: StatusUpdate) -> list[changes.ChangeLine]:
    """`{% for line in update|change_lines %}`: label, old and new, in the active language."""
    return changes.describe(update)


@register.filter
def days_until(start: dt.date | None, end: dt.date | None) -> int | str:
    """`{{ due|days_until:today }}`: whole days from `start` to `end` ("" if either is missing)."""
    if not (isinstance(start, dt.date) and isinstance(end, dt.date)):
        return ""
    return (end - start).days


@register.filter
def comment_html(update: StatusUpdate):
    """A comment's text as safe HTML (Markdown-lite), its mentions marked."""
    names = frozenset(m.user.get_username() for m in update.mentions.all())
    return comment_text.render(update.note, mentioned=names)


@register.filter
def type_name(content_type: str) -> str:
    """`{{ e.content_type|type_name }}`: "PDF", "Word (DOCX)", ..."""
    return evidence.type_name(content_type)

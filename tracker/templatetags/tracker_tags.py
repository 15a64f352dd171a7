"""Template filters of the tracker's pages: timeline entries in the reader's language, and whole
days between dates (a count reads better than “1주, 5일” and translates with a plural)."""

from __future__ import annotations

import datetime as dt

from django import template

from tracker import changes
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

"""Template filters for timeline entries: their changed fields in the reader's language."""

from __future__ import annotations

from django import template

from tracker import changes
from tracker.models import StatusUpdate

register = template.Library()


@register.filter
def change_lines(update: StatusUpdate) -> list[changes.ChangeLine]:
    """`{% for line in update|change_lines %}`: label, old and new, in the active language."""
    return changes.describe(update)

"""Status pages. Thin: they read through selectors and releasability, and change through
workflow.py. An item the viewer may not see is a 404 everywhere, never a 403."""

from .calendar import calendar_feed, calendar_page, calendar_reset
from .dashboard import dashboard
from .item import item_detail, item_on_track, item_snooze, item_status, item_update
from .items import item_export, item_list
from .links import reminder_link
from .meetings import (
    meeting_detail,
    meeting_freeze,
    meeting_hold,
    meeting_list,
    meeting_new_item,
    meeting_outcome,
    meeting_postpone,
)
from .mine import my_items
from .snapshots import (
    snapshot_compare,
    snapshot_csv,
    snapshot_detail,
    snapshot_freeze,
    snapshot_list,
    snapshot_pdf,
    snapshot_xlsx,
)
from .tokens import api_token_revoke, api_tokens_page

__all__ = [
    "api_token_revoke",
    "api_tokens_page",
    "calendar_feed",
    "calendar_page",
    "calendar_reset",
    "dashboard",
    "item_detail",
    "item_export",
    "item_list",
    "item_on_track",
    "item_snooze",
    "item_status",
    "item_update",
    "my_items",
    "reminder_link",
    "meeting_detail",
    "meeting_freeze",
    "meeting_hold",
    "meeting_list",
    "meeting_new_item",
    "meeting_outcome",
    "meeting_postpone",
    "snapshot_compare",
    "snapshot_csv",
    "snapshot_detail",
    "snapshot_freeze",
    "snapshot_list",
    "snapshot_pdf",
    "snapshot_xlsx",
]

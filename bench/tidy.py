"""Housekeeping between stages on a data set (not measured)."""

from __future__ import annotations

from django.db import connection

from tracker.models import Reminder, ReminderItem, SweepRun


def vacuum_claims() -> None:
    """After a stage deletes the claims it made: what autovacuum (off on this machine's server)
    would do soon after. Without it the dead index entries pile up at the top of the reminders'
    keys, and every later plan that touches them walks the pile (10-30 ms a page, measured)."""
    tables = ", ".join(m._meta.db_table for m in (Reminder, ReminderItem, SweepRun))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {tables}")

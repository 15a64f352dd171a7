"""Who is due for a reminder, grouping into digests, and claiming them (plain functions).

The full policy arrives with the reminders issue; for now the sweep records that it ran.
"""

from __future__ import annotations

import datetime as dt

from .models import SweepRun


def sweep(*, now: dt.datetime) -> SweepRun:
    """Find who is due and claim their digests; records the run for /healthz."""
    run = SweepRun.objects.create(started_at=now)
    run.finished_at = now
    run.save(update_fields=["finished_at"])
    return run

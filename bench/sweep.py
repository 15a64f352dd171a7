"""Sweep stage: the product's reminder sweep beside its floor, on one data set.

`python -m bench.sweep --size N --now ISO` (DATABASE_URL names the data set) prints JSON:
median seconds of five committed runs each, SQL statements and tracemalloc peak of one more
instrumented run, the number of digests and entries claimed, and whether both claimed the same.
Each run's claims are deleted before the next, so every run starts from the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

import django

django.setup()

import holidays  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from tracker.models import Reminder, ReminderItem, SweepRun  # noqa: E402
from tracker.reminders.sweep import sweep  # noqa: E402

from .env import emit  # noqa: E402
from .floor_sql import INSERT_CLAIMS, SELECT_DUE  # noqa: E402
from .tidy import vacuum_claims  # noqa: E402

RUNS = 5  # at 1,000 items a run takes ~30 ms: one stray pause moves a median of 3


def ours(now: dt.datetime) -> None:
    # Finding and claiming; handing the claims to the broker (the task's enqueue_sends) is part
    # of the delivery measurement.
    sweep(now=now)


def _holidays(country: str, now: dt.datetime) -> list[dt.date]:
    years = [now.year - 1, now.year, now.year + 1]
    return sorted(holidays.country_holidays(country, years=years))


def floor(now: dt.datetime) -> None:
    """One SELECT of the due digests grouped by recipient, one INSERT of all the claims."""
    start = settings.REMINDER_LOCAL_HOUR * 60
    params = {
        "now": now,
        "site_zone": settings.TIME_ZONE,
        "window_start": start,
        "window_end": start + settings.REMINDER_WINDOW_HOURS * 60,
        "working_days_only": settings.REMINDER_ONLY_WORKING_DAYS,
        "us_holidays": _holidays("US", now),
        "kr_holidays": _holidays("KR", now),
        "escalation_days": settings.REMINDER_ESCALATION_DAYS,
    }
    with connection.cursor() as cursor:
        cursor.execute(SELECT_DUE, params)
        digests = cursor.fetchall()
        entries = [
            (recipient, item, kind)
            for recipient, _day, _before, items, kinds in digests
            for item, kind in zip(items, kinds, strict=True)
        ]
        cursor.execute(
            INSERT_CLAIMS,
            {
                "now": now,
                "max_attempts": settings.REMINDER_MAX_ATTEMPTS,
                "recipients": [d[0] for d in digests],
                "days": [d[1] for d in digests],
                "send_before": [d[2] for d in digests],
                "entry_recipients": [e[0] for e in entries],
                "entry_items": [e[1] for e in entries],
                "entry_kinds": [e[2] for e in entries],
            },
        )


def claimed(now: dt.datetime) -> set[tuple]:
    return set(
        ReminderItem.objects.filter(reminder__created_at=now).values_list(
            "reminder__recipient_id", "reminder__local_date", "item_id", "kind"
        )
    )


def reset(now: dt.datetime) -> None:
    """Forget the claims made at `now`: the data set's own digests are all older."""
    Reminder.objects.filter(created_at=now).delete()
    SweepRun.objects.filter(started_at=now).delete()
    vacuum_claims()


def timed(fn: Callable[[dt.datetime], None], now: dt.datetime) -> float:
    reset(now)
    started = time.perf_counter()
    fn(now)
    return time.perf_counter() - started


def instrumented(fn: Callable[[dt.datetime], None], now: dt.datetime) -> tuple[int, int]:
    """(SQL statements, tracemalloc peak bytes) of one run."""
    reset(now)
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    gc.collect()
    with connection.execute_wrapper(counter):
        tracemalloc.start()
        fn(now)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return count[0], peak


def measure(now: dt.datetime) -> dict:
    seconds: dict[str, list[float]] = {"ours": [], "floor": []}
    for _ in range(RUNS):  # alternate, so drift in the machine hits both alike
        seconds["ours"].append(timed(ours, now))
        seconds["floor"].append(timed(floor, now))
    result = {}
    for name, fn in (("ours", ours), ("floor", floor)):
        queries, peak = instrumented(fn, now)
        result[name] = {
            "seconds": statistics.median(seconds[name]),
            "runs": seconds[name],
            "queries": queries,
            "peak_bytes": peak,
            "claims": claimed(now),
        }
    ours_claims, floor_claims = result["ours"].pop("claims"), result["floor"].pop("claims")
    result["digests"] = len({(r, d) for r, d, _i, _k in ours_claims})
    result["entries"] = len(ours_claims)
    result["same_claims"] = ours_claims == floor_claims
    result["only_ours"] = sorted(ours_claims - floor_claims)[:5]
    result["only_floor"] = sorted(floor_claims - ours_claims)[:5]
    reset(now)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--now", required=True)
    args = parser.parse_args()
    emit({"size": args.size, **measure(dt.datetime.fromisoformat(args.now))})


if __name__ == "__main__":
    main()

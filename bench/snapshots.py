"""Snapshot stage: freezing a status report of a data set's items as of a past date, and rendering
its PDF, each beside exporting the same items' current CSV (the status pages' export).

`python -m bench.snapshots --size N --now ISO` (DATABASE_URL names the data set) prints JSON:
median seconds of three runs of each (freeze, PDF in both languages, CSV), SQL statements of a
freeze, tracemalloc peaks, the process's peak RSS, and the number of items frozen. The snapshot
is of every item of the data set (a filter's scope), for the U.S. edition (every item but the
ROK-only ones), as of 30 days before the data set's `now` (every item existed then), frozen by
the benchmark's coordinator (cleared for every marking). Each snapshot is deleted after its run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from tracker import reports, snapshots  # noqa: E402
from tracker.exports import csv_lines  # noqa: E402
from tracker.models import ActionItem, Edition, ScopeKind, Snapshot  # noqa: E402

from .env import LOGIN_USERNAME, emit  # noqa: E402

RUNS = 3
PDF_RUNS = 1  # a PDF of thousands of rows takes minutes: one run, reported as measured


def _freeze(now: dt.datetime, by) -> Snapshot:
    ask = snapshots.Request(
        scope=snapshots.Scope(kind=ScopeKind.FILTER, query="(every item: benchmark)"),
        edition=Edition.US,
        as_of=now - dt.timedelta(days=30),
        zone=dt.UTC,
    )
    return snapshots.freeze(request=ask, by=by, now=now, items=ActionItem.objects.all())


def _csv(ids: list[int]) -> int:
    lines = csv_lines(
        ActionItem.objects.filter(pk__in=ids).order_by("key"),
        link_for=lambda item: f"http://127.0.0.1/items/{item.key}/",
        language="en",
        tz=dt.UTC,
    )
    return sum(len(line) for line in lines)


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def _peak(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _statements(fn: Callable[[], object]) -> int:
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        fn()
    return count[0]


def measure(now: dt.datetime) -> dict:
    by = get_user_model().objects.get(username=LOGIN_USERNAME)
    Snapshot.objects.all().delete()
    seconds: dict[str, list[float]] = {"freeze": [], "csv": [], "pdf": []}
    snapshot = None
    for _ in range(RUNS):  # alternate, so drift in the machine hits both alike
        Snapshot.objects.all().delete()
        took, snapshot = _timed(lambda: _freeze(now, by))
        seconds["freeze"].append(took)
        ids = [row["item_id"] for row in snapshot.content["items"]]
        seconds["csv"].append(_timed(lambda ids=ids: _csv(ids))[0])
    for _ in range(PDF_RUNS):
        took, pdf = _timed(lambda: reports.pdf_bytes(snapshot=snapshot, language="both"))
        seconds["pdf"].append(took)
    Snapshot.objects.all().delete()
    freeze_statements = _statements(lambda: _freeze(now, by))
    Snapshot.objects.all().delete()
    freeze_peak = _peak(lambda: _freeze(now, by))
    csv_peak = _peak(lambda: _csv(ids))
    Snapshot.objects.all().delete()
    return {
        "items": len(ids),
        "seconds": {name: statistics.median(runs) for name, runs in seconds.items()},
        "runs": seconds,
        "freeze_statements": freeze_statements,
        "peak_bytes": {"freeze": freeze_peak, "csv": csv_peak},
        "pdf_bytes": len(pdf),
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--now", required=True)
    args = parser.parse_args()
    emit({"size": args.size, **measure(dt.datetime.fromisoformat(args.now))})


if __name__ == "__main__":
    main()

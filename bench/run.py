"""`make bench`: build the data sets, measure sweep, delivery and pages, print and write the table.

    python -m bench.run                      # everything, data sets built afresh (what CI-less
                                             # `make bench` runs; about ten minutes on 2 cores)
    python -m bench.run --reuse              # keep data sets built by an earlier run of this code
    python -m bench.run --only sweep,pages   # a subset

Data sets live in their own PostgreSQL databases (tracker_bench_<size>) and the workers use Redis
database 9, so nothing here touches the test suite's or the demo's state. Every process it starts
is stopped before it returns, on failure too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shlex
import sys
import time

from . import db, pages
from .env import LOGIN_PASSWORD, LOGIN_USERNAME, ROOT, VAR, run_stage, wait_for_postgres
from .report import Row, document, table, write

SIZES = (1_000, 10_000, 100_000)
DELIVERY_SIZE = 10_000
# The shape other trackers are measured on: 100,000 items, 50 owners, about 200 due each.
FEW_OWNERS = 50
FEW_OWNERS_SET = f"100000_{FEW_OWNERS}owners"
STAGES = ("sweep", "delivery", "pages", "few-owners", "snapshots", "api", "webhooks")
SNAPSHOT_SIZE = 10_000
PAGE_GOALS = {
    "dashboard": 0.15,
    "items list": 0.15,
    "item page": 0.15,
    "admin changelist": 0.1,
    "API items list (100 a page)": 0.15,
}
WEBHOOK_GOAL = 0.3
DATASETS = VAR / "datasets.json"


def fingerprint() -> str:
    """Changes whenever the schema or the builder does: a reused data set must match both."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "tracker" / "migrations").glob("*.py")) + [
        ROOT / "bench" / "dataset.py"
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(sizes: list, *, reuse: bool) -> dict:
    """Each data set's database, built (or reused); returns its key -> the `now` it was built
    around. A key is a size, or FEW_OWNERS_SET (100,000 items shared by FEW_OWNERS owners)."""
    VAR.mkdir(parents=True, exist_ok=True)
    known = json.loads(DATASETS.read_text()) if DATASETS.exists() else {}
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0).isoformat()
    template_made = False
    built: dict[int, str] = {}
    for size in sizes:
        entry = known.get(str(size), {})
        if (
            reuse
            and entry.get("fingerprint") == fingerprint()
            and db.exists(f"tracker_bench_{size}")
        ):
            built[size] = entry["now"]
            print(f"  {size} items: reusing the data set built around {entry['now']}")
            continue
        if not template_made:
            db.make_template()
            template_made = True
        db.copy_template(size)
        shape = ["--size", "100000", "--owners", str(FEW_OWNERS)] if size == FEW_OWNERS_SET else []
        shape = shape or ["--size", str(size)]
        result = run_stage("bench.dataset", *shape, "--now", now, size=size)
        counts = result["counts"]
        print(
            f"  {size} items: built in {result['seconds']} s "
            f"({counts['users']:,} users, {counts['due_items']:,} due, "
            f"{counts['updates']:,} updates, {counts['past_digests']:,} past digests)"
        )
        known[str(size)] = {"fingerprint": fingerprint(), "now": now}
        DATASETS.write_text(json.dumps(known, indent=1))
        built[size] = now
    return built


def sweep_rows(results: dict[int, dict]) -> list[Row]:
    rows = []
    sizes = sorted(results)
    for size in sizes:
        r = results[size]
        ratio = r["ours"]["seconds"] / r["floor"]["seconds"]
        rows.append(
            Row(
                f"sweep: seconds (median of {len(r['ours']['runs'])})",
                f"{size:,}",
                f"{r['ours']['seconds']:.3f} s",
                f"{r['floor']['seconds']:.3f} s",
                f"{ratio:.1f}×",
                "≤ 2× floor",
                ratio <= 2,
            )
        )
    counts = {results[s]["ours"]["queries"] for s in sizes}
    for size in sizes:
        r = results[size]
        rows.append(
            Row(
                "sweep: SQL statements",
                f"{size:,}",
                str(r["ours"]["queries"]),
                str(r["floor"]["queries"]),
                "—",
                "same at every size",
                len(counts) == 1,
            )
        )
    per_entry = {s: results[s]["ours"]["peak_bytes"] / max(results[s]["entries"], 1) for s in sizes}
    for size in sizes:
        r = results[size]
        base = per_entry.get(10_000)
        if size == 100_000 and base:
            growth = per_entry[size] / base
            ratio, goal, met = (
                f"{growth:.2f}× of 10,000",
                "≤ 1.5× of 10,000 per entry",
                growth <= 1.5,
            )
        else:
            ratio, goal, met = "—", "(reference)", None
        rows.append(
            Row(
                "sweep: peak Python memory (per due entry)",
                f"{size:,}",
                f"{r['ours']['peak_bytes'] / 2**20:.1f} MiB ({per_entry[size] / 1024:.1f} KiB)",
                f"{r['floor']['peak_bytes'] / 2**20:.1f} MiB",
                ratio,
                goal,
                met,
            )
        )
    for size in sizes:
        r = results[size]
        rows.append(
            Row(
                "sweep: digests (entries) claimed",
                f"{size:,}",
                f"{r['digests']:,} ({r['entries']:,})",
                "same rows" if r["same_claims"] else "DIFFERENT rows",
                "—",
                "same claims as the floor",
                r["same_claims"],
            )
        )
    return rows


def delivery_rows(result: dict) -> list[Row]:
    ratio = result["ours"]["rate"] / result["floor"]["rate"]
    complete = result["sent"] == result["digests"] == result["floor"]["accepted"]
    with_sweep = result["with_sweep"]["rate"]
    plain = result["smtplib"]["rate"]
    return [
        Row(
            f"delivery: digests/s from claim to acceptance ({result['digests']:,} digests, "
            f"2 worker processes, median of {len(result['runs'])} runs; floor: Django's SMTP "
            "backend, one connection, messages built beforehand)",
            f"{result['size']:,}",
            f"{result['ours']['rate']:.0f}/s",
            f"{result['floor']['rate']:.0f}/s",
            f"{ratio:.2f}",
            "≥ 0.5 × floor, all sent",
            ratio >= 0.5 and complete,
        ),
        Row(
            "delivery: beside a plain smtplib loop replaying the same bytes",
            f"{result['size']:,}",
            f"{result['ours']['rate']:.0f}/s",
            f"{plain:.0f}/s",
            f"{result['ours']['rate'] / plain:.2f}",
            "(reference)",
            None,
        ),
        Row(
            "delivery: digests/s from the sweep's start (finding the due items included)",
            f"{result['size']:,}",
            f"{with_sweep:.0f}/s",
            f"{result['floor']['rate']:.0f}/s",
            f"{with_sweep / result['floor']['rate']:.2f}",
            "(reference)",
            None,
        ),
    ]


def build_row(result: dict) -> Row:
    return Row(
        "delivery: building digests only (3 templates + MIME bytes, 1 process)",
        f"{result['size']:,}",
        f"{result['build_rate']:.0f}/s",
        f"{result['floor']['rate']:.0f}/s",
        f"{result['build_rate'] / result['floor']['rate']:.2f}",
        "(reference: work the floor skips)",
        None,
    )


def page_rows(size: int, loads: dict) -> list[Row]:
    rows = []
    for name, measured in loads.items():
        goal = PAGE_GOALS[name]
        if isinstance(measured, str):
            rows.append(
                Row(f"page: {name}", f"{size:,}", measured, "—", "—", f"≥ {goal} × trivial", False)
            )
            continue
        load, trivial = measured
        ratio = load.rate / trivial.rate
        rows.append(
            Row(
                f"page: {name} `{load.path}`",
                f"{size:,}",
                _load(load),
                _load(trivial),
                f"{ratio:.2f}",
                f"≥ {goal} × trivial view",
                ratio >= goal and load.errors == 0,
            )
        )
    return rows


def snapshot_rows(result: dict) -> list[Row]:
    """Freezing and the PDF beside exporting the same items' current CSV."""
    seconds, size = result["seconds"], f"{result['size']:,}"
    ratio = seconds["freeze"] / seconds["csv"]
    peaks = result["peak_bytes"]
    return [
        Row(
            f"snapshot: freeze {result['items']:,} items as of 30 days ago (U.S. edition), "
            f"seconds (median of {len(result['runs']['freeze'])}; "
            f"{result['freeze_statements']} SQL statements)",
            size,
            f"{seconds['freeze']:.2f} s",
            f"{seconds['csv']:.2f} s (CSV export of the same items)",
            f"{ratio:.1f}×",
            "≤ 5× the CSV export",
            ratio <= 5,
        ),
        Row(
            f"snapshot: its PDF in English and Korean ({result['pdf_bytes'] / 2**20:.1f} MiB)",
            size,
            f"{seconds['pdf']:.1f} s",
            f"{seconds['csv']:.2f} s (CSV export)",
            f"{seconds['pdf'] / seconds['csv']:.0f}×",
            "(reported)",
            None,
        ),
        Row(
            "snapshot: memory (tracemalloc peak of a freeze; the stage's peak RSS, PDF included)",
            size,
            f"{peaks['freeze'] / 2**20:.0f} MiB; RSS {result['max_rss_bytes'] / 2**20:.0f} MiB",
            f"{peaks['csv'] / 2**20:.1f} MiB (CSV export)",
            "—",
            "(reported)",
            None,
        ),
    ]


def few_owners_row(swept: dict, delivered: dict) -> Row:
    """Sweep plus delivery of the few-owners data set beside the sum of the two floors."""
    ours = swept["ours"]["seconds"] + delivered["ours"]["seconds"]
    floor = swept["floor"]["seconds"] + delivered["floor"]["seconds"]
    return Row(
        f"sweep + delivery: {FEW_OWNERS} owners, {delivered['digests']} digests of "
        f"{swept['entries'] / max(swept['digests'], 1):.0f} due items each (seconds)",
        "100,000",
        f"{ours:.2f} s ({swept['ours']['seconds']:.2f} + {delivered['ours']['seconds']:.2f})",
        f"{floor:.2f} s ({swept['floor']['seconds']:.2f} + {delivered['floor']['seconds']:.2f})",
        f"{ours / floor:.1f}×",
        "≤ 2× the two floors",
        ours / floor <= 2 and delivered["sent"] == delivered["digests"],
    )


def webhook_row(result: dict) -> Row:
    ratio = result["ours"]["rate"] / result["floor"]["rate"]
    return Row(
        f"webhooks: deliveries/s, {result['events']:,} events to {result['endpoints']} endpoints "
        f"on loopback (2 worker processes, median of {len(result['runs'])} runs; floor: one "
        "httpx client posting the same bodies)",
        "—",
        f"{result['ours']['rate']:.0f}/s",
        f"{result['floor']['rate']:.0f}/s",
        f"{ratio:.2f}",
        f"≥ {WEBHOOK_GOAL} × floor, all delivered",
        ratio >= WEBHOOK_GOAL and result["complete"],
    )


def _load(load) -> str:
    errors = f", {load.errors} errors" if load.errors else ""
    return f"{load.rate:.0f} req/s (p50 {load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms{errors})"


NOTES = [
    "Data sets: one PostgreSQL database per size, built with COPY: 10 % of the items need "
    "follow-up, one owner per 10 items (half U.S., half ROK, in four time zones), 30 % with a "
    "co-owner, statuses 20/40/8 % open (not started / in progress / blocked) and 20/7/5 % closed, "
    "markings 65 % all, 15 % U.S.-ROK, 20 % one country; about 5.8 timeline entries an item over "
    "three years, six past sent digests per owner. VACUUM ANALYZE after loading.",
    "Reminder window set to the whole local day and every day a working day "
    "(REMINDER_LOCAL_HOUR=0, REMINDER_WINDOW_HOURS=24, REMINDER_ONLY_WORKING_DAYS=0), so every "
    "recipient with a due item is due whenever the benchmark runs.",
    "Sweep: `tracker.reminders.sweep.sweep(now=...)` (handing claims to the broker is "
    "measured under delivery), committed; claims deleted between runs. Floor: bench/floor_sql.py, "
    "one SELECT of the due digests grouped by recipient and one INSERT of reminders and their "
    "items, on the same data in the same process; the run checks both claim the same rows.",
    "Sweep statements: counted with `connection.execute_wrapper`. Peak memory: tracemalloc peak "
    "of Python allocations during one run, not RSS, also shown per due entry claimed.",
    "Delivery: one Celery node, prefork, concurrency 2, on Redis (database 9), the sweep at the "
    "real current time with enqueue on; timed from the claim (the sweep's commit: its first task "
    "handed to the broker) until the aiosmtpd sink has accepted every claimed digest, and, as a "
    "reference, from the sweep's start (finding the due items, measured under sweep, included); "
    "five runs, the one with the median ratio shown. "
    "Floor: the same digests, built beforehand as EmailMultiAlternatives by the product's own "
    "code, sent by Django's SMTP backend over one connection to the same sink; the messages the "
    "sink received, replayed through one plain smtplib connection, are a reference row.",
    "Few owners: a second data set of 100,000 items shared by 50 owners (about 200 due items "
    "each, plus co-owned ones), built like the others; its sweep and its delivery measured as "
    "above, each beside its floor, and the two added up.",
    "Snapshots: `tracker.snapshots.freeze` of every item of the 10,000-item data set (a filter's "
    "scope; the U.S. edition, so every item but the ROK-only ones) as of 30 days before the data "
    "set's `now`, rebuilt from the field history and the timeline, beside `exports.csv_lines` of "
    "the same items as they are now (the status pages' CSV export), fully consumed; three runs "
    "each, alternating, medians shown; the PDF (both languages) of that snapshot rendered once "
    "with WeasyPrint. Memory: tracemalloc peaks, and the stage process's peak RSS.",
    "API items list: the same server and cookie as the pages, `GET /api/v1/items/?page_size=100` "
    "(JSON, cursor pagination, the API's per-user rate checked in Redis), beside the trivial view. "
    "Webhooks: bench/webhooks.py (1,000 events recorded by the product's rule in one "
    "transaction, 10 endpoints on one receiver process, timed from the commit until the receiver "
    "has every delivery; floor: the same signed bodies posted by one httpx client).",
    "Pages: no whole-page cache; the dashboard's counts in Django's cache (Redis). "
    "gunicorn, 2 sync workers, DEBUG=0, bench.settings (the product's URLs plus a trivial "
    "view), signed in as a coordinator cleared for every marking (every item visible); "
    "`wrk -t2 -c8 -d{seconds}s` per page after a 2 s warm-up; the trivial view (floor column) "
    "is measured again right before each page, all on the same 2 cores as PostgreSQL and wrk.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--only", default=",".join(STAGES))
    parser.add_argument("--reuse", action="store_true", help="keep matching data sets")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    stages = args.only.split(",")
    started = time.perf_counter()
    wait_for_postgres()
    postgres = db.server_version()
    print("Building data sets")
    few_owners = "few-owners" in stages
    nows = build([*sizes, *([FEW_OWNERS_SET] if few_owners else [])], reuse=args.reuse)
    rows: list[Row] = []
    if "sweep" in stages:
        results = {}
        for size in sizes:
            print(f"Sweep at {size:,} items")
            results[size] = run_stage(
                "bench.sweep", "--size", str(size), "--now", nows[size], size=size
            )
        rows += sweep_rows(results)
    if "delivery" in stages and DELIVERY_SIZE in sizes:
        print(f"Delivery at {DELIVERY_SIZE:,} items")
        result = run_stage("bench.delivery", "--size", str(DELIVERY_SIZE), size=DELIVERY_SIZE)
        rows += [*delivery_rows(result), build_row(result)]
    if "pages" in stages:
        size = max(sizes)
        print(f"Pages at {size:,} items")
        targets = {
            "dashboard": "/",
            "items list": "/items/",
            "item page": f"/items/bench-{size // 2:06d}/",
            "admin changelist": "/admin/tracker/actionitem/",
        }
        loads = pages.measure(
            size=size,
            pages=targets,
            username=LOGIN_USERNAME,
            password=LOGIN_PASSWORD,
            seconds=args.seconds,
        )
        rows += page_rows(size, loads)
    if few_owners:
        print(f"Sweep and delivery of 100,000 items shared by {FEW_OWNERS} owners")
        key = FEW_OWNERS_SET
        swept = run_stage("bench.sweep", "--size", "100000", "--now", nows[key], size=key)
        delivered = run_stage("bench.delivery", "--size", "100000", "--runs", "3", size=key)
        rows.append(few_owners_row(swept, delivered))
    if "snapshots" in stages and SNAPSHOT_SIZE in sizes:
        print(f"Snapshot and its report at {SNAPSHOT_SIZE:,} items")
        result = run_stage(
            "bench.snapshots", "--size", str(SNAPSHOT_SIZE), "--now", nows[SNAPSHOT_SIZE],
            size=SNAPSHOT_SIZE,
        )  # fmt: skip
        rows += snapshot_rows(result)
    if "api" in stages:
        size = max(sizes)
        print(f"API items list at {size:,} items")
        loads = pages.measure(
            size=size,
            pages={"API items list (100 a page)": "/api/v1/items/?page_size=100"},
            username=LOGIN_USERNAME,
            password=LOGIN_PASSWORD,
            seconds=args.seconds,
        )
        rows += page_rows(size, loads)
    if "webhooks" in stages:
        size = min(sizes)
        print(f"Webhook fan-out (on the {size:,}-item data set)")
        rows.append(webhook_row(run_stage("bench.webhooks", size=size)))
    seconds = time.perf_counter() - started
    command = (
        "make bench" if len(sys.argv) == 1 else "python -m bench.run " + shlex.join(sys.argv[1:])
    )
    notes = [n.replace("{seconds}", str(args.seconds)) for n in NOTES]
    text = document(rows=rows, postgres=postgres, command=command, seconds=seconds, notes=notes)
    print()
    print(table(rows))
    if set(stages) >= set(STAGES) and sizes == list(SIZES):
        write(ROOT / "bench" / "results.md", text)
        print(f"\nWritten to bench/results.md ({seconds / 60:.1f} min)")
    else:  # a partial run never replaces the whole run's record
        partial = VAR / "partial-results.md"
        write(partial, text)
        print(
            f"\nA partial run: written to {partial}, not bench/results.md ({seconds / 60:.1f} min)"
        )


if __name__ == "__main__":
    main()

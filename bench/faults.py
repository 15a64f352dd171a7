"""`make faults`: reminders under faults, on PostgreSQL + Redis + an SMTP sink, with a real Celery
worker and beat. Outside the test suite; `make faults-short` (8 rounds) runs in .ci/run.

Each round: 200 fresh owners with items due, one fault at a random moment (worker SIGKILL or
SIGTERM, Redis or PostgreSQL restarted, SMTP answering 451 to a third of messages, 550 to one
owner, or hanging, two beats at once), then a bounded wait until every row has ended sent,
failed or skipped, and the count of what the sink accepted for each owner. It prints, per fault
and in total, reminders expected, delivered, lost and duplicated, and the duplicates explained
by the window between the SMTP server's acceptance and the database commit (see
bench/fault_rounds.py for the evidence), and exits 1 when anything was lost or duplicated
without that evidence.

The worker runs on the real clock with scaled-down time (RUN_ENV): every hour is in the morning
window, every day a working day, a sweep every second, a row pending 12 s is presumed stuck.

    python -m bench.faults --rounds 56 [--size 200] [--seed N] [--results PATH]

Uses its own database (tracker_faults) and Redis db 8; stops and restarts the machine's
PostgreSQL and Redis (as root), and always leaves them running.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import secrets
import signal
import sys
import time
import traceback
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/tracker_faults"
DEFAULT_BROKER = "redis://127.0.0.1:6379/8"
RUN_ENV = {
    "REMINDER_LOCAL_HOUR": "0",
    "REMINDER_WINDOW_HOURS": "24",
    "REMINDER_ONLY_WORKING_DAYS": "0",
    "REMINDER_SWEEP_SECONDS": "1",
    "REMINDER_PENDING_TIMEOUT_MINUTES": "0.2",
    "REMINDER_RETRY_BASE_SECONDS": "0.2",
    "REMINDER_RETRY_MAX_SECONDS": "2",
    "EMAIL_TIMEOUT": "3",
    "DEBUG": "0",
    "LOG_LEVEL": "INFO",
}
FULL_RUN_ROUNDS = 50  # a run this long writes bench/faults-results.md


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.faults", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=56)
    parser.add_argument("--size", type=int, default=200, help="owners per round")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--kinds", default="", help="comma-separated fault kinds (default: all)")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--broker-url", default=DEFAULT_BROKER)
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help=f"Markdown results (default: bench/faults-results.md from {FULL_RUN_ROUNDS} rounds, "
        "else var/faults/results.md)",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.size < 3:
        parser.error("--rounds must be at least 1 and --size at least 3")
    return args


def _create_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres", autocommit=True,
    ) as conn:  # fmt: skip
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def configure(args: argparse.Namespace) -> None:
    """The environment this process and its worker and beats share, then Django and migrations."""
    os.environ.update(RUN_ENV)
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            "VAR_DIR": str(ROOT / "var" / "faults"),
            "SECRET_KEY": f"faults-{secrets.token_urlsafe(32)}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    from bench.fault_cluster import ensure_postgres, ensure_redis

    ensure_postgres()
    ensure_redis()
    _create_database(args.database_url)
    import django
    from django.core.management import call_command

    django.setup()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd: a line per command
    call_command("migrate", verbosity=0)


def schedule(rounds: int, kinds: list[str], rng: random.Random) -> list[str]:
    """Every kind once per cycle of len(kinds) rounds, in a shuffled order each cycle."""
    order: list[str] = []
    while len(order) < rounds:
        order += rng.sample(kinds, len(kinds))
    return order[:rounds]


def run_round(cluster, *, kind: str, number: int, size: int, tag: str, rng: random.Random):
    from bench import fault_rounds as fr
    from bench.fault_cluster import with_database

    started = time.monotonic()
    cluster.check_alive()
    cluster.sink.reset()
    try:
        if kind == "two_beats":
            cluster.start_beat()
            time.sleep(rng.uniform(0, 1.0))  # any phase between the two beats' ticks
        data = with_database(lambda: fr.create_round(tag=tag, number=number, size=size, rng=rng))
        fr.wait_for_progress(cluster, int(rng.uniform(0, 0.8) * size), rng)
        evidence = fr.inject(kind, cluster, data, rng)
        fr.wait_settled(cluster, data)
        result = with_database(
            lambda: fr.count_round(cluster=cluster, data=data, kind=kind, evidence=evidence)
        )
    finally:
        cluster.stop_extra_beats()
    result.seconds = time.monotonic() - started
    with_database(lambda: fr.delete_fault_data(data.prefix))
    return result


def _line(result, rounds: int) -> str:
    dup = f"dup {result.duplicated} (window {result.in_window})"
    refused = f", refused ok {result.refused_ok}" if result.kind == "smtp_550_one" else ""
    unsettled = f", UNSETTLED {result.unsettled}" if result.unsettled else ""
    return (
        f"[{result.number:>2}/{rounds}] {result.kind:<15} {result.delivered}/{result.expected} "
        f"delivered, lost {result.lost}, {dup}{refused}{unsettled}, {result.seconds:.1f} s"
        f"  ({result.note})"
    )


def _raise_on_sigterm(signum, frame) -> None:
    raise SystemExit(128 + signum)  # so the finally blocks stop our processes and restart services


def run(args: argparse.Namespace, seed: int) -> tuple[object, list[str], Path]:
    from bench import fault_report, fault_rounds
    from bench.fault_cluster import Cluster, flush_redis_db
    from tests.support.processes import unique_queue

    kinds = [k for k in args.kinds.split(",") if k] or fault_rounds.KINDS
    if unknown := set(kinds) - set(fault_rounds.KINDS):
        raise SystemExit(f"unknown fault kinds {sorted(unknown)}; known: {fault_rounds.KINDS}")
    rng = random.Random(seed)
    tag = f"{seed:06d}"[-6:]
    logs = ROOT / "var" / "faults" / "logs" / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    flush_redis_db(args.broker_url)
    fault_rounds.delete_fault_data()
    tally = fault_report.Tally()
    cluster = Cluster(logs=logs, queue=unique_queue(), worker_env=dict(RUN_ENV),
                      concurrency=args.concurrency)  # fmt: skip
    notes = []
    try:
        cluster.start_worker()
        cluster.start_beat()
        for n, kind in enumerate(schedule(args.rounds, kinds, rng), start=1):
            result = run_round(cluster, kind=kind, number=n, size=args.size, tag=tag, rng=rng)
            tally.add(result)
            print(_line(result, args.rounds), flush=True)
    except KeyboardInterrupt:
        notes.append("interrupted by the user")
    except Exception as exc:  # the table so far is still worth printing; the run fails
        traceback.print_exc()
        notes.append(f"aborted: {exc!r}")
    finally:
        cluster.close()
    notes += [f"{n} (the run restarted it)" for n in cluster.unexpected_exits]
    notes.append(f"worker and beat logs: {logs.relative_to(ROOT)}")
    return tally, notes, logs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    seed = args.seed if args.seed is not None else secrets.randbelow(1_000_000)
    started = time.monotonic()
    try:
        configure(args)
        from bench import fault_report

        tally, notes, _logs = run(args, seed)
    finally:
        from bench.fault_cluster import ensure_postgres, ensure_redis

        ensure_redis()
        ensure_postgres()
    minutes = (time.monotonic() - started) / 60
    command = f"python -m bench.faults --rounds {args.rounds} --size {args.size}"
    command += f" --kinds {args.kinds}" if args.kinds else ""
    text = fault_report.markdown(
        tally=tally, command=command, seed=seed, minutes=minutes,
        notes=fault_report.problems(tally) + notes,
    )  # fmt: skip
    print("\n" + text)
    path = args.results or (
        ROOT / "bench" / "faults-results.md"
        if args.rounds >= FULL_RUN_ROUNDS
        else ROOT / "var" / "faults" / "results.md"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(f"written to {path}")
    complete = len(tally.results) == args.rounds
    return 0 if tally.passed() and complete else 1


if __name__ == "__main__":
    sys.exit(main())

"""Delivery stage: digests per second from claim to acceptance by a local SMTP sink, beside a floor.

`python -m bench.delivery --size N` (DATABASE_URL names the data set): starts the sink and two
Celery worker processes (one node, prefork, concurrency 2, as the Procfile runs it) on Redis,
runs the product's sweep at the real current time (the workers check the morning window against
the clock) and hands its claims to the workers as beat's task does, and times from the claim
(the first batch handed to the broker) until the sink has accepted every claimed digest; the time
from the sweep's start, finding the due items included, is kept beside it.

The floor: the same digests, already built as EmailMultiAlternatives, sent by Django's SMTP
backend over one connection to the same sink. A plain smtplib loop replaying the bytes the sink
received stays beside it as a reference. Five runs; the one with the median ratio is reported
(each run's figures are kept in the stage's output).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import django

django.setup()

import redis  # noqa: E402
from celery.signals import before_task_publish  # noqa: E402
from django.utils import timezone  # noqa: E402

from tracker import delivery, emails  # noqa: E402
from tracker.models import Reminder, ReminderState, SweepRun  # noqa: E402
from tracker.reminders.sweep import sweep  # noqa: E402
from tracker.tasks import enqueue_sends  # noqa: E402

from .env import QUEUE, REDIS_URL, ROOT, VAR, emit, stop_process  # noqa: E402
from .smtpsink import Sink, plain_loop  # noqa: E402
from .tidy import vacuum_claims  # noqa: E402

WORKER_PROCESSES = 2


def start_worker_process(log_name: str, extra: dict[str, str]) -> subprocess.Popen:
    """One Celery node (prefork, WORKER_PROCESSES) on the bench queue; its log under VAR."""
    log_path = VAR / log_name
    log = log_path.open("wb")
    env = dict(os.environ)
    env.update({"LOG_LEVEL": "WARNING", **extra})
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO"]
        + ["--pool", "prefork", "--concurrency", str(WORKER_PROCESSES), "-Q", QUEUE]
        + ["-n", f"{QUEUE}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            raise RuntimeError(f"the Celery worker did not start: see {log_path}")
        time.sleep(0.2)
    return proc


def start_worker(sink_port: int) -> subprocess.Popen:
    return start_worker_process("worker.log", {"EMAIL_URL": f"smtp://127.0.0.1:{sink_port}"})


def forget(now) -> None:
    Reminder.objects.filter(created_at=now).delete()
    SweepRun.objects.filter(started_at=now).delete()
    vacuum_claims()


def built_messages(now) -> list:
    """The digests claimed at `now`, built as the workers build them (not timed)."""
    rows = list(
        Reminder.objects.filter(created_at=now).select_related("recipient__profile").order_by("pk")
    )
    contents = delivery.current_contents(rows, now)
    return [
        emails.build_digest(reminder=row, entries=contents[row.pk].entries, now=now) for row in rows
    ]


def build_rate(now, sample: int = 200) -> float:
    """Digests per second one process builds (render subject, text and HTML, then the MIME
    bytes), no SMTP or DB. Not a goal: it shows how much of the delivery time is making each
    message, which the floors never do."""
    rows = list(
        Reminder.objects.filter(created_at=now).select_related("recipient__profile")[:sample]
    )
    contents = delivery.current_contents(rows, now)
    started = time.perf_counter()
    for row in rows:
        message = emails.build_digest(reminder=row, entries=contents[row.pk].entries, now=now)
        message.message().as_bytes(linesep="\r\n")
    return len(rows) / (time.perf_counter() - started)


def django_loop(port: int, messages: list) -> float:
    """The floor: Django's SMTP backend sending `messages` over one connection; seconds."""
    from django.core.mail.backends.smtp import EmailBackend

    backend = EmailBackend(host="127.0.0.1", port=port, timeout=30, fail_silently=False)
    started = time.perf_counter()
    backend.open()
    try:
        for message in messages:
            backend.send_messages([message])
    finally:
        backend.close()
    return time.perf_counter() - started


class FirstPublish:
    """When this process first hands a task to the broker: the sweep does so once its claim has
    committed (on_commit), so this is when the first digests are claimed and visible."""

    def __init__(self):
        self.at: float | None = None
        before_task_publish.connect(self._seen, weak=False)

    def _seen(self, **_kwargs) -> None:
        if self.at is None:
            self.at = time.perf_counter()


def measure() -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    claimed_at = FirstPublish()
    with Sink(VAR / "sink-spool.pickle") as sink:
        redis.Redis.from_url(REDIS_URL).flushdb()
        worker = start_worker(sink.port)
        try:
            now = timezone.now()
            started = time.perf_counter()
            result = sweep(now=now)
            enqueue_sends(result.to_send)  # as beat's task does, once the claim is committed
            claimed = len(result.claimed_ids)
            finished = sink.wait_for(claimed, timeout=900)
            ours = finished - started
            from_claim = finished - claimed_at.at
            deadline = time.monotonic() + 60  # the "sent" marks follow the sink's 250
            while Reminder.objects.filter(created_at=now, state=ReminderState.SENT).count() < (
                claimed
            ):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            sent = Reminder.objects.filter(created_at=now, state=ReminderState.SENT).count()
        finally:
            stop_process(worker)
        building = build_rate(now)
        replayed = sink.take()
        prepared = built_messages(now)
        floor = django_loop(sink.port, prepared)
        accepted = sink.received
        sink.take()
        plain = plain_loop(sink.port, replayed)
    forget(now)
    sizes = [len(content) for _s, _r, content in replayed]
    return {
        "digests": claimed,
        "sent": sent,
        "ours": {"seconds": from_claim, "rate": claimed / from_claim},
        "with_sweep": {"seconds": ours, "rate": claimed / ours},
        "floor": {"seconds": floor, "rate": len(prepared) / floor, "accepted": accepted},
        "smtplib": {"seconds": plain, "rate": len(replayed) / plain},
        "mean_message_bytes": sum(sizes) / max(len(sizes), 1),
        "build_rate": building,
    }


RUNS = 5


def median_run(runs: list[dict]) -> dict:
    """The run whose ratio to its own floor is the median: figures move ±10 % between runs on
    a 2-core machine, and ours and the floor move together."""
    ranked = sorted(runs, key=lambda r: r["ours"]["rate"] / r["floor"]["rate"])
    chosen = dict(ranked[len(ranked) // 2])
    chosen["runs"] = [
        {
            "ours": r["ours"]["rate"],
            "floor": r["floor"]["rate"],
            "smtplib": r["smtplib"]["rate"],
            "sent": r["sent"],
        }
        for r in runs
    ]
    chosen["sent"] = min(r["sent"] for r in runs)  # every run must send every digest
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    runs = [measure() for _ in range(args.runs)]
    emit({"size": args.size, "workers": WORKER_PROCESSES, **median_run(runs)})


if __name__ == "__main__":
    main()

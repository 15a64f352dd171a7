"""The moving parts of a fault run: PostgreSQL and Redis on this machine, the SMTP sink, one Celery
worker and one beat (plus a second beat when that is the fault).

PostgreSQL and Redis are shared with everything else on the machine, so whatever happens (an
exception, Ctrl-C, a failed restart) `Cluster.close` leaves both running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from django.db import OperationalError, connection
from django.db.utils import InterfaceError

from tests.support.processes import CeleryProcess, start_beat, start_worker
from tests.support.smtp import SmtpSink

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]  # fmt: skip
SERVICE_WAIT_SECONDS = 30


def _quiet(*command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _wait(predicate, what: str, timeout: float = SERVICE_WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


# --- PostgreSQL and Redis -------------------------------------------------------------------------


def _pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0]


def postgres_up() -> bool:
    return _quiet("pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432").returncode == 0


def postgres(action: str) -> None:
    """`pg_ctlcluster <version> main <action>` (stop is a fast shutdown: sessions are cut).

    Fails loudly (it needs root or the postgres user): a fault that did not happen must not
    pass for one that did no harm.
    """
    done = _quiet("pg_ctlcluster", "--skip-systemctl-redirect", _pg_version(), "main", action)
    if done.returncode != 0 and not (action == "start" and postgres_up()):
        raise RuntimeError(f"pg_ctlcluster {action} failed: {done.stderr.strip()}")


def ensure_postgres() -> None:
    if not postgres_up():
        postgres("start")
    _wait(postgres_up, "PostgreSQL")


def redis_up() -> bool:
    return _quiet("redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping").stdout.strip() == "PONG"


def stop_redis() -> None:
    """Stop Redis without saving: every queued and unacknowledged task is gone."""
    _quiet("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave")
    _wait(lambda: not redis_up(), "Redis shutdown")


def ensure_redis() -> None:
    if not redis_up():
        Path("/var/lib/redis").mkdir(parents=True, exist_ok=True)
        Path("/var/log/redis").mkdir(parents=True, exist_ok=True)
        _quiet(*REDIS_START)
    _wait(redis_up, "Redis")


def flush_redis_db(url: str) -> None:
    db = url.rstrip("/").rsplit("/", 1)[-1]
    _quiet("redis-cli", "-h", "127.0.0.1", "-p", "6379", "-n", db, "flushdb")


def with_database(fn, timeout: float = 60):
    """fn() retried until the database answers again (it may be restarting)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except (OperationalError, InterfaceError):
            connection.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- Celery and SMTP ------------------------------------------------------------------------------


class Cluster:
    """The SMTP sink, the worker and the beat(s) for a whole run; restarts what a fault ended."""

    def __init__(self, *, logs: Path, queue: str, worker_env: dict[str, str], concurrency: int):
        self.logs = logs
        self.queue = queue
        self.concurrency = concurrency
        self.sink = SmtpSink().start()
        self.env = {**worker_env, "EMAIL_URL": self.sink.url}
        self.worker: CeleryProcess | None = None
        self.beats: list[CeleryProcess] = []
        self.unexpected_exits: list[str] = []

    def start_worker(self) -> CeleryProcess:
        self.worker = start_worker(self.logs, self.queue, concurrency=self.concurrency, **self.env)
        return self.worker

    def start_beat(self) -> CeleryProcess:
        beat = start_beat(self.logs, self.queue, **self.env)
        self.beats.append(beat)
        return beat

    def kill_worker(self, sig: int) -> None:
        """SIGKILL: the whole process group at once, as the OOM killer or a lost host would.

        SIGTERM: the main process only, as `celery worker` documents for a warm shutdown; it
        finishes the tasks it runs. One still alive after 60 s is killed and the kill noted.
        """
        worker = self.worker
        if sig == signal.SIGKILL:
            worker.kill(signal.SIGKILL)
        else:
            os.kill(worker.proc.pid, sig)
            try:
                worker.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.unexpected_exits.append("worker ignored SIGTERM for 60 s: killed")
                worker.kill(signal.SIGKILL)
        worker.stop()

    def stop_extra_beats(self) -> None:
        while len(self.beats) > 1:
            beat = self.beats.pop()
            beat.kill(signal.SIGKILL)
            beat.stop()

    def check_alive(self) -> None:
        """Restart a worker or beat that died by itself, and note it (the run goes on)."""
        if self.worker is None or self.worker.proc.poll() is not None:
            if self.worker is not None:
                self.unexpected_exits.append(f"worker exited ({self.worker.log.name})")
                self.worker.stop()
            self.start_worker()
        for i, beat in enumerate(self.beats):
            if beat.proc.poll() is not None:
                self.unexpected_exits.append(f"beat exited ({beat.log.name})")
                beat.stop()
                self.beats[i] = start_beat(self.logs, self.queue, **self.env)
        if not self.beats:
            self.start_beat()

    def close(self) -> None:
        """Stop our processes and the sink; leave PostgreSQL and Redis running whatever happened."""
        try:
            for process in [*self.beats, self.worker]:
                if process is not None:
                    process.kill(signal.SIGKILL)
                    process.stop()
            self.sink.stop()
        finally:
            try:
                ensure_redis()
            finally:
                ensure_postgres()

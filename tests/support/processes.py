"""Real Celery processes for tests: a worker (and beat) on the configured broker and test database.

The worker gets its own queue name so a demo worker on the same broker never takes a test's task.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A DATABASE_URL naming the database the test run uses right now."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VAR_DIR": str(settings.VAR_DIR),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


class CeleryProcess:
    """A worker or beat subprocess whose log is a file; stop() ends it (SIGTERM, then SIGKILL)."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str]):
        self.log = log
        self._fh = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *args],
            cwd=ROOT,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"celery exited early:\n{self.text()[-4000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"no “{needle}” within {timeout}s:\n{self.text()[-4000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()


def unique_queue() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def start_worker(tmp_path: Path, queue: str, *, concurrency: int = 1, **env: str) -> CeleryProcess:
    worker = CeleryProcess(
        [
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log",
        child_env(CELERY_TASK_DEFAULT_QUEUE=queue, **env),
    )
    worker.wait_for("ready.")
    return worker


def start_beat(tmp_path: Path, queue: str, **env: str) -> CeleryProcess:
    beat = CeleryProcess(
        ["beat", "--loglevel", "INFO", "-s", str(tmp_path / f"beat-{uuid.uuid4().hex[:6]}")],
        tmp_path / f"beat-{uuid.uuid4().hex[:6]}.log",
        child_env(CELERY_TASK_DEFAULT_QUEUE=queue, **env),
    )
    beat.wait_for("beat: Starting")
    return beat

"""Where the benchmark's databases, broker and processes live, and the environment of each stage.

Every stage runs in its own process with DATABASE_URL naming one data set's database, so a stage
measures only its own work (and tracemalloc sees only its own allocations). Names never collide
with the test suite's (tracker, tracker_ci, test_*) or the demo's.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG = "postgres://postgres@127.0.0.1:5432"
ADMIN_DB = "postgres"
TEMPLATE_DB = "tracker_bench_template"
REDIS_URL = "redis://127.0.0.1:6379/9"
CACHE_URL = "redis://127.0.0.1:6379/10"  # Django's cache, as production's (the dashboard counts)
QUEUE = "bench"
# The coordinator the pages are requested as (a loopback-only benchmark account).
LOGIN_USERNAME = "bench-coordinator"
LOGIN_PASSWORD = "bench-coordinator-password-2026"


def database_name(size: int | str) -> str:
    return f"tracker_bench_{size}"


def database_url(size: int | str) -> str:
    return f"{PG}/{database_name(size)}"


# One random key per run: the server, the login and the workers must agree on it.
_SECRET = secrets.token_urlsafe(50)


def stage_env(size: int | str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a stage process: production-like settings on loopback."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": database_url(size) if size else f"{PG}/{TEMPLATE_DB}",
            "CELERY_BROKER_URL": REDIS_URL,
            "CACHE_URL": CACHE_URL,
            "CELERY_TASK_DEFAULT_QUEUE": QUEUE,
            "VAR_DIR": str(VAR),
            "DEBUG": "0",
            "SECRET_KEY": _SECRET,
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": "http://127.0.0.1:8765",
            "ADMIN_REQUIRE_OTP": "0",
            "LOG_LEVEL": "WARNING",
            # The morning window spans the whole local day and every day is a working day, so
            # every recipient with a due item is due at the benchmark's instant, whenever it runs.
            "REMINDER_LOCAL_HOUR": "0",
            "REMINDER_WINDOW_HOURS": "24",
            "REMINDER_ONLY_WORKING_DAYS": "0",
            # The API's rate is checked on every request (a read and a write in Django's
            # cache), set high enough never to refuse the benchmark's own requests.
            "API_THROTTLE_RATE": "100000000/min",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


# A database restarted under a stage (another process on a shared machine) is not a result.
_RESTARTED = ("administrator command", "Connection refused", "server closed the connection")


def run_stage(module: str, *args: str, size: int | None = None, **extra: str) -> dict:
    """Run `python -m module args...` in a stage environment; its last stdout line is JSON.

    A stage cut short by a PostgreSQL restart is run again (up to three times in all); each
    stage starts from the same data, so a rerun measures the same thing.
    """
    for attempt in range(3):
        result = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=stage_env(size, **extra),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
            return json.loads(lines[-1])
        if attempt < 2 and any(sign in result.stderr for sign in _RESTARTED):
            print(f"  (PostgreSQL restarted under {module}; running it again)", flush=True)
            wait_for_postgres()
            continue
        break
    raise RuntimeError(f"{module} {' '.join(args)} failed:\n{result.stderr[-6000:]}")


def wait_for_postgres(timeout: float = 120) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def emit(data: dict) -> None:
    """A stage's answer to run_stage: one JSON line, last on stdout."""
    print(json.dumps(data, default=str), flush=True)


def stop_process(proc) -> None:
    """SIGTERM the process group, SIGKILL it after 30 s."""
    import os
    import signal
    import subprocess

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

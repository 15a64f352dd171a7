"""The skeleton: settings from the environment, /healthz, and a task through a real worker."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from tracker.models import SweepRun

ROOT = Path(__file__).resolve().parents[1]


def run_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_development_secret_key():
    result = run_settings({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_its_own_secret_key():
    result = run_settings({"DEBUG": "0", "SECRET_KEY": "x" * 60})
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_healthz_answers_ok_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["broker"] == "ok"


def test_healthz_names_the_broker_when_it_does_not_answer(client, db, settings, tmp_path):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "broker" in response.json()["failing"]


def test_healthz_reports_a_stale_sweep_as_degraded(client, db, now):
    SweepRun.objects.create(started_at=now.replace(year=2020))
    assert client.get("/healthz").json()["status"] == "degraded"


def test_admin_shows_the_login_page(client, db):
    response = client.get("/admin/", follow=True)
    assert response.status_code == 200
    assert b"password" in response.content.lower()


@pytest.mark.worker
def test_a_task_sent_to_a_real_worker_changes_the_database(celery_worker):
    from tracker.tasks import sweep_reminders

    before = SweepRun.objects.count()
    sweep_reminders.delay()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and SweepRun.objects.count() == before:
        time.sleep(0.2)
    assert SweepRun.objects.count() == before + 1, celery_worker.text()[-3000:]
    broker = settings.CELERY_BROKER_URL.split("://")[0]
    assert broker in ("filesystem", "redis")


def test_procfile_and_compose_run_the_same_commands():
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit", "migrate"} <= set(services)

    def program(command) -> tuple:
        words = command if isinstance(command, list) else command.split()
        head = []
        for word in words:
            if word.startswith("--"):
                break
            head.append(word)
        return tuple(head), {w for w in words if w.startswith("--")} - {"--schedule"}

    for name in ("web", "worker", "beat"):
        assert program(services[name]["command"]) == program(procfile[name].strip()), name
        env = services[name]["environment"]
        for var in ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_URL", "SECRET_KEY"):
            assert var in env, (name, var)
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    for name in ("postgres", "redis", "web", "mailpit"):
        assert "healthcheck" in services[name], name
    assert "8025:8025" in services["mailpit"]["ports"]
    assert "migrate" in " ".join(services["migrate"]["command"])

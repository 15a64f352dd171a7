"""/healthz: does the database answer, does the broker answer, is the reminder sweep running."""

from __future__ import annotations

import datetime as dt
import os

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> str | None:
    from .models import SweepRun

    try:
        SweepRun.objects.exists()  # any query: does the database answer?
    except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
        return type(exc).__name__
    return None


def check_broker() -> str | None:
    from kombu import Connection

    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = options["data_folder_in"]
        return None if os.access(folder, os.W_OK) else f"queue folder {folder} not writable"
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__
    return None


def sweep_state(now: dt.datetime) -> str:
    """ "ok", "never" (no sweep yet) or "stale" (none in the last SWEEP_STALE_MINUTES)."""
    from .models import SweepRun

    last = SweepRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    if last is None:
        return "never"
    if now - last > dt.timedelta(minutes=settings.SWEEP_STALE_MINUTES):
        return "stale"
    return "ok"


@never_cache
@require_GET
def healthz(request):
    failures = {}
    db_error = check_database()
    if db_error:
        failures["database"] = db_error
    broker_error = check_broker()
    if broker_error:
        failures["broker"] = broker_error
    if failures:
        return JsonResponse({"status": "unavailable", "failing": failures}, status=503)
    sweep = sweep_state(timezone.now())
    status = "ok" if sweep in ("ok", "never") else "degraded"
    return JsonResponse({"status": status, "database": "ok", "broker": "ok", "sweep": sweep})

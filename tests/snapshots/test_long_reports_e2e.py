"""A long report's PDF is laid out by a real Celery worker and kept: the download says so until it
is ready, then serves it."""

# ruff: noqa: F811  (pytest fixtures imported by name, then requested as arguments)

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.support.processes import start_worker
from tests.test_reminders_e2e import processes, role_groups, wait_until  # noqa: F401
from tracker import reports, snapshots
from tracker.models import Edition, ScopeKind, SnapshotReport

pytestmark = [pytest.mark.worker, pytest.mark.timeout(120)]


def freeze(source, coordinator):
    ask = snapshots.Request(
        scope=snapshots.Scope(kind=ScopeKind.SOURCE, source=source),
        edition=Edition.ALL,
        as_of=timezone.now(),
        zone=dt.UTC,
    )
    return snapshots.freeze(request=ask, by=coordinator, now=timezone.now())


def test_laying_out_a_pdf_twice_keeps_one(item_factory, source, coordinator):
    item_factory("one")
    snapshot = freeze(source, coordinator)
    assert reports.lay_out_pdf(snapshot_id=snapshot.pk, language="ko", now=timezone.now())
    assert not reports.lay_out_pdf(snapshot_id=snapshot.pk, language="ko", now=timezone.now())
    assert SnapshotReport.objects.count() == 1
    assert reports.ready_pdf(snapshot=snapshot, language="ko").startswith(b"%PDF")


def test_a_long_reports_pdf_is_laid_out_by_a_worker_then_served(
    transactional_db, tmp_path, celery_queue, processes, item_factory, source, coordinator,
    client, settings,
):  # fmt: skip
    settings.REPORT_PDF_NOW_ITEMS = 2
    for n in range(3):
        item_factory(f"item-{n}")
    snapshot = freeze(source, coordinator)
    worker = start_worker(tmp_path, celery_queue)
    processes.append(worker)
    client.force_login(coordinator)
    path = f"/snapshots/{snapshot.number}/report.pdf?language=en"
    waiting = client.get(path)
    assert waiting.status_code == 202 and "laid out in the background" in waiting.content.decode()
    wait_until(lambda: SnapshotReport.objects.filter(snapshot=snapshot).exists(), log=worker)
    ready = client.get(path)
    assert ready.status_code == 200 and ready.content.startswith(b"%PDF")
    assert client.get(path).content == ready.content
    assert SnapshotReport.objects.count() == 1

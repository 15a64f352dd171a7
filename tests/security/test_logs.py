"""The logs of a full run hold no secret: no SECRET_KEY, password, session id, signed-link or
calendar token, authenticator key, and no title of an item marked for one side.

One representative run: a seed load (good and bad), page views by every kind of user, comments
with mentions, evidence uploaded (refused too) and downloaded, watching, the settings page and
unsubscribe addresses (good, forged, another's), admin work
behind a real second factor, a CSV import and export, failed sign-ins up to a lockout, signed
links opened, used, reused and forged, calendar feeds, a sweep whose digests a real Celery worker
sends through a real SMTP server (one refused first), and gunicorn's access log. Everything
logged in this process at DEBUG, the worker's log file, gunicorn's output and the commands'
output are searched.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests.admin.test_import_export import csv_text, new_row
from tests.security.test_bad_input import upload_bytes
from tests.support.admin import verify_second_factor
from tests.support.db import restore_role_groups
from tests.support.leaks import ANONYMOUS, MARKERS, PASSWORD, SEES, SUPERUSER
from tests.support.processes import ROOT, child_env, start_worker
from tests.support.smtp import SmtpSink, free_port
from tests.test_reminders_e2e import ANY_TIME
from tests.test_seeding import GOOD
from tracker import links, notifications
from tracker.models import Evidence, Marking, Profile, Reminder
from tracker.reminders.sweep import sweep
from tracker.tasks import send_reminders

pytestmark = [pytest.mark.worker, pytest.mark.timeout(180)]

WRONG_PASSWORD = "Wrong-Passw0rd-Guess"
SEED_MARKERS = ("seedsecretplan", "씨앗비밀계획")
# Loggers of the test's own tools, not of the tracker: the SMTP server logs what it receives.
NOT_THE_TRACKERS = ("mail.log", "hypothesis", "faker")


@pytest.fixture(autouse=True)
def role_groups(transactional_db):
    restore_role_groups()
    # A flush by an earlier transactional test re-created the content types with new ids.
    ContentType.objects.clear_cache()


class Secrets:
    """Every secret the run handled, with where it came from."""

    def __init__(self):
        self.found: dict[str, str] = {}

    def add(self, what: str, value: str) -> None:
        if value:
            self.found[value] = what

    def token(self, what: str, token: str) -> str:
        self.add(what, token)
        self.add(f"{what} (signature)", token.rsplit(":", 1)[-1])
        return token

    def in_text(self, text: str) -> list[str]:
        return sorted({what for value, what in self.found.items() if value in text})


def _seed_loads(tmp_path: Path, output: StringIO) -> None:
    text = GOOD.replace("Do the first thing", f"Do the {SEED_MARKERS[0]} thing")
    text = text.replace("첫째 일", SEED_MARKERS[1])
    good = tmp_path / "marked.yaml"
    good.write_text(text, encoding="utf-8")
    call_command("load_seed", str(good), stdout=output, stderr=output)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("due: 2027-01-31", "due: 2027-02-30"), encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - CommandError; its problems went to `output`
        call_command("load_seed", str(bad), stdout=output, stderr=output)


def _page_views(world, secrets: Secrets) -> None:
    for name in SEES:
        client = world.client_for(name)
        if name != ANONYMOUS:
            secrets.add(f"session of {name}", client.cookies["sessionid"].value)
        for path in ["/", "/items/", "/items/?q=plan", "/items/export.csv", "/mine/", "/calendar/"]:
            client.get(path)
        for item in world.items.values():
            client.get(f"/items/{item.key}/")
            client.post(f"/items/{item.key}/update/", {"update-note": ""})  # refused: 400 or 404
        profile = Profile.objects.filter(user__username=name).first()
        if profile:
            client.get(f"/calendar/{secrets.token('calendar token', profile.calendar_token)}.ics")
    Client().get(f"/calendar/{secrets.token('calendar token', 'made-up-feed-token')}.ics")


def _working_together(world, secrets: Secrets) -> None:
    """Comments naming people (some not cleared), evidence added (one refused) and downloaded,
    watching, the settings page, and unsubscribe addresses, by every kind of user."""
    files = list(Evidence.objects.filter(kind="file"))
    for name in SEES:
        client = world.client_for(name)
        for item in world.items.values():
            words = " ".join(MARKERS[item.marking])
            client.post(f"/items/{item.key}/comment/", {"comment-text": f"{words} @kr-owner @x"})
            pdf = SimpleUploadedFile(f"{words}.pdf", b"%PDF-1.4 " + words.encode())
            client.post(f"/items/{item.key}/evidence/", {"evidence-file": pdf})
            bad = SimpleUploadedFile(f"{words}.pdf", b"MZ " + words.encode())
            client.post(f"/items/{item.key}/evidence/", {"evidence-file": bad})
            client.post(f"/items/{item.key}/watch/", {})
            client.get(f"/items/{item.key}/people/?q=k")
        for found in files:
            client.get(f"/items/{found.item.key}/evidence/{found.pk}/")
        client.get("/settings/")
        client.post("/settings/", {"hour": "99", "time_zone": "Nowhere/" + name})
        user = world.users.get(name)
        if user is not None:
            token = secrets.token(
                "unsubscribe token", notifications.unsubscribe_token(user_id=user.pk)
            )
            client.get(f"/u/{token}/")
    Client().post(f"/u/{secrets.token('unsubscribe token', '7:forged-signature')}/")


def _admin_work(world, secrets: Secrets, settings) -> None:
    settings.ADMIN_REQUIRE_OTP = True
    root = world.users[SUPERUSER]
    client = Client()
    client.post("/admin/login/", {"username": root.username, "password": PASSWORD, "next": "/"})
    verify_second_factor(client, world.device)
    secrets.add("session of the superuser in the admin", client.cookies["sessionid"].value)
    secrets.add("authenticator key", world.device.key)
    items = list(world.items.values())
    for path in ["/admin/", "/admin/tracker/actionitem/?q=plan", "/admin/tracker/reminder/"]:
        client.get(path)
    for item in items:
        client.get(f"/admin/tracker/actionitem/{item.pk}/change/")
        client.get(f"/admin/tracker/actionitem/{item.pk}/history/")
        client.post(f"/admin/tracker/actionitem/{item.pk}/post-update/", {"note": "noted"})
    client.post(
        "/admin/tracker/actionitem/",
        {
            "action": "snooze_follow_up",
            "_selected_action": [i.pk for i in items],
            "index": "0",
            "apply": "1",
            "days": "3",
        },
    )
    client.get("/admin/tracker/actionitem/export/")
    marked = new_row("imported-marked", title_en=f"Import {MARKERS[Marking.US_ONLY][0]}")
    upload_bytes(client, csv_text([marked, new_row("bad-row", due_date="2019-01-01")]).encode())


def _sign_ins(secrets: Secrets) -> None:
    secrets.add("a guessed password", WRONG_PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        Client().post("/accounts/login/", {"username": "us-reader", "password": WRONG_PASSWORD})
    Client().post("/admin/login/", {"username": "kr-coord", "password": WRONG_PASSWORD})
    good = Client()
    good.post("/accounts/login/", {"username": "kr-reader", "password": PASSWORD})
    secrets.add("session after a password sign-in", good.cookies["sessionid"].value)


def _links(world, secrets: Secrets) -> None:
    now = timezone.now()
    owner = world.users["us-owner"]

    def token(item, action=links.ON_TRACK, when=now) -> str:
        made = links.make_token(recipient_id=owner.pk, item_id=item.pk, action=action, now=when)
        return secrets.token("signed link", made)

    us_only, kr_only = world.items[Marking.US_ONLY], world.items[Marking.KR_ONLY]
    anonymous, signed_in = Client(), world.client_for("us-owner")
    used = token(us_only)
    anonymous.get(f"/r/{used}/")
    anonymous.post(f"/r/{used}/")
    anonymous.post(f"/r/{used}/")  # used: 410
    signed_in.get(f"/r/{token(us_only, links.SNOOZE)}/")
    anonymous.get(f"/r/{token(kr_only)}/")  # not releasable to the recipient: 404
    anonymous.get(f"/r/{token(us_only, when=now - dt.timedelta(days=60))}/")  # expired: 410
    anonymous.get(f"/r/{token(us_only)[:-3]}abc/")  # forged: 400
    world.client_for("kr-owner").get(f"/r/{token(us_only)}/")  # someone else's: 403
    Client(enforce_csrf_checks=True).post(f"/r/{token(us_only)}/")  # no CSRF token: 403


def _digests(world, tmp_path: Path, celery_queue: str, worker_logs: list[Path]) -> None:
    """A sweep, and the world's digests (each holding every item, for every user) sent by a real
    worker through a real SMTP server, which refuses the first one for a while."""
    with SmtpSink() as sink:
        sink.reply_next("DATA", "451 4.3.0 Mailbox busy, try again later")
        worker = start_worker(tmp_path, celery_queue, EMAIL_URL=sink.url, **ANY_TIME)
        worker_logs.append(worker.log)
        try:
            sweep(now=timezone.now())
            pending = [r.pk for r in world.reminders.values()]
            for pk in pending:
                send_reminders.delay([pk])
            deadline = time.monotonic() + 60
            while Reminder.objects.filter(pk__in=pending, state="pending").exists():
                assert time.monotonic() < deadline, worker.text()[-3000:]
                time.sleep(0.2)
            assert len(sink.messages) == len(pending), worker.text()[-3000:]
        finally:
            worker.kill(signal.SIGKILL)
            worker.stop()


def _status(url: str) -> int | None:
    """The HTTP status of a GET, or None while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def _gunicorn_access_log(secrets: Secrets, tmp_path: Path) -> str:
    """gunicorn as the Procfile runs it, asked for a calendar feed and a signed link."""
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "-c", "config/gunicorn.conf.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1"]
    profile = Profile.objects.first()
    feed = secrets.token("calendar token", profile.calendar_token)
    link = secrets.token("signed link", "eyJyIjoxfQ:made-up-signature")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 30
            while _status(f"http://127.0.0.1:{port}/calendar/{feed}.ics") is None:
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                time.sleep(0.2)
            assert _status(f"http://127.0.0.1:{port}/r/{link}/") == 400
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)
    text = log.read_text(errors="replace")
    assert "GET /calendar/[redacted].ics" in text, text[-2000:]
    return text


def test_a_full_run_logs_no_secret_and_no_marked_title(
    leak_world, tmp_path, celery_queue, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    settings.ADMIN_REQUIRE_OTP = False
    settings.REMINDER_ONLY_WORKING_DAYS = False
    settings.REMINDER_LOCAL_HOUR, settings.REMINDER_WINDOW_HOURS = 0, 24
    secrets = Secrets()
    secrets.add("SECRET_KEY", settings.SECRET_KEY)
    secrets.add("a user's password", PASSWORD)
    for marking, words in MARKERS.items():
        if marking != Marking.ALL:
            for word in words:
                secrets.add(f"title of an item marked {marking}", word)
    for word in SEED_MARKERS:
        secrets.add("title of a seeded item marked us-kr", word)

    output, worker_logs = StringIO(), []
    _seed_loads(tmp_path, output)
    _page_views(leak_world, secrets)
    _working_together(leak_world, secrets)
    _digests(leak_world, tmp_path, celery_queue, worker_logs)
    _admin_work(leak_world, secrets, settings)  # snoozes every item: after the sweep
    _sign_ins(secrets)
    _links(leak_world, secrets)
    access_log = _gunicorn_access_log(secrets, tmp_path)
    for profile in Profile.objects.all():  # tokens as they stand after the run
        secrets.add("calendar token", profile.calendar_token)

    ours = [r for r in caplog.records if not r.name.startswith(NOT_THE_TRACKERS)]
    logged = "\n".join(caplog.handler.format(r) for r in ours)
    texts = {
        "this process's log": logged,
        "the commands' output": output.getvalue(),
        "the worker's log": "\n".join(p.read_text(errors="replace") for p in worker_logs),
        "gunicorn's log": access_log,
    }
    found = {where: secrets.in_text(text) for where, text in texts.items()}
    assert found == {where: [] for where in texts}
    # The run did log what it should: requests refused, with their tokens redacted, and sends.
    assert len(ours) > 50 and "Not Found: /r/[redacted]/" in logged
    assert "succeeded" in texts["the worker's log"]

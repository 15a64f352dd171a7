"""The security baseline beyond tests/test_security.py: CSRF on every URL the project has,
production settings (deploy check, secure cookies), the device admin, and CR/LF in text that
reaches an email header, a calendar or a spreadsheet."""

import csv
import datetime as dt
import io
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import icalendar
import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.exits import every_path
from tests.support.leaks import SUPERUSER, objects_for
from tests.support.reminders import deliver, swept
from tests.support.smtp import SmtpSink
from tests.support.state import database_state
from tests.test_delivery import use_smtp
from tracker import roles

ROOT = Path(__file__).resolve().parents[2]
SEND_AT = dt.datetime(2026, 12, 7, 14, 30, tzinfo=dt.UTC)  # Monday, 09:30 in New York


# --- CSRF on every page that takes a POST ---------------------------------------------------------


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(leak_world, settings):
    """Each URL pattern of the project (walked from the resolver), posted to by a signed-in
    superuser without the token: refused by the CSRF check, the database unchanged."""
    settings.ADMIN_REQUIRE_OTP = False
    client = Client(enforce_csrf_checks=True)
    client.force_login(leak_world.users[SUPERUSER])
    paths, unfilled = every_path(objects_for(leak_world, SUPERUSER))
    assert not unfilled, unfilled
    before = database_state()
    accepted = []
    # The one-click unsubscribe address takes a mail provider's POST without cookies (RFC 8058):
    # its signed token is the authority; tests/test_notifications.py covers it.
    paths = [path for path in paths if not path.startswith("/u/")]
    for path in paths:
        response = client.post(path, {"note": "posted without a token", "to": "implemented"})
        if response.status_code != 403 or b"CSRF" not in response.content:
            accepted.append(f"{path}: {response.status_code}")
    assert accepted == []
    assert len(paths) > 100
    assert database_state() == before


# --- Production settings --------------------------------------------------------------------------

PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings

call_command("check", deploy=True, fail_level="WARNING")
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain_static):  # no collectstatic manifest needed here
    client = Client(HTTP_HOST="tracker.example.org")
    insecure = client.get("/accounts/login/")
    secure = client.get("/accounts/login/", secure=True)
    forwarded = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
csrf = secure.cookies["csrftoken"]
print(json.dumps({
    "redirect": [insecure.status_code, insecure.get("Location", "")],
    "forwarded": [forwarded.status_code, forwarded.get("Location", "")],
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csrf_cookie": [bool(csrf["secure"]), csrf["samesite"]],
    "session_cookie": [settings.SESSION_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY,
                       settings.SESSION_COOKIE_SAMESITE, settings.SESSION_COOKIE_AGE,
                       settings.SESSION_EXPIRE_AT_BROWSER_CLOSE],
    "csp": secure.get("Content-Security-Policy", ""),
}))
"""


def production_probe(tmp_path, **variables) -> dict:
    """What the production settings (DEBUG off) do, seen from a client, in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="tracker.example.org",
        SITE_URL="https://tracker.example.org",
        VAR_DIR=str(tmp_path),
        **variables,
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deploy_check_and_send_only_secure_cookies(tmp_path):
    seen = production_probe(tmp_path)
    assert seen["redirect"] == [301, "https://tracker.example.org/accounts/login/"]
    # No trusted proxy: a client's own X-Forwarded-Proto over plain HTTP is still redirected.
    assert seen["forwarded"] == seen["redirect"]
    assert "max-age=31536000" in seen["hsts"] and "includeSubDomains" in seen["hsts"]
    assert seen["csrf_cookie"] == [True, "Lax"]
    assert seen["session_cookie"][:3] == [True, True, "Lax"]
    assert seen["session_cookie"][3] <= 12 * 3600 and seen["session_cookie"][4] is True
    assert "script-src 'self'" in seen["csp"] and "unsafe-inline" not in seen["csp"]


def test_behind_a_proxy_that_says_so_its_x_forwarded_proto_is_believed(tmp_path):
    seen = production_probe(tmp_path, PROXY_SETS_X_FORWARDED_PROTO="1")
    assert seen["forwarded"] == [200, ""]
    assert seen["redirect"] == [301, "https://tracker.example.org/accounts/login/"]


def test_the_device_admin_never_shows_an_authenticator_secret(otp_admin_client):
    device = TOTPDevice.objects.get(user=otp_admin_client.user)
    for view in ("config", "qrcode"):
        assert otp_admin_client.get(
            f"/admin/otp_totp/totpdevice/{device.pk}/{view}/"
        ).status_code == (403)
    page = otp_admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in page


# --- CR/LF in text that reaches an email, a calendar or a spreadsheet ----------------------------

INJECTION = "\r\nBcc: thief@evil.example\r\nX-Injected: yes"


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        use_smtp(settings, server.port)
        yield server


def test_crlf_in_a_name_or_title_adds_no_header_to_a_digest(sink, user_factory, item_factory):
    owner = user_factory("owner", role=roles.OWNERS)
    owner.first_name, owner.last_name = "Eve" + INJECTION, "Doe" + INJECTION
    owner.save()
    item_factory("late", owner=owner, title_en="Plan" + INJECTION, due_date=dt.date(2026, 12, 4))
    (row,) = swept(SEND_AT)
    assert deliver(row.pk, SEND_AT).state == "sent"
    (message,) = sink.wait_for(1)
    assert sink.envelopes == [("tracker@localhost", ["owner@example.org"])]
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert "\n" not in message["Subject"]
    assert "Plan" in message.get_body(("plain",)).get_content()


def test_an_address_with_crlf_is_never_sent_to(sink, user_factory, item_factory):
    owner = user_factory("owner", role=roles.OWNERS)
    User.objects.filter(pk=owner.pk).update(email="owner@example.org" + INJECTION)
    item_factory("late", owner=owner, due_date=dt.date(2026, 12, 4))
    (row,) = swept(SEND_AT)
    outcome = deliver(row.pk, SEND_AT)
    assert outcome.state != "sent"
    assert sink.envelopes == [] and sink.messages == []


def test_crlf_in_a_title_adds_no_calendar_event_and_no_spreadsheet_row(client, world):
    world.public.title_en = "Plan" + "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected"
    world.public.save()
    client.force_login(world.owner)
    feed = client.get(f"/calendar/{world.owner.profile.calendar_token}.ics").content
    events = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == [
        "public-item@recommendations-tracker",
        "us-secret@recommendations-tracker",
    ]
    summaries = {str(e["uid"]).split("@")[0]: str(e["summary"]) for e in events}
    assert "injected" in summaries["public-item"] and b"\r\nSUMMARY:injected" not in feed
    export = b"".join(client.get("/items/export.csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(export)))[1:]
    assert sorted(row[0] for row in rows) == ["closed-item", "public-item", "us-secret"]

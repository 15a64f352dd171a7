"""Enrolling an authenticator takes more than the password: a one-time link emailed to the
account's address or issued by a superuser, opened in the session signed in with that password.
Until then no secret is shown and the admin stays closed. As a coordinator and as an owner
cleared for no marking (the two kinds of staff)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.admin.test_two_factor import path_of, sign_in_with_password
from tests.support.admin import CHANGELIST, text_of, verify_second_factor
from tracker import enrolment, roles
from tracker.log_redaction import redact

LINK = re.compile(r"http://[^/\s]+(/admin/two-factor/enrol/[^/\s]+/)")


@pytest.fixture(autouse=True)
def otp_on(settings):
    settings.ADMIN_REQUIRE_OTP = True


@pytest.fixture(params=["coordinator", "owner"])
def staff(request, user_factory):
    """A coordinator, or an owner cleared for no marking; both staff without an authenticator."""
    if request.param == "coordinator":
        return user_factory("coord", role=roles.COORDINATORS)
    return user_factory("coord", role=roles.OWNERS)


def signed_in_with_password(user) -> Client:
    client = Client()
    sign_in_with_password(client, user.username)
    return client


def emailed_link(mailoutbox, user) -> str:
    (message,) = [m for m in mailoutbox if m.to == [user.email]]
    (html, _type) = message.alternatives[0]
    found = LINK.search(message.body)
    assert found and found[1] in html
    return found[1]


def open_link(client, link: str):
    page = client.get(link)
    assert page.status_code == 200 and "Set up my authenticator" in text_of(page)
    return client.post(link)


def test_a_password_alone_shows_no_secret_and_keeps_the_admin_closed(staff, item_factory):
    item_factory(title_en="Gated plan")
    client = signed_in_with_password(staff)
    page = text_of(client.get("/admin/two-factor/"))
    assert "one-time enrolment link" in page
    assert 'class="otp-secret"' not in page and 'class="qr-code"' not in page
    assert not TOTPDevice.objects.filter(user=staff).exists()  # no secret was even made
    client.post("/admin/two-factor/", {"token": "123456"})  # no device to check a code against
    assert client.get(CHANGELIST).status_code == 302
    assert "Gated plan" not in text_of(client.get(CHANGELIST, follow=True))


def test_staff_enrol_with_the_link_emailed_to_their_address(staff, mailoutbox, caplog):
    caplog.set_level(logging.INFO, logger="tracker.audit")
    client = signed_in_with_password(staff)
    sent = client.post("/admin/two-factor/", {"send_link": "1"})
    assert "We sent an enrolment link" in text_of(sent)
    link = emailed_link(mailoutbox, staff)
    assert "It works once, within 24 hours." in mailoutbox[0].body
    response = open_link(client, link)
    assert response["Location"] == "/admin/two-factor/"
    page = text_of(client.get("/admin/two-factor/"))
    assert 'class="qr-code"' in page and re.search(r'class="otp-secret">[A-Z2-7]{16,}<', page)
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    verify_second_factor(client, device)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(CHANGELIST).status_code == 200
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "tracker.audit")
    assert "emailed" in logged and "used" in logged and "confirmed" in logged


def test_a_link_works_once(staff, mailoutbox):
    client = signed_in_with_password(staff)
    link = path_of(enrolment.issue_link(user=staff, by=None, now=timezone.now()))
    open_link(client, link)
    again = client.post(link)
    assert again.status_code == 400
    assert "This enrolment link cannot be used" in text_of(again)
    # The refusal offers a new link by email, from the two-factor page (not this link's).
    assert 'action="/admin/two-factor/"' in text_of(again)
    assert TOTPDevice.objects.filter(user=staff).count() == 1  # the session's, still pending


def test_a_link_opened_in_someone_elses_session_is_refused_and_stays_theirs(staff, user_factory):
    other = user_factory("other-staff", role=roles.COORDINATORS)
    link = path_of(enrolment.issue_link(user=staff, by=None, now=timezone.now()))
    refused = signed_in_with_password(other).post(link)
    assert refused.status_code == 400
    assert "This enrolment link cannot be used" in text_of(refused)
    assert not TOTPDevice.objects.filter(user=other).exists()
    assert open_link(signed_in_with_password(staff), link).status_code == 302


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in_and_the_link_is_kept(staff):
    link = path_of(enrolment.issue_link(user=staff, by=None, now=timezone.now()))
    response = Client().post(link)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert open_link(signed_in_with_password(staff), link).status_code == 302


def test_an_expired_or_replaced_link_is_refused(staff):
    now = timezone.now()
    expired = path_of(enrolment.issue_link(user=staff, by=None, now=now - dt.timedelta(hours=25)))
    client = signed_in_with_password(staff)
    assert client.post(expired).status_code == 400
    first = path_of(enrolment.issue_link(user=staff, by=None, now=now))
    second = path_of(enrolment.issue_link(user=staff, by=None, now=now))
    assert client.post(first).status_code == 400
    assert client.post(second).status_code == 302


@pytest.mark.parametrize("token", ["x", "abc:def", "e30:1tz4Lq", "%00"])
def test_a_forged_link_is_refused_plainly(staff, token):
    response = signed_in_with_password(staff).post(f"/admin/two-factor/enrol/{token}/")
    assert response.status_code == 400
    assert "This enrolment link cannot be used" in text_of(response)


def test_asking_twice_in_a_row_sends_one_email(staff, mailoutbox):
    client = signed_in_with_password(staff)
    client.post("/admin/two-factor/", {"send_link": "1"})
    again = text_of(client.post("/admin/two-factor/", {"send_link": "1"}))
    assert "A link was sent a moment ago" in again
    assert len(mailoutbox) == 1


def test_an_account_without_email_is_told_to_ask_a_superuser(staff, mailoutbox):
    staff.email = ""
    staff.save()
    page = text_of(signed_in_with_password(staff).post("/admin/two-factor/", {"send_link": "1"}))
    assert "ask a superuser for an enrolment link" in page
    assert mailoutbox == []


def test_the_email_is_in_the_account_holders_language(user_factory, mailoutbox):
    kim = user_factory("kim", role=roles.COORDINATORS, language="ko")
    enrolment.send_link(user=kim, now=timezone.now())
    assert "2단계" in mailoutbox[0].subject


def test_a_superuser_issues_links_from_the_user_list(otp_admin_client, staff, user_factory):
    enrolled = user_factory("enrolled", role=roles.COORDINATORS)
    TOTPDevice.objects.create(user=enrolled, name="phone", confirmed=True)
    response = otp_admin_client.post(
        "/admin/auth/user/",
        {"action": "issue_enrolment_links", "_selected_action": [staff.pk, enrolled.pk]},
    )
    page = text_of(response)
    (link,) = re.findall(
        r'class="enrolment-link">http://[^/]+(/admin/two-factor/enrol/[^<]+/)<', page
    )
    assert "enrolled has an authenticator already" in page
    assert open_link(signed_in_with_password(staff), link).status_code == 302


def test_only_a_superuser_may_issue_links(settings, user_factory, staff):
    settings.ADMIN_REQUIRE_OTP = False
    coordinator = user_factory("plain-coord", role=roles.COORDINATORS)
    client = Client()
    client.force_login(coordinator)
    response = client.post(
        "/admin/auth/user/", {"action": "issue_enrolment_links", "_selected_action": [staff.pk]}
    )
    assert "enrolment-link" not in text_of(response)
    assert not TOTPDevice.objects.filter(user=staff).exists()
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.issue_link(user=staff, by=coordinator, now=timezone.now())


def test_the_command_prints_a_link_for_the_first_superuser(user_factory):
    root = user_factory("root", role=None, superuser=True)
    out = StringIO()
    call_command("enrolment_link", "root", stdout=out)
    link = LINK.search(out.getvalue())[1]
    assert open_link(signed_in_with_password(root), link).status_code == 302
    with pytest.raises(CommandError, match="No user"):
        call_command("enrolment_link", "nobody")


def test_an_enrolment_link_never_reaches_a_log():
    line = '"GET /admin/login/?next=/admin/two-factor/enrol/eyJ1IjoxfQ:1abc:XyZ/ HTTP/1.1" 302'
    assert "eyJ1" not in redact(line) and "/two-factor/enrol/[redacted]/" in redact(line)

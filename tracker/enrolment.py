"""Enrolling an authenticator for the admin's two-factor sign-in takes more than the password.

Staff without a confirmed authenticator get a one-time enrolment link: emailed to the address on
their account (they ask for it on the two-factor page), or issued by a superuser (an action on
the user list, or `manage.py enrolment_link` for the first superuser). The link works only in a
session signed in with that account's password, once, within ADMIN_ENROLMENT_LINK_HOURS; only
then is a secret made and shown. So a stolen password alone never yields an authenticator.

A link names a pending (unconfirmed) device and a keyed hash of its secret, which is never
shown. Opening it deletes that device and makes a fresh one for the session, so the link is
spent; issuing a new link replaces the pending device, so only the latest link works. Every
issue, use and refusal is written to the audit log (the `tracker.audit` logger).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

audit = logging.getLogger("tracker.audit")

SALT = "tracker.two-factor.enrolment"
DEVICE_NAME = "Admin authenticator"
# One email a user may ask for this often: enough to retry a lost message, too little to flood.
EMAIL_INTERVAL = dt.timedelta(minutes=2)
CLOCK_SKEW = dt.timedelta(minutes=5)


class EnrolmentRefused(Exception):
    """Why a link cannot be issued, sent or used, in words for the person who tried."""


def _key_hash(device: TOTPDevice) -> str:
    return salted_hmac(SALT, device.key).hexdigest()[:32]


def _issue(*, user, now: dt.datetime) -> str:
    """A new pending device for `user` (replacing any other) and the path of its link."""
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    payload = {"u": user.pk, "d": device.pk, "k": _key_hash(device), "t": int(now.timestamp())}
    token = signing.Signer(salt=SALT).sign_object(payload)
    return reverse("admin:two_factor_enrol", kwargs={"token": token})


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def issue_link(*, user, by, now: dt.datetime) -> str:
    """A link for `user` issued by the superuser `by` (None: the server's command line), to
    hand over in person or by another trusted channel. Refused for someone who is not active
    staff, or who has an authenticator already (delete it first to replace it)."""
    if by is not None and not by.is_superuser:
        raise EnrolmentRefused(_("Only a superuser may issue an enrolment link."))
    name = user.get_username()
    if not (user.is_active and user.is_staff):
        raise EnrolmentRefused(_("%(user)s is not active staff.") % {"user": name})
    if has_authenticator(user):
        raise EnrolmentRefused(
            _(
                "%(user)s has an authenticator already: delete it under “TOTP devices” first "
                "to replace it."
            )
            % {"user": name}
        )
    path = _issue(user=user, now=now)
    issuer = f"superuser {by.pk}" if by is not None else "the command line"
    audit.info("enrolment link issued for user %s by %s", user.pk, issuer)
    return settings.SITE_URL + path


def send_link(*, user, now: dt.datetime) -> None:
    """Email a link to the address on `user`'s account, in their language."""
    if not user.email:
        raise EnrolmentRefused(
            _("Your account has no email address: ask a superuser for an enrolment link.")
        )
    pending = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if pending is not None and now - pending.created_at < EMAIL_INTERVAL:
        raise EnrolmentRefused(
            _("A link was sent a moment ago: check your mailbox, or try again in two minutes.")
        )
    url = settings.SITE_URL + _issue(user=user, now=now)
    profile = getattr(user, "profile", None)
    with translation.override(getattr(profile, "language", None) or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "url": url,
            "hours": settings.ADMIN_ENROLMENT_LINK_HOURS,
            "language": translation.get_language(),
        }
        subject = render_to_string("tracker/email/enrolment_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject, render_to_string("tracker/email/enrolment.txt", context), to=[user.email]
        )
        message.attach_alternative(
            render_to_string("tracker/email/enrolment.html", context), "text/html"
        )
    message.send()
    audit.info("enrolment link emailed to user %s", user.pk)


def _payload(token: str) -> dict | None:
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), int) for k in ("u", "d", "t")
    ):
        return None
    return payload


def start_enrolment(*, user, token: str, now: dt.datetime) -> TOTPDevice:
    """The fresh pending device whose secret `user` may now see, for a link of theirs that is
    valid, unexpired and unused; EnrolmentRefused otherwise (one message for every reason: a
    link is someone's credential, and the page should not help guess what is wrong with it)."""
    payload = _payload(token)
    device = None
    if payload is not None and payload["u"] == user.pk:
        issued = dt.datetime.fromtimestamp(payload["t"], tz=dt.UTC)
        age = dt.timedelta(hours=settings.ADMIN_ENROLMENT_LINK_HOURS)
        if now - age <= issued <= now + CLOCK_SKEW:
            device = TOTPDevice.objects.filter(pk=payload["d"], user=user, confirmed=False).first()
    if device is None or not constant_time_compare(_key_hash(device), str(payload.get("k"))):
        audit.warning("enrolment link refused for user %s", user.pk)
        raise EnrolmentRefused(
            _(
                "This enrolment link cannot be used: it has expired, was used already, was "
                "replaced by a newer one, or is for another account. Ask for a new one."
            )
        )
    device.delete()
    audit.info("enrolment link used by user %s", user.pk)
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def confirm(*, device: TOTPDevice) -> None:
    """The device passed its first code: it is the user's authenticator from now on."""
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.devices_for_user(device.user, confirmed=False).delete()
    audit.info("authenticator confirmed for user %s", device.user_id)

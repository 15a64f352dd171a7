"""What the tracker keeps of a person: organization, country, time zone, language,
clearances."""

from __future__ import annotations

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import (
    Country,
    DigestFrequency,
    Language,
)
from .items import (
    Organization,
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone: %(tz)s") % {"tz": value})


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="profile",
        verbose_name=_("user"),
    )
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        verbose_name=_("organization"),
    )
    country = models.CharField(
        _("country"), max_length=5, choices=Country.choices, default=Country.US
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="America/New_York",
        validators=[validate_time_zone],
        help_text=_("An IANA name such as Asia/Seoul: pages and reminders follow it."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    # Markings beyond "releasable to all" that this user is cleared to see.
    may_see_us_only = models.BooleanField(default=False, verbose_name=_("May see U.S. only"))
    may_see_kr_only = models.BooleanField(default=False, verbose_name=_("May see ROK only"))
    may_see_us_kr = models.BooleanField(default=False, verbose_name=_("May see U.S. and ROK"))
    calendar_token = models.CharField(
        _("calendar feed token"), max_length=64, unique=True, default=new_calendar_token
    )
    # How this person hears from the tracker (tracker/notifications.py reads and changes these).
    digest_frequency = models.CharField(
        _("digest"),
        max_length=16,
        choices=DigestFrequency.choices,
        default=DigestFrequency.WORKING_DAYS,
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("digest hour"),
        null=True,
        blank=True,
        help_text=_("Local hour the digest goes out; empty: the site's (REMINDER_LOCAL_HOUR)."),
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("weekly digest day"), choices=WEEKDAYS, default=0
    )
    muted_sections = models.JSONField(
        _("sections left out"),
        default=list,
        blank=True,
        help_text=_("Digest sections this person chose not to receive."),
    )
    digests_paused_until = models.DateField(
        _("digests paused until"),
        null=True,
        blank=True,
        help_text=_("No digest before this local date."),
    )
    digests_stopped_at = models.DateTimeField(
        _("digests stopped"),
        null=True,
        blank=True,
        help_text=_("When the person stopped their digests (the email's unsubscribe link)."),
    )

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="profile_valid_language"
            ),
            models.CheckConstraint(
                condition=Q(country__in=Country.values), name="profile_valid_country"
            ),
            models.CheckConstraint(
                condition=Q(digest_frequency__in=DigestFrequency.values),
                name="profile_valid_digest_frequency",
            ),
            models.CheckConstraint(
                condition=Q(digest_hour__isnull=True) | Q(digest_hour__lte=23),
                name="profile_digest_hour_0_to_23",
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__lte=6), name="profile_digest_weekday_0_to_6"
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class ExternalIdentity(models.Model):
    """An account's identity at an OpenID Connect provider: the provider's name (from
    OIDC_PROVIDERS) and its stable subject (`sub`). An account may have one at each provider."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    provider = models.CharField(max_length=40)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="external_identity_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"

"""Accounts from an identity provider's claims: made on someone's first sign-in through their
organization's OpenID Connect provider, and brought up to date on each sign-in after.

The mapping (docs/operations.md, "Sign-in through an identity provider"):

- `sub` links the account (one ExternalIdentity per provider and subject). On a first sign-in an
  existing account with the same email is linked only when the provider says the email is
  verified and the provider allows linking; a superuser's account is never linked.
- `email` (required), `given_name`/`family_name` (or `name`) update the account.
- `locale` sets the language (en or ko), `zoneinfo` the time zone; the country claim the country
  (US, KR or JOINT; USA/KOR/ROK too); the organization claim the organization, by its key.
  A claim that is absent or holds a value the tracker does not know leaves the stored value as
  it is (a new account takes the organization's country, that country's language and zone).
- The groups claim decides the roles (readers, owners, coordinators, through the provider's
  group names) and the clearances claim the releasability markings: both are the provider's
  word on every sign-in, so a group or clearance it stops asserting is taken away. No role
  claim: the reader role, or a refusal where the provider requires one.
- Unknown organizations, groups, clearances, countries and languages are ignored with a log
  line; they never fail the sign-in.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import Country, ExternalIdentity, Language, Marking, Organization, Profile

log = logging.getLogger(__name__)

ROLE_KEYS = {"readers": roles.READERS, "owners": roles.OWNERS, "coordinators": roles.COORDINATORS}
STAFF_ROLES = frozenset({roles.OWNERS, roles.COORDINATORS})
CLEARANCE_FIELDS = {
    Marking.US_ONLY.value: "may_see_us_only",
    Marking.KR_ONLY.value: "may_see_kr_only",
    Marking.US_KR.value: "may_see_us_kr",
}
COUNTRIES = {
    "US": Country.US,
    "USA": Country.US,
    "KR": Country.KR,
    "KOR": Country.KR,
    "ROK": Country.KR,
    "JOINT": Country.JOINT,
}
HOME_TIME_ZONES = {Country.US: "America/New_York", Country.KR: "Asia/Seoul"}
_USERNAME = re.compile(r"^[\w.@+-]{1,150}\Z")


class SignInRefused(Exception):
    """The provider vouched for someone the tracker will not let in; `message` says why."""

    def __init__(self, message: str):
        super().__init__(str(message))
        self.message = message


NO_SUBJECT = _("The identity provider did not say who you are.")
NO_EMAIL = _("The identity provider did not share your email address, which the tracker needs.")
NO_ROLE = _(
    "Your identity provider does not give you a role in the tracker. Ask its administrator."
)
INACTIVE = _("Your account in the tracker is disabled. Ask a coordinator.")
EMAIL_TAKEN = _(
    "An account with your email address already exists and cannot be linked to this identity "
    "provider. Ask a coordinator."
)


@dataclass(frozen=True)
class ProviderRules:
    """How one provider's claims map onto accounts (built from one OIDC_PROVIDERS entry)."""

    name: str
    groups: Mapping[str, str]  # the provider's group name (lower case) -> a role group's name
    clearances: Mapping[str, str]  # the provider's clearance value (lower case) -> a marking
    claim_names: Mapping[str, str]  # groups/clearances/country/organization -> claim name
    require_role: bool = False
    link_by_email: bool = True
    mfa_amr: frozenset[str] = frozenset({"mfa"})
    mfa_acr: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, entry: Mapping[str, Any]) -> ProviderRules:
        """Rules from a settings entry; a role or marking the tracker does not know is an
        error in the configuration, so it fails loudly."""
        groups = {}
        for group, role in entry["groups"].items():
            if role.lower() not in ROLE_KEYS:
                raise ValueError(
                    f"{entry['name']}: {role!r} is not readers, owners or coordinators"
                )
            groups[group.lower()] = ROLE_KEYS[role.lower()]
        clearances = {}
        for value, marking in entry["clearances"].items():
            if marking.lower() not in CLEARANCE_FIELDS:
                raise ValueError(f"{entry['name']}: {marking!r} is not us-only, kr-only or us-kr")
            clearances[value.lower()] = marking.lower()
        return cls(
            name=entry["name"],
            groups=groups,
            clearances=clearances,
            claim_names=dict(entry["claim_names"]),
            require_role=entry["require_role"],
            link_by_email=entry["link_by_email"],
            mfa_amr=frozenset(entry["mfa_amr"]),
            mfa_acr=frozenset(entry["mfa_acr"]),
        )

    def claim(self, claims: Mapping[str, Any], what: str) -> Any:
        return claims.get(self.claim_names.get(what, what))


def values(claim: Any) -> list[str]:
    """A claim as a list of strings: a JSON list, or one string of comma- or space-separated
    values (providers send groups both ways). Anything else is no values."""
    if isinstance(claim, str):
        return [part for part in re.split(r"[,\s]+", claim) if part]
    if isinstance(claim, Iterable) and not isinstance(claim, Mapping):
        return [str(part) for part in claim if isinstance(part, str | int)]
    return []


def asserts_multi_factor(*, rules: ProviderRules, id_token: Mapping[str, Any]) -> bool:
    """Whether the ID token says the person signed in with more than one factor: an `amr`
    value or the `acr` this provider's settings count as multi-factor. Only the signed ID
    token may say so, never the user-info response."""
    amr = {value.lower() for value in values(id_token.get("amr"))}
    acr = str(id_token.get("acr") or "")
    return bool(amr & {value.lower() for value in rules.mfa_amr}) or acr in rules.mfa_acr


def mapped_roles(*, rules: ProviderRules, claims: Mapping[str, Any]) -> set[str]:
    """The role groups the claims name; unknown group names are logged and ignored."""
    found, unknown = set(), []
    for group in values(rules.claim(claims, "groups")):
        role = rules.groups.get(group.lower())
        if role:
            found.add(role)
        else:
            unknown.append(group)
    if unknown:
        log.info("sign-in via %s: groups without a role ignored: %s", rules.name, unknown)
    return found


def mapped_markings(*, rules: ProviderRules, claims: Mapping[str, Any]) -> set[str]:
    """The markings the clearance claims grant; unknown values are logged and ignored."""
    found, unknown = set(), []
    for value in values(rules.claim(claims, "clearances")):
        marking = rules.clearances.get(value.lower())
        if marking:
            found.add(marking)
        else:
            unknown.append(value)
    if unknown:
        log.info("sign-in via %s: clearances without a marking ignored: %s", rules.name, unknown)
    return found


def sign_in_account(*, rules: ProviderRules, claims: Mapping[str, Any], now: dt.datetime) -> User:
    """The account for these (already verified) claims: linked, made or updated, then returned.

    Raises SignInRefused, changing nothing, when the claims hold no subject or email, name no
    role where the provider requires one, belong to a disabled account, or carry the email of
    an account that may not be linked (a superuser's, an unverified email, several accounts).
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignInRefused(NO_SUBJECT)
    email = str(claims.get("email") or "").strip()
    if "@" not in email:
        raise SignInRefused(NO_EMAIL)
    role_names = mapped_roles(rules=rules, claims=claims)
    if not role_names:
        if rules.require_role:
            log.warning("sign-in via %s refused: no role claim for %s", rules.name, subject)
            raise SignInRefused(NO_ROLE)
        role_names = {roles.READERS}
    with transaction.atomic():
        link = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(provider=rules.name, subject=subject)
            .first()
        )
        user = link.user if link else _account_to_link(rules=rules, claims=claims, email=email)
        if user is not None and not user.is_active:
            log.warning("sign-in via %s refused: account %s is disabled", rules.name, user.pk)
            raise SignInRefused(INACTIVE)
        user = _update_account(user, rules=rules, claims=claims, email=email, roles=role_names)
        if link is None:
            ExternalIdentity.objects.create(
                user=user, provider=rules.name, subject=subject, created_at=now, last_sign_in_at=now
            )
        else:
            ExternalIdentity.objects.filter(pk=link.pk).update(last_sign_in_at=now)
    return user


def _account_to_link(*, rules: ProviderRules, claims: Mapping[str, Any], email: str) -> User | None:
    """The existing account a first sign-in joins, or None for a new one."""
    same_email = list(User.objects.filter(email__iexact=email)[:2])
    if not same_email:
        return None
    verified = claims.get("email_verified") is True
    if len(same_email) == 1 and rules.link_by_email and verified:
        (user,) = same_email
        if not user.is_superuser:
            log.info("sign-in via %s: linked to the existing account %s", rules.name, user.pk)
            return user
    log.warning(
        "sign-in via %s refused: the email belongs to an account it may not join", rules.name
    )
    raise SignInRefused(EMAIL_TAKEN)


def _update_account(
    user: User | None,
    *,
    rules: ProviderRules,
    claims: Mapping[str, Any],
    email: str,
    roles: set[str],
) -> User:
    if user is None:
        user = User(username=_new_username(rules=rules, claims=claims, email=email))
        user.set_unusable_password()
    user.email = email
    given, family = claims.get("given_name"), claims.get("family_name")
    if given or family:
        user.first_name, user.last_name = str(given or "")[:150], str(family or "")[:150]
    elif claims.get("name"):
        user.first_name, user.last_name = str(claims["name"])[:150], ""
    user.is_staff = user.is_superuser or bool(roles & STAFF_ROLES)
    user.save()
    role_groups = Group.objects.filter(name__in=ROLE_KEYS.values())
    user.groups.remove(*[group for group in role_groups if group.name not in roles])
    user.groups.add(*[group for group in role_groups if group.name in roles])
    _update_profile(user, rules=rules, claims=claims)
    return user


def _update_profile(user: User, *, rules: ProviderRules, claims: Mapping[str, Any]) -> None:
    profile = Profile.objects.filter(user=user).first()
    is_new = profile is None
    if is_new:
        profile = Profile(user=user)
    organization = _organization(rules=rules, claims=claims)
    if organization is not None:
        profile.organization = organization
    country = _country(rules=rules, claims=claims)
    if country is None and is_new and organization is not None:
        country = organization.country
    if country is not None:
        profile.country = country
    language = _language(rules=rules, claims=claims)
    if language is None and is_new:
        language = Language.KO if profile.country == Country.KR else Language.EN
    if language is not None:
        profile.language = language
    time_zone = _time_zone(rules=rules, claims=claims)
    if time_zone is None and is_new:
        time_zone = HOME_TIME_ZONES.get(profile.country, profile.time_zone)
    if time_zone is not None:
        profile.time_zone = time_zone
    markings = mapped_markings(rules=rules, claims=claims)
    for marking, field in CLEARANCE_FIELDS.items():
        setattr(profile, field, marking in markings)
    profile.save()
    # The request's user carries the profile it was loaded with (auth_backend.ProfileBackend).
    user.profile = profile


def _organization(*, rules: ProviderRules, claims: Mapping[str, Any]) -> Organization | None:
    key = rules.claim(claims, "organization")
    if not key:
        return None
    organization = Organization.objects.filter(key=str(key)).first()
    if organization is None:
        log.info("sign-in via %s: unknown organization %r ignored", rules.name, key)
    return organization


def _country(*, rules: ProviderRules, claims: Mapping[str, Any]) -> str | None:
    value = rules.claim(claims, "country")
    if value is None:
        address = claims.get("address")
        value = address.get("country") if isinstance(address, Mapping) else None
    if not value:
        return None
    country = COUNTRIES.get(str(value).strip().upper())
    if country is None:
        log.info("sign-in via %s: unknown country %r ignored", rules.name, value)
    return country


def _language(*, rules: ProviderRules, claims: Mapping[str, Any]) -> str | None:
    locale = str(claims.get("locale") or "")
    if not locale:
        return None
    language = re.split(r"[-_]", locale, maxsplit=1)[0].lower()
    if language not in Language.values:
        log.info("sign-in via %s: locale %r has no translation; language kept", rules.name, locale)
        return None
    return language


def _time_zone(*, rules: ProviderRules, claims: Mapping[str, Any]) -> str | None:
    name = str(claims.get("zoneinfo") or "")
    if not name:
        return None
    if name not in zoneinfo.available_timezones():
        log.info("sign-in via %s: unknown time zone %r ignored", rules.name, name)
        return None
    return name


def _new_username(*, rules: ProviderRules, claims: Mapping[str, Any], email: str) -> str:
    """The provider's preferred username, else the email, else provider and subject: the
    first that is a valid username and not taken."""
    fallback = f"{rules.name}-{claims['sub']}"[:150]
    for candidate in (claims.get("preferred_username"), email, fallback):
        candidate = str(candidate or "")
        if (
            _USERNAME.match(candidate)
            and not User.objects.filter(username__iexact=candidate).exists()
        ):
            return candidate
    return f"{fallback[:140]}-{secrets.token_hex(4)}"

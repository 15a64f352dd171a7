"""The claims mapping (tracker/identity.py): accounts made and updated from a provider's claims."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User

from config.settings import _oidc_provider
from tests.conftest import NOW
from tests.support.oidc import claims_of
from tracker import identity, roles
from tracker.models import Country, ExternalIdentity, Profile

ENTRY = {
    "name": "corp",
    "label": "Corp",
    "claim_names": {c: c for c in ("groups", "clearances", "country", "organization")},
    "groups": {
        "tracker-readers": "readers",
        "tracker-owners": "owners",
        "secretariat": "coordinators",
    },
    "clearances": {"REL-USA": "us-only", "REL-KOR": "kr-only", "REL-USA-KOR": "us-kr"},
    "require_role": False,
    "link_by_email": True,
    "mfa_amr": ["mfa", "hwk"],
    "mfa_acr": ["urn:corp:mfa"],
}
RULES = identity.ProviderRules.from_settings(ENTRY)


def sign_in(sub: str = "sub-1", rules=RULES, **changes) -> User:
    claims = {"sub": sub, **claims_of("minji", **{"groups": ["tracker-readers"], **changes})}
    return identity.sign_in_account(rules=rules, claims=claims, now=NOW)


def role_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_a_first_sign_in_makes_the_account_from_every_mapped_claim(db, kr_org):
    user = sign_in(
        email="kim.minji@dapa.go.kr",
        given_name="Minji",
        family_name="Kim",
        locale="ko-KR",
        zoneinfo="Asia/Seoul",
        country="KOR",
        organization="dapa",
        groups=["tracker-owners", "secretariat"],
        clearances=["REL-KOR", "REL-USA-KOR"],
    )
    profile = Profile.objects.get(user=user)
    assert (user.email, user.get_full_name()) == ("kim.minji@dapa.go.kr", "Minji Kim")
    assert (profile.country, profile.language, profile.time_zone) == ("KR", "ko", "Asia/Seoul")
    assert profile.organization == kr_org
    assert role_names(user) == {roles.OWNERS, roles.COORDINATORS}
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert (profile.may_see_us_only, profile.may_see_kr_only, profile.may_see_us_kr) == (
        False,
        True,
        True,
    )
    link = ExternalIdentity.objects.get(user=user)
    assert (link.provider, link.subject, link.created_at) == ("corp", "sub-1", NOW)


def test_the_next_sign_in_follows_the_provider_roles_and_clearances_included(db):
    first = sign_in(groups=["secretariat"], clearances=["REL-USA", "REL-USA-KOR"])
    again = sign_in(groups=["tracker-readers"], clearances=["REL-USA-KOR"], locale="ko")
    profile = Profile.objects.get(user=again)
    assert again.pk == first.pk and User.objects.count() == 1
    assert role_names(again) == {roles.READERS} and not again.is_staff
    assert (profile.may_see_us_only, profile.may_see_us_kr, profile.language) == (False, True, "ko")


def test_a_sign_in_naming_no_role_gets_the_reader_role(db):
    user = sign_in(groups=[])
    assert role_names(user) == {roles.READERS}


def test_a_provider_that_requires_a_role_refuses_a_sign_in_without_one_and_creates_nothing(db):
    strict = identity.ProviderRules.from_settings({**ENTRY, "require_role": True})
    with pytest.raises(identity.SignInRefused):
        sign_in(rules=strict, groups=["cafeteria"])
    assert not User.objects.exists() and not ExternalIdentity.objects.exists()


def test_unknown_organizations_groups_clearances_and_countries_are_logged_and_ignored(db, caplog):
    caplog.set_level(logging.INFO, logger="tracker.identity")
    user = sign_in(
        organization="no-such-office",
        groups=["tracker-owners", "cafeteria"],
        clearances=["REL-USA", "TOP-SECRET"],
        country="Atlantis",
        locale="fr-FR",
        zoneinfo="Mars/Olympus",
    )
    profile = Profile.objects.get(user=user)
    assert role_names(user) == {roles.OWNERS}
    assert profile.organization is None and profile.may_see_us_only
    assert (profile.country, profile.language, profile.time_zone) == (
        "US",
        "en",
        "America/New_York",
    )
    logged = caplog.text
    for word in ("no-such-office", "cafeteria", "TOP-SECRET", "Atlantis", "fr-FR", "Mars/Olympus"):
        assert word in logged


def test_claims_the_provider_stops_sending_leave_the_stored_values(db, kr_org):
    sign_in(organization="dapa", country="KR", locale="ko", zoneinfo="Asia/Seoul")
    claims = {"sub": "sub-1", "email": "minji@example.org", "groups": "tracker-readers"}
    user = identity.sign_in_account(rules=RULES, claims=claims, now=NOW)
    profile = Profile.objects.get(user=user)
    assert (profile.organization, profile.country, profile.language) == (kr_org, "KR", "ko")
    assert profile.time_zone == "Asia/Seoul"


def test_a_new_account_without_country_or_locale_takes_its_organizations(db, kr_org):
    claims = {"sub": "s", "email": "a@dapa.go.kr", "organization": "dapa"}
    user = identity.sign_in_account(rules=RULES, claims=claims, now=NOW)
    profile = Profile.objects.get(user=user)
    assert (profile.country, profile.language, profile.time_zone) == (
        Country.KR,
        "ko",
        "Asia/Seoul",
    )


def test_groups_sent_as_one_string_are_split(db):
    user = sign_in(groups="tracker-owners, secretariat")
    assert role_names(user) == {roles.OWNERS, roles.COORDINATORS}


def test_a_verified_email_links_the_existing_account(db, user_factory):
    existing = user_factory("minji", role=roles.COORDINATORS, email="minji@example.org")
    user = sign_in(groups=["tracker-readers"])
    assert user.pk == existing.pk and role_names(user) == {roles.READERS}
    assert user.has_usable_password()  # the local password still works where allowed


@pytest.mark.parametrize(
    ("verified", "superuser"), [(False, False), (True, True)], ids=["unverified", "superuser"]
)
def test_an_email_that_may_not_be_linked_is_refused(db, user_factory, verified, superuser):
    user_factory("minji", email="minji@example.org", superuser=superuser, role=None)
    with pytest.raises(identity.SignInRefused):
        sign_in(email_verified=verified)
    assert not ExternalIdentity.objects.exists() and User.objects.count() == 1


def test_a_disabled_account_is_refused(db):
    user = sign_in()
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(identity.SignInRefused):
        sign_in()


def test_claims_without_an_email_are_refused(db):
    with pytest.raises(identity.SignInRefused):
        identity.sign_in_account(rules=RULES, claims={"sub": "x"}, now=NOW)
    assert not User.objects.exists()


def test_a_taken_preferred_username_falls_back_to_the_email(db, user_factory):
    user_factory("minji")
    user = sign_in(preferred_username="minji", email="kim@example.org")
    assert user.username == "kim@example.org"


@pytest.mark.parametrize(
    ("id_token", "asserted"),
    [
        ({"amr": ["pwd", "mfa"]}, True),
        ({"amr": ["hwk"]}, True),
        ({"acr": "urn:corp:mfa"}, True),
        ({"amr": ["pwd"], "acr": "urn:corp:password"}, False),
        ({}, False),
    ],
)
def test_multi_factor_is_what_the_providers_settings_count_as_such(id_token, asserted):
    assert identity.asserts_multi_factor(rules=RULES, id_token=id_token) is asserted


def test_a_configuration_naming_an_unknown_role_fails_loudly():
    with pytest.raises(ValueError, match="admins"):
        identity.ProviderRules.from_settings({**ENTRY, "groups": {"it": "admins"}})


def test_a_provider_is_configured_from_its_environment_variables(monkeypatch):
    monkeypatch.setenv("OIDC_ROK_GOV_ISSUER", "https://login.example.kr/")
    monkeypatch.setenv("OIDC_ROK_GOV_CLIENT_ID", "tracker")
    monkeypatch.setenv("OIDC_ROK_GOV_CLIENT_SECRET", "secret")
    monkeypatch.setenv("OIDC_ROK_GOV_GROUPS", "tracker-readers=readers,secretariat=coordinators")
    monkeypatch.setenv("OIDC_ROK_GOV_MFA_ACR", "urn:a,urn:b")
    entry = _oidc_provider("rok-gov")
    assert entry["issuer"] == "https://login.example.kr"
    assert entry["groups"] == {"tracker-readers": "readers", "secretariat": "coordinators"}
    assert entry["mfa_acr"] == ["urn:a", "urn:b"] and entry["scopes"] == "openid email profile"
    assert identity.ProviderRules.from_settings(entry).groups["secretariat"] == roles.COORDINATORS

"""The leak matrix's world: users of each country and group, items of each marking whose text
carries a distinctive word, and everything that can carry that text (timeline, field history,
admin log, reminders, signed links, calendar tokens).

Who may see what is written out here (`SEES`), not asked of releasability.py: the matrix checks
that module, so it must not use it as its oracle. The data is deliberately inconsistent where a
real deployment can become so (a clearance revoked, a marking changed): every user co-owns every
item and owns or coordinates some they may not see, so each page, feed and digest has the chance
to leak.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import json
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import KR_CLEARANCES, US_CLEARANCES, make_user
from tests.support.exits import Objects
from tests.support.leak_meetings import document_text, meetings_and_reports
from tracker import (
    api_tokens,
    comments,
    evidence,
    identity,
    links,
    notifications,
    oidc,
    roles,
    workflow,
)
from tracker.models import (
    ActionItem,
    ApiToken,
    Audience,
    Country,
    EventType,
    Evidence,
    Forum,
    Marking,
    Meeting,
    Mention,
    Organization,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderNews,
    Source,
    Status,
    StatusUpdate,
    Theme,
    UpdateKind,
    Watch,
    WebhookDelivery,
    WebhookEndpoint,
)
from tracker.reminders.sweep import new_message_id

# marking -> (English word, Korean word), found only in that item's title, summary, excerpt and
# timeline notes.
MARKERS = {
    Marking.ALL: ("aardvarkplan", "땅돼지계획"),
    Marking.US_ONLY: ("bandicootplan", "반디쿳계획"),
    Marking.KR_ONLY: ("capybaraplan", "카피바라계획"),
    Marking.US_KR: ("dugongplan", "듀공계획"),
}
# A part every marker shares: searching for it finds every item, while the search box, which
# echoes the term, never shows a whole marker.
SEARCH_TERMS = ("plan", "계획")

US = frozenset({Marking.ALL, Marking.US_ONLY, Marking.US_KR})
KR = frozenset({Marking.ALL, Marking.KR_ONLY, Marking.US_KR})
ANONYMOUS = "anonymous"
# username -> (group, country, clearances, markings they may see)
PEOPLE = {
    "us-owner": (roles.OWNERS, Country.US, US_CLEARANCES, US),
    "kr-owner": (roles.OWNERS, Country.KR, KR_CLEARANCES, KR),
    "us-reader": (roles.READERS, Country.US, US_CLEARANCES, US),
    "kr-reader": (roles.READERS, Country.KR, KR_CLEARANCES, KR),
    "us-coord": (roles.COORDINATORS, Country.US, US_CLEARANCES, US),
    "kr-coord": (roles.COORDINATORS, Country.KR, KR_CLEARANCES, KR),
    "uncleared": (roles.READERS, Country.US, (), frozenset({Marking.ALL})),
}
# Made by a sign-in through an identity provider (tracker/identity.py), from these claims.
PROVIDER_PEOPLE = {
    "sso-kr-reader": (
        {
            "groups": ["readers"],
            "country": "KR",
            "organization": "dapa",
            "clearances": ["kr-only", "us-kr"],
            "locale": "ko-KR",
            "zoneinfo": "Asia/Seoul",
        },
        KR,
    ),
    "sso-us-coord": (
        {
            "groups": ["coordinators", "cafeteria"],
            "country": "US",
            "organization": "dod",
            "clearances": ["us-only", "us-kr", "top-secret"],
        },
        US,
    ),
}
SSO_RULES = {
    "name": "sso",
    "claim_names": {},
    "groups": {"readers": "readers", "owners": "owners", "coordinators": "coordinators"},
    "clearances": {"us-only": "us-only", "kr-only": "kr-only", "us-kr": "us-kr"},
    "require_role": False,
    "link_by_email": False,
    "mfa_amr": ["mfa"],
    "mfa_acr": [],
}
SUPERUSER = "root"
SEES = {name: sees for name, (*_rest, sees) in PEOPLE.items()}
SEES.update({name: sees for name, (_claims, sees) in PROVIDER_PEOPLE.items()})
SEES[SUPERUSER] = frozenset(Marking)
SEES[ANONYMOUS] = frozenset()
# Each item's owner and lead organization: the hidden ones are owned, and escalated to a
# coordinator, on the side that may not see them.
ITEM_SETUP = {
    Marking.ALL: ("us-owner", "us"),
    Marking.US_ONLY: ("kr-owner", "kr"),
    Marking.KR_ONLY: ("us-owner", "us"),
    Marking.US_KR: ("kr-owner", "kr"),
}
PASSWORD = "correct-horse-battery"  # make_user's
# What the last leak matrix checked, for the run's summary (tests/security/conftest.py).
REPORT: dict[str, int] = {}


@dataclass
class LeakWorld:
    now: dt.datetime
    users: dict[str, User]
    items: dict[str, ActionItem]  # by marking
    reminders: dict[str, Reminder]  # each user's pending digest, holding every item
    source: Source
    theme: Theme
    orgs: list[Organization]
    device: TOTPDevice
    meetings: list = field(default_factory=list)  # a held one (with outcomes) and a coming one
    snapshots: list = field(default_factory=list)  # of every edition
    endpoints: list[WebhookEndpoint] = field(default_factory=list)

    def hidden_markers(self, name: str) -> list[str]:
        return [word for m, words in MARKERS.items() if m not in SEES[name] for word in words]

    def client_for(self, name: str) -> Client:
        client = Client()
        if name != ANONYMOUS:
            client.force_login(self.users[name])
        if name in PROVIDER_PEOPLE:  # what the provider's callback leaves in the session
            session = client.session
            session[oidc.SESSION_KEY] = {
                "provider": SSO_RULES["name"],
                "user": self.users[name].pk,
                "id_token": "an-id-token",
                "mfa": True,
            }
            session.save()
        return client


def _make_people(*, kr_org: Organization, now: dt.datetime) -> dict[str, User]:
    users = {}
    for name, (role, country, clearances, _sees) in PEOPLE.items():
        korean = country == Country.KR
        users[name] = make_user(
            name,
            role=role,
            country=country,
            clearances=clearances,
            time_zone="Asia/Seoul" if korean else "America/New_York",
            language="ko" if korean else "en",
            organization=kr_org if korean else None,
        )
    users[SUPERUSER] = make_user(SUPERUSER, role=None, superuser=True)
    rules = identity.ProviderRules.from_settings(SSO_RULES)
    for name, (claims, _sees) in PROVIDER_PEOPLE.items():
        claims = {"sub": f"{name}-subject", "email": f"{name}@example.org", **claims}
        users[name] = identity.sign_in_account(rules=rules, claims=claims, now=now)
    return users


def _make_item(item_factory, *, marking: str, users, orgs, now) -> ActionItem:
    en, ko = MARKERS[marking]
    owner, lead = ITEM_SETUP[marking]
    item = item_factory(
        f"item-{marking}",
        title_en=f"{en} for allied supply",
        title_ko=f"{ko} 공급",
        summary_en=f"Summary of {en}",
        summary_ko=f"{ko} 요약",
        excerpt=f"The report asks for {en}",
        marking=marking,
        owner=users[owner],
        lead_organization=orgs[lead],
        co_owners=list(users.values()),
        status=Status.IN_PROGRESS,
        due_date=dt.date(2023, 1, 16),  # long overdue: escalated to the lead's coordinator
        next_follow_up_at=now - dt.timedelta(days=1),
    )
    item.partner_organizations.set(orgs.values())
    root = users[SUPERUSER]
    workflow.post_update(item=item, by=root, note=f"Progress on {en} / {ko}", now=now)
    workflow.change_status(item=item, to=Status.BLOCKED, by=root, note=f"{en} waits", now=now)
    _work_together(item, users=users, words=(en, ko), now=now)
    return item


def _work_together(item: ActionItem, *, users, words: tuple[str, str], now) -> None:
    """A comment naming everyone, a file and a link of evidence, all carrying the item's
    words; everyone follows the item and is mentioned (as if cleared when it was written)."""
    en, ko = words
    root = users[SUPERUSER]
    names = " ".join(f"@{name}" for name in users)
    comments.post_comment(item=item, by=root, text=f"**{en}** / {ko} for {names}", now=now)
    upload = SimpleUploadedFile(f"{en}-{ko}.pdf", f"%PDF-1.4 {en} {ko}".encode())
    evidence.add_evidence(
        item=item, by=root, now=now, note=f"Minutes of {en}", file=evidence.check_file(upload)
    )
    link = evidence.check_link(f"https://example.org/{en}", f"{en} {ko} record")
    evidence.add_evidence(item=item, by=root, now=now, link=link)
    comment = item.updates.get(kind=UpdateKind.COMMENT)
    for user in users.values():
        Watch.objects.get_or_create(user=user, item=item, defaults={"created_at": now})
        Mention.objects.get_or_create(update=comment, user=user)


def _admin_log(users: dict[str, User], items: list[ActionItem]) -> None:
    """Past admin edits: each staff member changed every item (before some were re-marked)."""
    for user in users.values():
        if user.is_staff:
            LogEntry.objects.log_actions(
                user_id=user.pk, queryset=items, action_flag=CHANGE, change_message="edited"
            )


def _pending_digests(users, items, *, orgs, now) -> dict[str, Reminder]:
    """Each user's digest for a day, holding every item: as if planned before a marking changed."""
    coordinators = {org.coordinator_id for org in orgs.values()}
    digests = {}
    for name, user in users.items():
        reminder = Reminder.objects.create(
            recipient=user,
            local_date=dt.date(2026, 1, 5),
            created_at=now,
            message_id=new_message_id(),
        )
        kind = ReminderKind.ESCALATION if user.pk in coordinators else ReminderKind.OVERDUE
        ReminderItem.objects.bulk_create(
            ReminderItem(reminder=reminder, item=item, kind=kind) for item in items
        )
        told = StatusUpdate.objects.filter(
            item__in=items, kind__in=[UpdateKind.COMMENT, UpdateKind.EVIDENCE]
        )
        ReminderNews.objects.bulk_create(
            ReminderNews(reminder=reminder, update=update, kind=ReminderKind.WATCHED)
            for update in told
        )
        digests[name] = reminder
    return digests


def _sign_in_attempts() -> None:
    """One failed and one good sign-in, so django-axes' admin pages have rows to show."""
    Client().post("/accounts/login/", {"username": "us-reader", "password": "wrong-password"})
    Client().post("/accounts/login/", {"username": "kr-reader", "password": PASSWORD})


# Webhook endpoints: (owner, audience). The last two are inconsistent as a deployment can become:
# a coordinator's endpoint whose audience reaches beyond their clearances (granted, then revoked).
ENDPOINTS = [
    (SUPERUSER, Audience.ALL),
    (SUPERUSER, Audience.US),
    (SUPERUSER, Audience.KR),
    (SUPERUSER, Audience.US_KR),
    ("us-coord", Audience.KR),
    ("kr-coord", Audience.US),
]
# What each audience may receive, written out (not asked of releasability.py).
AUDIENCE_SEES = {
    Audience.ALL: frozenset({Marking.ALL}),
    Audience.US: US,
    Audience.KR: KR,
    Audience.US_KR: frozenset({Marking.ALL, Marking.US_KR}),
}


def endpoint_sees(owner: str, audience: str) -> frozenset:
    return AUDIENCE_SEES[audience] & SEES[owner]


def _webhook_endpoints(users, *, now, url: str = "http://127.0.0.1:9/hook") -> list:
    """Endpoints of every audience subscribed to every event, made before the items so that
    each item's timeline leaves deliveries (pending: nothing is sent in the leak matrix)."""
    return [
        WebhookEndpoint.objects.create(
            owner=users[owner],
            url=f"{url}/{owner}/{audience}",
            secret="whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            events=list(EventType.values),
            audience=audience,
            created_at=now,
        )
        for owner, audience in ENDPOINTS
    ]


def _api_tokens(users, *, now) -> None:
    for user in users.values():
        api_tokens.create_token(
            user=user, name="leak", scope="write", days=30, now=now, second_factor_missing=False
        )


@pytest.fixture
def leak_world(item_factory, source, theme, us_org, kr_org, now) -> LeakWorld:
    users = _make_people(kr_org=kr_org, now=now)
    orgs = {"us": us_org, "kr": kr_org}
    us_org.coordinator, kr_org.coordinator = users["us-coord"], users["kr-coord"]
    us_org.save()
    kr_org.save()
    endpoints = _webhook_endpoints(users, now=now)
    _api_tokens(users, now=now)
    items = {
        m: _make_item(item_factory, marking=m, users=users, orgs=orgs, now=now) for m in MARKERS
    }
    _admin_log(users, list(items.values()))
    digests = _pending_digests(users, list(items.values()), orgs=orgs, now=now)
    device = TOTPDevice.objects.create(user=users[SUPERUSER], name="phone", confirmed=True)
    _sign_in_attempts()
    held_and_coming, frozen = meetings_and_reports(
        root=users[SUPERUSER], items=items, markers=MARKERS, source=source, org=us_org, now=now
    )
    world = LeakWorld(now, users, items, digests, source, theme, list(orgs.values()), device)
    world.meetings, world.snapshots = held_and_coming, frozen
    world.endpoints = endpoints
    return world


# --- What each user tries -------------------------------------------------------------------------


def _tokens(world: LeakWorld, name: str) -> list[str]:
    """Signed links: the user's own for every item and action, and someone else's.

    An anonymous visitor holds links of the uncleared reader for the items that reader may not
    see (a link to a visible item would rightly show its title to whoever holds it).
    """
    now = dt.datetime.now(tz=dt.UTC)

    def token(user, item, action=links.ON_TRACK) -> str:
        return links.make_token(recipient_id=user.pk, item_id=item.pk, action=action, now=now)

    if name == ANONYMOUS:
        reader = world.users["uncleared"]
        return [token(reader, i) for m, i in world.items.items() if m not in SEES["uncleared"]]
    user, other = world.users[name], world.users[SUPERUSER if name != SUPERUSER else "us-owner"]
    own = [token(user, i, a) for i in world.items.values() for a in (links.ON_TRACK, links.SNOOZE)]
    return own + [token(other, i) for i in world.items.values()]


def _versions(model) -> list[tuple[object, object]]:
    """(object pk, latest history id) of each object with a history."""
    history = model.history.model
    rows = history.objects.values_list("id").annotate(latest=Max("history_id")).order_by("id")
    return list(rows)


def objects_for(world: LeakWorld, name: str) -> Objects:
    """What fills the URL patterns when `name` walks them."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    items = list(world.items.values())
    first = items[0]
    versions = _versions(ActionItem)
    # A visible item's page with another item's version: the version must belong to the item.
    crossed = [(first.pk, hid) for pk, hid in versions if pk != first.pk]
    people = [world.users[n] for n in (SUPERUSER, "us-owner", "kr-coord")]
    digests = [world.reminders[n] for n in ("us-owner", "kr-owner", "uncleared")]
    item_type = ContentType.objects.get_for_model(ActionItem)

    def pks(model) -> list[object]:
        return list(model.objects.values_list("pk", flat=True)[:3]) or [0]

    profile = getattr(world.users.get(name), "profile", None)
    own_tokens = ApiToken.objects.filter(user__username=name).values_list("pk", flat=True)
    other_tokens = ApiToken.objects.exclude(user__username=name).values_list("pk", flat=True)
    deliveries = [
        WebhookDelivery.objects.filter(event__item=item).order_by("pk").first() for item in items
    ]
    return Objects(
        item_keys=[item.key for item in items] + ["no-such-item"],
        pks={
            ActionItem: [item.pk for item in items],
            Source: [world.source.pk],
            Theme: [world.theme.pk],
            Organization: [org.pk for org in world.orgs],
            User: [user.pk for user in people],
            Group: list(Group.objects.filter(name=roles.COORDINATORS).values_list("pk", flat=True)),
            Reminder: [digest.pk for digest in digests],
            TOTPDevice: [world.device.pk],
            AccessAttempt: pks(AccessAttempt),
            AccessLog: pks(AccessLog),
            AccessFailureLog: pks(AccessFailureLog),
            Forum: pks(Forum),
            Meeting: [m.pk for m in world.meetings],
            WebhookEndpoint: [endpoint.pk for endpoint in world.endpoints],
            WebhookDelivery: [d.pk for d in deliveries if d is not None],
        },
        versions={ActionItem: versions + crossed, Source: _versions(Source)},
        link_tokens=_tokens(world, name),
        calendar_tokens=[profile.calendar_token if profile else "no-such-feed"],
        content_types=[(item_type.pk, item.pk) for item in items],
        meeting_pks=[m.pk for m in world.meetings] + [999999],
        snapshot_numbers=[s.number for s in world.snapshots] + [999999],
        report_keys=[world.source.key, "no-such-report"],
        organization_keys=[org.key for org in world.orgs] + ["no-such-org"],
        token_ids=[*own_tokens[:1], *other_tokens[:1]],
        comments=_crossed(items, StatusUpdate.objects.filter(kind=UpdateKind.COMMENT)),
        evidence=_crossed(items, Evidence.objects.all()),
        unsubscribe_tokens=_unsubscribe_tokens(world, name),
    )


def _crossed(items: list[ActionItem], rows) -> list[tuple[str, int]]:
    """Each row under its own item's key and under every other item's key."""
    return [(item.key, row.pk) for row in rows for item in items]


def _unsubscribe_tokens(world: LeakWorld, name: str) -> list[str]:
    """The user's own unsubscribe address, someone else's, and a forged one."""
    own = (
        [notifications.unsubscribe_token(user_id=world.users[name].pk)]
        if name in world.users
        else []
    )
    other = notifications.unsubscribe_token(user_id=world.users["us-owner"].pk)
    return [*own, other, "1:forged-signature"]


# --- Reading what left ----------------------------------------------------------------------------

_ICS_FOLD = re.compile(r"\r?\n[ \t]")


def response_text(response) -> str:
    """Everything a response shows: body (streamed or not, JSON unescaped, calendar lines
    unfolded) and headers (URL-decoded too)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    text = body.decode("utf-8", "replace") + document_text(body, content_type)
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(text), ensure_ascii=False)
    if "calendar" in content_type:
        text = _ICS_FOLD.sub("", text).replace("\\,", ",").replace("\\;", ";")
    headers = "\n".join(f"{key}: {value}" for key, value in response.items())
    return f"{text}\n{headers}\n{unquote(headers)}"


def message_text(message) -> str:
    """Everything a sent email shows: every header and every part, decoded."""
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)
    parts = [f"{key}: {value}" for key, value in parsed.items()]
    for part in parsed.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


def leaked(text: str, hidden: list[str]) -> list[str]:
    return [word for word in hidden if word in text]

"""Demo accounts and assignments for `make demo`: idempotent, safe to run on every start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import review, roles, workflow
from .demo_meetings import assigned_at, backdate_loading, setup_meetings
from .models import ActionItem, Country, Organization, Profile, Status
from .releasability import can_see


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    country: str
    time_zone: str
    language: str
    organization: str | None
    clearances: tuple[str, ...] = ()
    superuser: bool = False


DEMO_USERS = [
    DemoUser(
        "coordinator",
        "demo-coordinator-2021",
        roles.COORDINATORS,
        Country.US,
        "America/New_York",
        "en",
        "dod",
        ("us_only", "us_kr"),
    ),
    DemoUser(
        "rok-coordinator",
        "demo-rok-coord-2021",
        roles.COORDINATORS,
        Country.KR,
        "Asia/Seoul",
        "ko",
        "dapa",
        ("kr_only", "us_kr"),
    ),
    DemoUser(
        "reader", "demo-reader-2021", roles.READERS, Country.US, "America/New_York", "en", None
    ),
    DemoUser(
        "us-owner",
        "demo-us-owner-2021",
        roles.OWNERS,
        Country.US,
        "America/New_York",
        "en",
        "dod",
        ("us_only", "us_kr"),
    ),
    DemoUser(
        "kr-owner",
        "demo-kr-owner-2021",
        roles.OWNERS,
        Country.KR,
        "Asia/Seoul",
        "ko",
        "dapa",
        ("kr_only", "us_kr"),
    ),
    DemoUser(
        "us-owner2",
        "demo-us-owner2-2021",
        roles.OWNERS,
        Country.US,
        "America/Chicago",
        "en",
        "state",
        ("us_only", "us_kr"),
    ),
    DemoUser(
        "kr-owner2",
        "demo-kr-owner2-2021",
        roles.OWNERS,
        Country.KR,
        "Asia/Seoul",
        "ko",
        "rok-mnd",
        ("kr_only", "us_kr"),
    ),
    DemoUser(
        "admin",
        "demo-admin-2021",
        roles.COORDINATORS,
        Country.US,
        "UTC",
        "en",
        None,
        superuser=True,
    ),
]


def _ensure_user(spec: DemoUser):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "email": f"{spec.username}@example.org",
            "is_staff": spec.role != roles.READERS or spec.superuser,
            "is_superuser": spec.superuser,
        },
    )
    if created:
        user.set_password(spec.password)
        user.save()
        user.groups.add(Group.objects.get(name=spec.role))
    org = Organization.objects.filter(key=spec.organization).first() if spec.organization else None
    Profile.objects.get_or_create(
        user=user,
        defaults={
            "country": spec.country,
            "time_zone": spec.time_zone,
            "language": spec.language,
            "organization": org,
            "may_see_us_only": "us_only" in spec.clearances,
            "may_see_kr_only": "kr_only" in spec.clearances,
            "may_see_us_kr": "us_kr" in spec.clearances,
        },
    )
    return user, created


def _owners_for(item: ActionItem, users: dict) -> tuple:
    """A U.S. lead and a ROK counterpart, or one side only for a one-country item."""
    if item.marking == "us-only":
        return users["us-owner"], [users["us-owner2"]]
    if item.marking == "kr-only":
        return users["kr-owner"], [users["kr-owner2"]]
    if item.lead_organization.country == Country.KR:
        return users["kr-owner"], [users["us-owner"]]
    if item.lead_organization.key == "state":
        return users["us-owner2"], [users["kr-owner2"]]
    return users["us-owner"], [users["kr-owner"]]


# A plausible history for the demo, applied through the workflow so the timeline, follow-up times
# and charts are what real use would give: (days ago, new status or None for a note, note en/ko).
DEMO_STORIES: list[list[tuple[int, str | None, str, str]]] = [
    [
        (
            60,
            Status.IN_PROGRESS,
            "Kick-off held with counterparts.",
            "상대측과 착수 회의를 열었습니다.",
        ),
        (20, None, "Draft text circulated for comment.", "초안을 회람하여 의견을 받고 있습니다."),
    ],
    [
        (45, Status.IN_PROGRESS, "Working group named.", "실무 그룹을 구성했습니다."),
        (
            10,
            Status.BLOCKED,
            "Waiting on interagency clearance.",
            "부처 간 협의를 기다리고 있습니다.",
        ),
    ],
    [],
    [
        (90, Status.IN_PROGRESS, "Negotiation under way.", "협상이 진행 중입니다."),
        (
            25,
            Status.IMPLEMENTED,
            "Signed at the committee meeting.",
            "위원회 회의에서 서명했습니다.",
        ),
    ],
    [
        (30, Status.IN_PROGRESS, "Agenda agreed.", "의제를 합의했습니다."),
        (5, None, "Venue and dates confirmed.", "장소와 일정을 확정했습니다."),
    ],
    [],
    [
        (70, Status.IN_PROGRESS, "Scoping started.", "범위 검토를 시작했습니다."),
        (40, Status.SUPERSEDED, "Folded into the RDP talks.", "RDP 협상에 통합되었습니다."),
    ],
    [(15, Status.IN_PROGRESS, "First meeting scheduled.", "첫 회의 일정을 잡았습니다.")],
]


# The stories' first day, less one: the items were in the tracker before their history began.
HISTORY_DAYS = 1 + max(days for story in DEMO_STORIES for days, *_rest in story)


# The evidence a demo claim of implementation cites (a link: the demo stores no files).
DEMO_EVIDENCE = ("https://www.csis.org/analysis", "Signed record of the committee meeting")


def _reviewer(item: ActionItem, owner, users: dict):
    """Who accepts a demo claim: the other country's coordinator when they may see the item,
    else the owner's own country's."""
    korean = getattr(getattr(owner, "profile", None), "country", "") == Country.KR
    names = ("coordinator", "rok-coordinator") if korean else ("rok-coordinator", "coordinator")
    return next((users[n] for n in names if can_see(users[n], item)), None)


def _tell_story(item: ActionItem, owner, story, now: dt.datetime, reviewer=None) -> None:
    """Each step through workflow.py; "implemented" as a claim with evidence the other
    country's coordinator (`reviewer`) accepts a day later (review.py)."""
    korean = getattr(getattr(owner, "profile", None), "language", "en") == "ko"
    for days_ago, status, note_en, note_ko in story:
        when = now - dt.timedelta(days=days_ago)
        note = note_ko if korean else note_en
        if status is None:
            workflow.post_update(item=item, by=owner, note=note, now=when)
        elif status == Status.IMPLEMENTED:
            claimed = when - dt.timedelta(days=1)
            review.claim(item=item, by=owner, note=note, now=claimed, link=DEMO_EVIDENCE)
            review.accept(item=item, by=reviewer, now=when)
        else:
            workflow.change_status(item=item, to=status, by=owner, note=note, now=when)


def _work_due_now(newly_owned: list[int], now: dt.datetime) -> None:
    """The first open items get due dates near today and a follow-up due now; the next one is
    claimed implemented (with a link of evidence), waiting for a coordinator's review."""
    open_new = list(ActionItem.objects.open().filter(pk__in=newly_owned).order_by("key"))
    shifts = [-12, -3, 2, 6, 20]
    for shift, item in zip(shifts, open_new, strict=False):
        item.due_date = max(now.date() + dt.timedelta(days=shift), item.source_date)
        item.next_follow_up_at = now - dt.timedelta(hours=1)
        item._change_reason = "demo setup"
        item.save()
    for item in open_new[len(shifts) : len(shifts) + 1]:
        note = "Signed and filed; the record is linked."
        when = now - dt.timedelta(days=2)
        review.claim(item=item, by=item.owner, note=note, now=when, link=DEMO_EVIDENCE)


def _date_the_loading(item_ids: list[int], now: dt.datetime) -> None:
    """The report was loaded before the owners were assigned and before any timeline entry:
    its items' creation and their field history say so."""
    backdate_loading(item_ids=item_ids, now=now)
    created = min(now - dt.timedelta(days=HISTORY_DAYS), assigned_at(now) - dt.timedelta(days=1))
    ActionItem.objects.filter(pk__in=item_ids).update(created_at=created)
    ActionItem.history.filter(id__in=item_ids, history_type="+").update(history_date=created)


@transaction.atomic
def setup_demo(*, now: dt.datetime) -> list[tuple[DemoUser, bool]]:
    """Create the demo accounts and, on first setup, assign owners, a history and near dates.

    Items without an owner get one (and a short history told through workflow.py); the first
    open ones get due dates relative to today (two overdue, three due within weeks) and a
    follow-up already due, and one is claimed implemented, so reminders, reviews and dashboards
    have work on the day the demo runs. The DTICC and TCSC get a held and a coming meeting, and
    a report is frozen at the DTICC's (demo_meetings.py).
    """
    made = [(spec, _ensure_user(spec)) for spec in DEMO_USERS]
    users = {spec.username: user for spec, (user, _created) in made}
    unowned = ActionItem.objects.filter(owner__isnull=True).select_related("lead_organization")
    newly_owned = []
    for index, item in enumerate(unowned.order_by("key")):
        owner, co_owners = _owners_for(item, users)
        item.owner = owner
        item._change_reason = "demo setup"
        item._history_date = assigned_at(now)
        item.save()
        item.co_owners.set(co_owners)
        _tell_story(
            item, owner, DEMO_STORIES[index % len(DEMO_STORIES)], now, _reviewer(item, owner, users)
        )
        newly_owned.append(item.pk)
    _date_the_loading(newly_owned, now)
    setup_meetings(now=now)  # before the due dates move: a comparison with now shows the moves
    for born in ActionItem.history.filter(origin_meeting__isnull=False, history_type="+"):
        # An item an outcome made was created at the meeting, as its history says.
        ActionItem.objects.filter(pk=born.id).update(created_at=born.history_date)
    _work_due_now(newly_owned, now)
    for org_key, username in (("dod", "coordinator"), ("dapa", "rok-coordinator")):
        Organization.objects.filter(key=org_key, coordinator__isnull=True).update(
            coordinator=users[username]
        )
    return [(spec, created) for spec, (_user, created) in made]

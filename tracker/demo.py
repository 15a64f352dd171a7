"""Demo accounts and assignments for `make demo`: idempotent, safe to run on every start."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from . import roles
from .models import ActionItem, Country, Organization, Profile


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


@transaction.atomic
def setup_demo(*, now: dt.datetime) -> list[tuple[DemoUser, bool]]:
    """Create the demo accounts and, on first setup, assign owners and bring some dates near.

    Items without an owner get one; the first few get due dates relative to today (two overdue,
    two due within days) and follow-ups already due, so reminders and dashboards have work.
    """
    made = [(spec, _ensure_user(spec)) for spec in DEMO_USERS]
    users = {spec.username: user for spec, (user, _created) in made}
    today = now.date()
    shifts = [-12, -3, 2, 6, 20]
    unowned = ActionItem.objects.filter(owner__isnull=True).select_related("lead_organization")
    for index, item in enumerate(unowned.order_by("key")):
        owner, co_owners = _owners_for(item, users)
        item.owner = owner
        if index < len(shifts):
            item.due_date = max(today + dt.timedelta(days=shifts[index]), item.source_date)
            item.next_follow_up_at = now - dt.timedelta(hours=1)
        item._change_reason = "demo setup"
        item.save()
        item.co_owners.set(co_owners)
    for org_key, username in (("dod", "coordinator"), ("dapa", "rok-coordinator")):
        Organization.objects.filter(key=org_key, coordinator__isnull=True).update(
            coordinator=users[username]
        )
    return [(spec, created) for spec, (_user, created) in made]

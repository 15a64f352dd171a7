"""Fixtures for the status pages' tests: a small world of users and items of every marking.

Import them into a test module: `from tests.support.pages import fresh_cache, world  # noqa: F401`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tracker import roles
from tracker.models import ActionItem, Country, Marking, Status


@dataclass
class World:
    coordinator: User
    owner: User
    co_owner: User
    reader: User  # cleared for "releasable to all" only
    us_reader: User
    kr_reader: User
    public: ActionItem  # releasable to all, owned by `owner`, co-owned by `co_owner`
    us_only: ActionItem
    kr_only: ActionItem
    closed: ActionItem


@pytest.fixture(autouse=True)
def fresh_cache():
    """The pages cache aggregates and HTML in the process's memory: start every test without."""
    cache.clear()
    yield
    cache.clear()


ITEM_LINK = re.compile(r'<td><a href="/items/([a-z0-9-]+)/">')


def shown_keys(html: bytes | str) -> list[str]:
    """The keys of the items a list page shows, in order, read from its HTML (the pages keep
    rendered HTML in a cache, so the template context is not always there to read)."""
    text = html.decode() if isinstance(html, bytes) else html
    return ITEM_LINK.findall(text)


def today() -> dt.date:
    """The pages read the real clock (the request is the edge), so their data is dated from it."""
    return timezone.localdate()


@pytest.fixture
def world(user_factory, item_factory, kr_org) -> World:
    coordinator = user_factory("coord", role=roles.COORDINATORS, clearances=US_CLEARANCES)
    owner = user_factory("owner", role=roles.OWNERS, clearances=US_CLEARANCES)
    co_owner = user_factory("coowner", role=roles.OWNERS, country=Country.KR)
    public = item_factory(
        "public-item",
        title_en="Harmonise export controls",
        title_ko="수출 통제 조화",
        owner=owner,
        co_owners=[co_owner],
        status=Status.IN_PROGRESS,
        due_date=today() - dt.timedelta(days=8),  # overdue
        next_follow_up_at=timezone.now() - dt.timedelta(days=1),  # waiting for an update
    )
    return World(
        coordinator=coordinator,
        owner=owner,
        co_owner=co_owner,
        reader=user_factory("reader"),
        us_reader=user_factory("usreader", clearances=US_CLEARANCES),
        kr_reader=user_factory("krreader", country=Country.KR, clearances=KR_CLEARANCES),
        public=public,
        us_only=item_factory(
            "us-secret",
            title_en="U.S. eyes only plan",
            marking=Marking.US_ONLY,
            owner=owner,
            due_date=today() + dt.timedelta(days=12),  # due within 30 days
        ),
        kr_only=item_factory(
            "kr-secret",
            title_en="ROK eyes only plan",
            title_ko="한국 전용 계획",
            marking=Marking.KR_ONLY,
            lead_organization=kr_org,
        ),
        closed=item_factory(
            "closed-item", title_en="Finished work", status=Status.IMPLEMENTED, owner=owner
        ),
    )

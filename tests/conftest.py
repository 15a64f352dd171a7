"""Shared fixtures: users of each role and country, items of each marking, real Celery processes."""

from __future__ import annotations

import datetime as dt
import itertools
import os

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from tests.support.oidc import oidc, oidc_provider  # noqa: F401
from tracker import roles
from tracker.models import (
    ActionItem,
    Country,
    Marking,
    Organization,
    Profile,
    Source,
    Theme,
)

NOW = dt.datetime(2026, 11, 28, 14, 0, tzinfo=dt.UTC)
_counter = itertools.count(1)


def pytest_report_header(config):
    db = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"tracker: database={db} broker={settings.CELERY_BROKER_URL.split('://')[0]}"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Hashing strength is not under test; PBKDF2 would dominate the suite's run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _site_language():
    # A request in Korean leaves Korean active in the thread (Django's LocaleMiddleware, the
    # API's Accept-Language): each test starts in the site's language.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    # Evidence files go to Django's default storage: each test gets its own, empty folder.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _empty_cache():
    # The cache outlives a test's database transaction (files, or Redis): start each test empty.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def now() -> dt.datetime:
    return NOW


def make_user(
    username: str | None = None,
    *,
    role: str | None = roles.READERS,
    country: str = Country.US,
    clearances: tuple[str, ...] = (),
    time_zone: str = "America/New_York",
    language: str = "en",
    superuser: bool = False,
    organization: Organization | None = None,
    email: str | None = None,
) -> User:
    username = username or f"user{next(_counter)}"
    user = User.objects.create_user(
        username=username,
        email=email or f"{username}@example.org",
        password="correct-horse-battery",
        is_staff=superuser or role in (roles.COORDINATORS, roles.OWNERS),
        is_superuser=superuser,
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    Profile.objects.create(
        user=user,
        country=country,
        time_zone=time_zone,
        language=language,
        organization=organization,
        may_see_us_only="us-only" in clearances,
        may_see_kr_only="kr-only" in clearances,
        may_see_us_kr="us-kr" in clearances,
    )
    return user


US_CLEARANCES = (Marking.US_ONLY.value, Marking.US_KR.value)
KR_CLEARANCES = (Marking.KR_ONLY.value, Marking.US_KR.value)


@pytest.fixture
def user_factory(db):
    return make_user


@pytest.fixture
def source(db) -> Source:
    return Source.objects.create(
        key="test-report", title_en="Test report", title_ko="시험 보고서", date=dt.date(2022, 12, 1)
    )


@pytest.fixture
def theme(source) -> Theme:
    return Theme.objects.create(source=source, key="g2g", title_en="Government", title_ko="정부")


@pytest.fixture
def us_org(db) -> Organization:
    return Organization.objects.create(
        key="dod", name_en="Department of Defense", name_ko="미국 국방부", country=Country.US
    )


@pytest.fixture
def kr_org(db) -> Organization:
    return Organization.objects.create(
        key="dapa", name_en="DAPA", name_ko="방위사업청", country=Country.KR
    )


@pytest.fixture
def item_factory(source, theme, us_org):
    def make(key: str | None = None, **fields) -> ActionItem:
        key = key or f"item-{next(_counter)}"
        co_owners = fields.pop("co_owners", [])
        defaults = {
            "title_en": f"Title of {key}",
            "title_ko": f"{key} 제목",
            "summary_en": f"Summary of {key}",
            "paragraph": 1,
            "excerpt": "an excerpt",
            "lead_organization": us_org,
            "due_date": dt.date(2027, 6, 30),
            "next_follow_up_at": NOW + dt.timedelta(days=14),
        }
        defaults.update(fields)
        item = ActionItem.objects.create(key=key, source=source, theme=theme, **defaults)
        if co_owners:
            item.co_owners.set(co_owners)
        return item

    return make


@pytest.fixture
def celery_queue(settings):
    """A queue only this test's worker listens on; tasks sent from the test go there."""
    from config.celery import app
    from tests.support.processes import unique_queue

    queue = unique_queue()
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous


@pytest.fixture
def celery_worker(transactional_db, tmp_path, celery_queue):
    """A real worker process on the configured broker, reading the test database."""
    from tests.support.processes import start_worker

    worker = start_worker(tmp_path, celery_queue)
    yield worker
    worker.stop()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")

"""Working together, end to end: a real Celery worker and beat, the configured broker, the test
database and an SMTP server (aiosmtpd) started here. Mentions and watched changes reach the
right people in their next morning digest, in their language, and never someone who may not
see the item; a weekly digest comes on its day only; the List-Unsubscribe address of a digest
that arrived stops that person's digests in one POST (a GET only asks).

As in tests/test_reminders_e2e.py, the worker reads the real clock, so the morning window is
the whole day and every day a working day (through the worker's environment).
"""

# The fixtures come from tests/test_reminders_e2e.py; the test arguments name them again.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tests.support.processes import start_beat
from tests.test_reminders_e2e import (  # noqa: F401 - fixtures
    ANY_TIME,
    any_time,
    processes,
    role_groups,
    sink,
    wait_until,
    worker,
)
from tracker import comments, roles, watching, workflow
from tracker.models import DigestFrequency, Marking, Profile, Reminder, Status, Watch

pytestmark = [pytest.mark.worker, pytest.mark.timeout(150)]


def beat(tmp_path, queue, processes):
    process = start_beat(tmp_path, queue, REMINDER_SWEEP_SECONDS="1", **ANY_TIME)
    processes.append(process)
    return process


def body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_mentions_and_watched_changes_reach_the_right_people_in_their_language_only(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    owner = user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES)
    kr_watcher = user_factory(
        "kr-watcher", country="KR", clearances=KR_CLEARANCES, time_zone="Asia/Seoul", language="ko"
    )
    us_watcher = user_factory("us-watcher", clearances=US_CLEARANCES)
    user_factory(
        "kr-named", country="KR", clearances=KR_CLEARANCES, time_zone="Asia/Seoul", language="ko"
    )
    uncleared = user_factory("uncleared")
    now = timezone.now()
    far = now + dt.timedelta(days=30)
    joint = item_factory("joint-plan", owner=owner, marking=Marking.US_KR, next_follow_up_at=far,
                         due_date=timezone.localdate() + dt.timedelta(days=90))  # fmt: skip
    for person in (kr_watcher, us_watcher):
        watching.watch(item=joint, user=person, now=now - dt.timedelta(hours=1))
    # Followed while cleared, once: it may not see the item now.
    Watch.objects.create(user=uncleared, item=joint, created_at=now - dt.timedelta(hours=1))
    workflow.change_status(item=joint, to=Status.BLOCKED, by=owner, now=now)
    posted = comments.post_comment(
        item=joint, by=owner, text="@kr-named please sign **the annex** @uncleared", now=now
    )
    assert posted.not_told == ["uncleared"]

    work = worker(tmp_path, celery_queue, processes, sink.url)
    beat(tmp_path, celery_queue, processes)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 3, what="3 sent", log=work)
    time.sleep(2)  # more sweeps: nothing more may come
    assert sorted(m["To"] for m in sink.messages) == [
        "kr-named@example.org", "kr-watcher@example.org", "us-watcher@example.org",
    ]  # fmt: skip
    (kr,) = sink.to("kr-watcher@example.org")
    assert "== 팔로우하는 항목의 변경 ==" in body(kr) and "joint-plan" in body(kr)
    assert "→ 중단됨" in body(kr) and "please sign **the annex**" in body(kr)
    (us,) = sink.to("us-watcher@example.org")
    assert "== Changes on items you follow ==" in body(us) and "In progress" not in body(us)
    assert "Status change: Not started → Blocked" in body(us)
    (named,) = sink.to("kr-named@example.org")
    assert "== 나를 언급한 댓글 ==" in body(named) and named["Subject"].strip().startswith(
        "[추적기]"
    )
    for message in sink.messages:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "/u/" in message["List-Unsubscribe"]


def weekday_in(zone: str, days_ahead: int = 0) -> int:
    return (
        timezone.now().astimezone(zoneinfo.ZoneInfo(zone)) + dt.timedelta(days=days_ahead)
    ).weekday()


def test_a_weekly_digest_comes_on_its_day_only(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    late = timezone.localdate() - dt.timedelta(days=3)
    today_person = user_factory("weekly-today", role=roles.OWNERS)
    other_person = user_factory("weekly-tomorrow", role=roles.OWNERS)
    for person, ahead in ((today_person, 0), (other_person, 1)):
        Profile.objects.filter(user=person).update(
            digest_frequency=DigestFrequency.WEEKLY,
            digest_weekday=weekday_in("America/New_York", ahead),
        )
        item_factory(owner=person, due_date=late)
    work = worker(tmp_path, celery_queue, processes, sink.url)
    beat(tmp_path, celery_queue, processes)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 1, log=work)
    time.sleep(2)
    assert [m["To"] for m in sink.messages] == ["weekly-today@example.org"]


def test_the_list_unsubscribe_address_of_a_digest_stops_them_in_one_post_and_a_get_only_asks(
    transactional_db, tmp_path, celery_queue, processes, sink, user_factory, item_factory
):
    late = timezone.localdate() - dt.timedelta(days=3)
    person = user_factory("stopper", role=roles.OWNERS)
    control = user_factory("control", role=roles.OWNERS)
    for owner in (person, control):
        item_factory(owner=owner, due_date=late)
    work = worker(tmp_path, celery_queue, processes, sink.url)
    beat(tmp_path, celery_queue, processes)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 2, log=work)
    (message,) = sink.to("stopper@example.org")
    address = message["List-Unsubscribe"].strip().strip("<>")
    path = urlsplit(address).path

    asked = Client().get(path)
    assert asked.status_code == 200 and "Stop your digests?" in asked.content.decode()
    assert Profile.objects.get(user=person).digests_stopped_at is None
    # What a mail provider sends (RFC 8058): no cookie, no CSRF token, this one field.
    stopped = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert stopped.status_code == 200
    assert Profile.objects.get(user=person).digests_stopped_at is not None

    Reminder.objects.all().delete()  # as if a new day began: both are due again
    sent = len(sink.messages)
    wait_until(lambda: Reminder.objects.filter(state="sent").count() == 1, log=work)
    time.sleep(2)
    assert [m["To"] for m in sink.messages[sent:]] == ["control@example.org"]

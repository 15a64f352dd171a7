"""Mentions, watched changes and claims awaiting review in the digest; each person's schedule.

Still one digest per person per local day, never empty, only of items they may still see.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tests.reminders.test_sweep import sweep_statements
from tests.support.reminders import FAR, NY_MON_MORNING, at, day, deliver, planned, swept
from tracker import comments, evidence, review, roles, watching, workflow
from tracker.models import (
    DigestFrequency,
    Marking,
    Mention,
    Reminder,
    ReminderKind,
    ReminderState,
    Status,
)

BEFORE = NY_MON_MORNING - dt.timedelta(hours=10)  # Sunday night in New York


@pytest.fixture
def setting_up(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def follower(user_factory):
    """Owns nothing; may see U.S. items."""
    return user_factory("follower", clearances=US_CLEARANCES)


@pytest.fixture
def quiet_item(item_factory, owner):
    """Needs nobody today: only its news can bring a digest."""
    return item_factory("quiet", owner=owner, due_date=day(60), next_follow_up_at=FAR)


def news_of(plan) -> list[tuple[str, str]]:
    return [(n.update.item.key, n.kind) for n in plan.news]


def test_a_watcher_who_owns_nothing_hears_of_a_change_once(quiet_item, owner, follower):
    watching.watch(item=quiet_item, user=follower, now=BEFORE - dt.timedelta(days=1))
    workflow.change_status(item=quiet_item, to=Status.IN_PROGRESS, by=owner, now=BEFORE)
    plans = planned(NY_MON_MORNING)
    assert set(plans) == {"follower"}  # the owner made the change: no news for them
    assert news_of(plans["follower"]) == [("quiet", ReminderKind.WATCHED)]
    assert plans["follower"].entries == []
    swept(NY_MON_MORNING)
    assert planned(NY_MON_MORNING + dt.timedelta(days=1)) == {}  # told once


def test_what_changed_before_someone_followed_and_their_own_changes_are_not_news(
    quiet_item, owner, follower
):
    workflow.change_status(item=quiet_item, to=Status.IN_PROGRESS, by=owner, now=BEFORE)
    watching.watch(item=quiet_item, user=follower, now=BEFORE + dt.timedelta(minutes=1))
    watching.watch(item=quiet_item, user=owner, now=BEFORE + dt.timedelta(minutes=1))
    later = BEFORE + dt.timedelta(minutes=2)
    workflow.change_status(item=quiet_item, to=Status.BLOCKED, by=owner, now=later)
    plans = planned(NY_MON_MORNING)
    assert set(plans) == {"follower"} and len(plans["follower"].news) == 1


def test_a_mention_reaches_the_person_named_and_never_someone_who_may_not_see_it(
    item_factory, owner, follower, user_factory
):
    cleared = user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES)
    secret = item_factory("secret", owner=cleared, marking=Marking.US_ONLY, next_follow_up_at=FAR)
    kr = user_factory("kr-reader", country="KR", clearances=KR_CLEARANCES, time_zone="Asia/Seoul")
    posted = comments.post_comment(
        item=secret, by=cleared, text="@follower @kr-reader see this", now=BEFORE
    )
    assert posted.not_told == ["kr-reader"]
    Mention.objects.create(update=posted.update, user=kr)  # as if kr-reader lost a clearance since
    plans = {**planned(NY_MON_MORNING), **planned(at(2026, 12, 8, 0, 30))}
    assert news_of(plans["follower"]) == [("secret", ReminderKind.MENTION)]
    assert "kr-reader" not in plans


def test_an_owner_mentioned_on_their_overdue_item_gets_one_digest_with_both(
    item_factory, owner, follower, setting_up
):
    late = item_factory("late", owner=owner, co_owners=[follower], due_date=day(-3))
    comments.post_comment(item=late, by=follower, text="@ny-owner any news?", now=BEFORE)
    (row,) = [r for r in swept(NY_MON_MORNING) if r.recipient == owner]
    assert Reminder.objects.filter(recipient=owner).count() == 1
    assert deliver(row.pk, NY_MON_MORNING).state == ReminderState.SENT
    (message,) = [m for m in mail.outbox if m.to == [owner.email]]
    text = message.body
    assert text.index("== Overdue ==") < text.index("== You were mentioned ==")
    assert "follower: Comment" in text and "“@ny-owner any news?”" in text


def test_the_digest_tells_evidence_with_its_hash_and_in_the_readers_language(
    quiet_item, owner, user_factory, setting_up
):
    kr = user_factory("kr-follower", country="KR", time_zone="Asia/Seoul", language="ko")
    watching.watch(item=quiet_item, user=kr, now=BEFORE - dt.timedelta(days=1))
    upload = SimpleUploadedFile("minutes.pdf", b"%PDF-1.7 minutes")
    evidence.add_evidence(item=quiet_item, by=owner, now=BEFORE, file=evidence.check_file(upload))
    (row,) = swept(at(2026, 12, 8, 0, 30))  # 09:30 in Seoul
    deliver(row.pk, at(2026, 12, 8, 0, 30))
    (message,) = mail.outbox
    assert "== 팔로우하는 항목의 변경 ==" in message.body
    assert "minutes.pdf (SHA-256 " in message.body and message.subject.startswith("[추적기]")


def test_news_of_an_item_no_longer_visible_or_no_longer_followed_leaves_the_digest(
    quiet_item, owner, follower, setting_up
):
    watching.watch(item=quiet_item, user=follower, now=BEFORE - dt.timedelta(days=1))
    workflow.change_status(item=quiet_item, to=Status.IN_PROGRESS, by=owner, now=BEFORE)
    (row,) = swept(NY_MON_MORNING)
    watching.unwatch(item=quiet_item, user=follower)
    assert deliver(row.pk, NY_MON_MORNING).state == ReminderState.SKIPPED and mail.outbox == []


def test_a_re_marked_item_leaves_a_pending_digest(quiet_item, owner, follower, setting_up):
    watching.watch(item=quiet_item, user=follower, now=BEFORE - dt.timedelta(days=1))
    workflow.change_status(item=quiet_item, to=Status.IN_PROGRESS, by=owner, now=BEFORE)
    (row,) = swept(NY_MON_MORNING)
    quiet_item.marking = Marking.KR_ONLY
    quiet_item.save()
    assert deliver(row.pk, NY_MON_MORNING).state == ReminderState.SKIPPED
    assert mail.outbox == []


def test_a_section_left_out_is_left_out(quiet_item, owner, follower):
    follower.profile.muted_sections = [ReminderKind.WATCHED]
    follower.profile.save()
    watching.watch(item=quiet_item, user=follower, now=BEFORE - dt.timedelta(days=1))
    workflow.change_status(item=quiet_item, to=Status.IN_PROGRESS, by=owner, now=BEFORE)
    assert "follower" not in planned(NY_MON_MORNING)


def test_a_sweep_with_followers_takes_as_many_statements_for_many_as_for_one(
    item_factory, user_factory
):
    def changed_and_followed(n: int, when):
        for _ in range(n):
            person = user_factory(role=roles.OWNERS)
            item = item_factory(owner=person, due_date=day(60), next_follow_up_at=FAR)
            watcher = user_factory()
            watching.watch(item=item, user=watcher, now=when - dt.timedelta(days=1))
            comments.post_comment(item=item, by=person, text=f"@{watcher.username} hi", now=when)

    changed_and_followed(1, BEFORE)
    one = sweep_statements(NY_MON_MORNING)
    Reminder.objects.update(state=ReminderState.SENT)
    changed_and_followed(6, BEFORE + dt.timedelta(days=1))
    assert sweep_statements(NY_MON_MORNING + dt.timedelta(days=1)) == one
    assert Reminder.objects.filter(local_date=day(1)).count() == 6


# --- Claims awaiting review -----------------------------------------------------------------------


def test_coordinators_who_may_accept_a_claim_hear_of_it_and_the_claimant_does_not(
    item_factory, owner, user_factory, settings
):
    settings.REVIEW_REQUIRE_OTHER_COUNTRY = True
    us = user_factory("us-coord", role=roles.COORDINATORS, clearances=US_CLEARANCES)
    kr = user_factory("kr-coord", role=roles.COORDINATORS, country="KR", clearances=KR_CLEARANCES,
                      time_zone="America/New_York")  # fmt: skip
    item = item_factory("done", owner=owner, status=Status.IN_PROGRESS, next_follow_up_at=FAR)
    link = evidence.check_link("https://example.org/mou", "MOU")
    review.claim(item=item, by=owner, note="Signed", now=BEFORE, link=link)
    plans = planned(NY_MON_MORNING)
    assert set(plans) == {"kr-coord"}  # not the claimant, not the same country's coordinator
    assert [(i.key, k) for i, k in plans["kr-coord"].entries] == [("done", ReminderKind.REVIEW)]
    assert us.pk and kr.pk


def test_an_owner_hears_nothing_of_a_claimed_item_however_late(item_factory, owner, user_factory):
    item = item_factory("late", owner=owner, status=Status.IN_PROGRESS, due_date=day(-30))
    link = evidence.check_link("https://example.org/mou", "MOU")
    review.claim(item=item, by=owner, note="Signed", now=BEFORE, link=link)
    assert "ny-owner" not in planned(NY_MON_MORNING)


# --- Each person's schedule -----------------------------------------------------------------------


@pytest.fixture
def late_owner(item_factory, owner):
    item_factory("late", owner=owner, due_date=day(-1))
    return owner


def test_a_digest_comes_at_the_hour_the_person_chose(late_owner):
    late_owner.profile.digest_hour = 13
    late_owner.profile.save()
    assert planned(NY_MON_MORNING) == {}  # 09:30
    plan = planned(at(2026, 12, 7, 18, 30))["ny-owner"]  # 13:30 in New York
    assert plan.send_before == at(2026, 12, 7, 21)  # 13:00 + the 3-hour window


def test_a_weekly_digest_comes_on_its_day_only(late_owner):
    late_owner.profile.digest_frequency = DigestFrequency.WEEKLY
    late_owner.profile.digest_weekday = 2  # Wednesday
    late_owner.profile.save()
    days = {n: planned(NY_MON_MORNING + dt.timedelta(days=n)) for n in range(7)}
    assert [n for n, plans in days.items() if plans] == [2]


def test_a_pause_holds_digests_until_its_date_and_a_stop_until_resumed(late_owner):
    late_owner.profile.digests_paused_until = day(2)
    late_owner.profile.save()
    assert planned(NY_MON_MORNING) == {} and planned(NY_MON_MORNING + dt.timedelta(days=1)) == {}
    assert "ny-owner" in planned(NY_MON_MORNING + dt.timedelta(days=2))
    late_owner.profile.digests_stopped_at = BEFORE
    late_owner.profile.save()
    assert planned(NY_MON_MORNING + dt.timedelta(days=2)) == {}


def test_a_digest_claimed_before_a_stop_is_not_sent(late_owner, setting_up):
    (row,) = swept(NY_MON_MORNING)
    late_owner.profile.digests_stopped_at = NY_MON_MORNING
    late_owner.profile.save()
    outcome = deliver(row.pk, NY_MON_MORNING)
    assert (outcome.state, outcome.detail) == ("skipped", "The recipient paused their digests.")
    assert mail.outbox == []

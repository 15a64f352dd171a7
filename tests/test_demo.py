"""`make demo`'s data: every seed item owned, a real history, and work due on the day it runs."""

import datetime as dt

import pytest
from django.core.management import call_command

from tracker.demo import DEMO_USERS, setup_demo
from tracker.models import ActionItem, StatusUpdate
from tracker.reminders.sweep import plan_digests

NOW = dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC)  # a Wednesday


@pytest.fixture
def demo(db):
    call_command("load_seed", verbosity=0)
    setup_demo(now=NOW)


def test_every_seed_item_has_an_owner_and_a_counterpart(demo):
    items = ActionItem.objects.prefetch_related("co_owners")
    assert items.count() > 10
    assert all(item.owner_id and item.co_owners.exists() for item in items)


def test_the_admin_lists_every_seed_item_with_its_owner(demo, client, settings):
    from django.contrib.auth.models import User

    settings.ADMIN_REQUIRE_OTP = False  # as in `make demo`
    client.force_login(User.objects.get(username="admin"))
    response = client.get("/admin/tracker/actionitem/?all=")
    assert response.status_code == 200
    body = response.content.decode()
    for item in ActionItem.objects.select_related("owner"):
        assert item.key in body
        assert item.owner.username in body


def test_the_demo_has_a_history_and_work_due_today(demo):
    assert StatusUpdate.objects.count() >= 10
    assert ActionItem.objects.closed().exists()
    today = NOW.date()
    open_items = ActionItem.objects.open()
    assert open_items.filter(due_date__lt=today).count() >= 2
    assert open_items.filter(due_date__gte=today, due_date__lte=today + dt.timedelta(7)).exists()
    recipients = {plan.recipient.username for plan in plan_digests(now=NOW)}
    assert recipients, "someone should be due for a digest in their morning"


def test_the_demo_has_an_accepted_claim_and_one_waiting_for_review(demo):
    for accepted in ActionItem.objects.filter(status="implemented"):
        kinds = list(accepted.updates.order_by("created_at").values_list("kind", flat=True))
        assert kinds[-2:] == ["claim", "claim_accepted"] and accepted.evidence.exists()
    waiting = ActionItem.objects.get(status="implementation_claimed")
    assert waiting.evidence.get().url.startswith("https://")


def test_a_second_setup_changes_nothing(demo):
    before = (StatusUpdate.objects.count(), ActionItem.history.count())
    setup_demo(now=NOW + dt.timedelta(days=1))
    assert (StatusUpdate.objects.count(), ActionItem.history.count()) == before


def test_demo_accounts_cover_both_countries_zones_and_languages():
    zones = {u.time_zone for u in DEMO_USERS}
    assert {"America/New_York", "Asia/Seoul"} <= zones
    assert {u.language for u in DEMO_USERS} == {"en", "ko"}


def test_each_demo_item_was_created_before_its_first_timeline_entry(demo):
    for item in ActionItem.objects.prefetch_related("updates"):
        entries = list(item.updates.all())
        if entries:
            assert item.created_at < min(e.created_at for e in entries), item.key
        created = item.history.get(history_type="+")
        assert created.history_date == item.created_at


def test_the_dticc_and_tcsc_each_held_a_meeting_and_plan_the_next(demo):
    from tracker.models import Meeting, MeetingStatus

    for forum in ("dticc", "tcsc"):
        statuses = sorted(Meeting.objects.filter(forum__key=forum).values_list("status", flat=True))
        assert statuses == [MeetingStatus.HELD, MeetingStatus.PLANNED]
    held = Meeting.objects.get(forum__key="dticc", status=MeetingStatus.HELD)
    assert held.outcomes.count() == 2 and held.born_items.count() == 1


def test_a_report_frozen_at_the_held_meeting_differs_from_now(demo):
    from django.contrib.auth.models import User
    from django.utils import timezone

    from tracker import comparison, snapshots
    from tracker.models import MeetingStatus, Snapshot

    report = Snapshot.objects.get()
    assert report.meeting.status == MeetingStatus.HELD and report.item_count >= 5
    assert snapshots.verify(report)
    admin = User.objects.get(username="admin")
    # The demo's late edits (the due dates it moves) are written at the real time.
    live = snapshots.live_content(snapshot=report, by=admin, now=timezone.now(), zone=dt.UTC)
    found = comparison.compare(report.content, live)
    assert found.due_moved, "the demo moves due dates after the meeting"

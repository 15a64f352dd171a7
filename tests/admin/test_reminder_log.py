"""The reminder log: read-only, filterable, owners see their own, items shown by releasability."""

import datetime as dt

import pytest

from tests.support.admin import text_of
from tracker import roles
from tracker.models import Marking, Reminder, ReminderItem, ReminderKind, ReminderState

LOG = "/admin/tracker/reminder/"


@pytest.fixture
def owner(user_factory):
    return user_factory("own", role=roles.OWNERS)


def digest(recipient, now, *, day: int, state=ReminderState.SENT, items=(), kind="follow_up"):
    reminder = Reminder.objects.create(
        recipient=recipient,
        local_date=dt.date(2026, 11, day),
        created_at=now,
        state=state,
        attempts=1,
        last_error="SMTP 451 try later" if state == ReminderState.FAILED else "",
    )
    for item in items:
        ReminderItem.objects.create(reminder=reminder, item=item, kind=kind)
    return reminder


def listed(response) -> list[Reminder]:
    return list(response.context["cl"].result_list)


def test_the_log_is_read_only_and_filters_by_state_kind_recipient_and_date(
    signed_in, coordinator, owner, item_factory, now
):
    item = item_factory()
    failed = digest(owner, now, day=20, state=ReminderState.FAILED, items=[item], kind="overdue")
    sent = digest(coordinator, now, day=21, items=[item])
    client = signed_in(coordinator)
    page = client.get(LOG)
    assert {r.pk for r in listed(page)} == {failed.pk, sent.pk}
    assert "SMTP 451 try later" in text_of(page) and "Overdue" in text_of(page)
    assert listed(client.get(LOG, {"state__exact": "failed"})) == [failed]
    assert listed(client.get(LOG, {"kind": ReminderKind.FOLLOW_UP})) == [sent]
    assert listed(client.get(LOG, {"recipient__id__exact": owner.pk})) == [failed]
    assert listed(
        client.get(LOG, {"local_date__day": 21, "local_date__month": 11, "local_date__year": 2026})
    ) == [sent]
    assert client.get(f"{LOG}add/").status_code == 403
    detail = text_of(client.get(f"{LOG}{failed.pk}/change/"))
    assert 'name="_save"' not in detail and "SMTP 451 try later" in detail


def test_owners_see_only_their_own_digests(signed_in, coordinator, owner, now):
    mine = digest(owner, now, day=20)
    other = digest(coordinator, now, day=20)
    client = signed_in(owner)
    assert listed(client.get(LOG)) == [mine]
    assert client.get(f"{LOG}{other.pk}/change/").status_code in (302, 404)


def test_a_digest_page_names_only_the_items_the_viewer_may_see(
    signed_in, coordinator, owner, item_factory, now
):
    shared = item_factory("shared-item")
    hidden = item_factory("rok-item", marking=Marking.KR_ONLY, title_en="ROK eyes only")
    reminder = digest(owner, now, day=22, items=[shared, hidden])
    page = text_of(signed_in(coordinator).get(f"{LOG}{reminder.pk}/change/"))
    assert "shared-item" in page
    assert "rok-item" not in page and "ROK eyes only" not in page
    assert "not shown" not in page  # nor counted


def test_the_log_counts_only_the_items_the_viewer_may_see(
    signed_in, coordinator, owner, item_factory, now
):
    shared = item_factory("shared-item")
    hidden = item_factory("rok-item", marking=Marking.KR_ONLY)
    reminder = digest(owner, now, day=22, items=[shared, hidden])
    response = signed_in(coordinator).get(LOG)
    (row,) = [r for r in response.context["cl"].result_list if r.pk == reminder.pk]
    assert response.context["cl"].model_admin.item_count(row) == 1


def test_failed_reminders_can_be_retried(signed_in, coordinator, owner, now):
    failed = digest(owner, now, day=20, state=ReminderState.FAILED)
    sent = digest(coordinator, now, day=20)
    client = signed_in(coordinator)
    response = client.post(
        LOG,
        {"action": "retry_failed", "_selected_action": [failed.pk, sent.pk], "index": 0},
        follow=True,
    )
    page = text_of(response)
    assert "1 failed reminder queued again." in page
    assert "1 selected reminder had not failed" in page
    failed.refresh_from_db()
    assert failed.state != ReminderState.FAILED


def test_owners_cannot_retry(signed_in, owner, now):
    digest(owner, now, day=20, state=ReminderState.FAILED)
    assert "retry_failed" not in text_of(signed_in(owner).get(LOG))

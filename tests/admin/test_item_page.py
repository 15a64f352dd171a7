"""One item's admin page: provenance, timeline, field history, reminders, and refused input."""

import datetime as dt
import re

from tests.conftest import KR_CLEARANCES, NOW, US_CLEARANCES
from tests.support.admin import item_url, text_of
from tracker import roles, workflow
from tracker.models import (
    ActionItem,
    Marking,
    Reminder,
    ReminderItem,
    ReminderKind,
    ReminderState,
    Status,
    StatusUpdate,
)


def form_data(item: ActionItem, **changes) -> dict:
    """What the change form posts for `item` as it is now, with `changes` applied."""
    data = {
        "key": item.key,
        "title_en": item.title_en,
        "title_ko": item.title_ko,
        "summary_en": item.summary_en,
        "summary_ko": item.summary_ko,
        "source": item.source_id,
        "theme": item.theme_id,
        "paragraph": item.paragraph,
        "excerpt": item.excerpt,
        "lead_organization": item.lead_organization_id,
        "partner_organizations": [o.pk for o in item.partner_organizations.all()],
        "owner_role_en": item.owner_role_en,
        "owner_role_ko": item.owner_role_ko,
        "co_owners": [u.pk for u in item.co_owners.all()],
        "priority": item.priority,
        "due_date": item.due_date.isoformat() if item.due_date else "",
        "cadence_days": item.cadence_days,
        "marking": item.marking,
        "expected_version": item.version,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_shows_provenance_timeline_history_and_reminders(
    as_coordinator, item_factory, coordinator, source, now
):
    source.citation = "CSIS-DAPA conference, executive summary (2021)"
    source.save()
    item = item_factory("prov", paragraph=7, excerpt="Streamline export licensing.")
    workflow.change_status(item=item, to=Status.IN_PROGRESS, by=coordinator, now=now)
    item.summary_en = "Edited summary"
    item._history_user = coordinator
    workflow.save_edit(item=item, by=coordinator, expected_version=item.version, now=NOW)
    item.co_owners.add(coordinator)
    item.save()
    reminder = Reminder.objects.create(
        recipient=coordinator,
        local_date=dt.date(2026, 11, 28),
        created_at=now,
        state=ReminderState.SENT,
        sent_at=now,
    )
    ReminderItem.objects.create(reminder=reminder, item=item, kind=ReminderKind.FOLLOW_UP)

    page = text_of(as_coordinator.get(item_url(item)))
    assert page.index("Provenance") < page.index('name="title_en"')
    assert "Paragraph 7 of" in page and "Streamline export licensing." in page
    assert "CSIS-DAPA conference, executive summary (2021)" in page
    assert "Timeline" in page and "Not started → In progress" in page
    assert "Field history" in page and "Edited summary" in page
    assert "<strong>co-owners</strong>: — → coord" in page
    assert "Reminders sent for this item" in page and "Follow-up" in page
    log = page[page.index("Reminders sent for this item") :]
    assert "2026-11-28" in log and "Sent" in log and coordinator.username in log
    assert 'name="to_status"' in page  # the update form


def test_an_update_posted_from_the_page_goes_on_the_timeline(as_coordinator, item_factory):
    item = item_factory()
    response = as_coordinator.post(
        item_url(item, "post-update/"), {"to_status": "in_progress", "note": "Kicked off"}
    )
    assert response.status_code == 302
    update = StatusUpdate.objects.get(item=item)
    assert (update.to_status, update.note, update.author.username) == (
        "in_progress",
        "Kicked off",
        "coord",
    )


def test_a_forbidden_transition_is_a_form_error_and_changes_nothing(as_coordinator, item_factory):
    item = item_factory(status=Status.IN_PROGRESS)
    response = as_coordinator.post(
        item_url(item, "post-update/"), {"to_status": "not_started", "note": "back"}
    )
    assert response.status_code == 200
    assert "An item cannot go from “In progress” to “Not started”." in text_of(response)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS and not item.updates.exists()


def test_closing_without_a_note_is_a_form_error(as_coordinator, item_factory):
    item = item_factory(status=Status.IN_PROGRESS)
    response = as_coordinator.post(item_url(item, "post-update/"), {"to_status": "implemented"})
    assert "A note is required: say why." in text_of(response)
    item.refresh_from_db()
    assert item.status == Status.IN_PROGRESS


def test_a_valid_edit_is_saved_with_a_new_version(as_coordinator, item_factory):
    item = item_factory(summary_en="old")
    response = as_coordinator.post(item_url(item), form_data(item, summary_en="new"))
    assert response.status_code == 302, text_of(response)[:3000]
    item.refresh_from_db()
    assert item.summary_en == "new" and item.version == 2


def test_a_due_date_before_the_reports_date_is_refused(as_coordinator, item_factory):
    item = item_factory()
    response = as_coordinator.post(item_url(item), form_data(item, due_date="2020-01-01"))
    assert "The due date cannot be before the report" in text_of(response)
    item.refresh_from_db()
    assert item.due_date == dt.date(2027, 6, 30) and item.version == 1


def test_a_stale_edit_is_refused_naming_who_changed_it(as_coordinator, item_factory, user_factory):
    item = item_factory(summary_en="first")
    opened = form_data(item, summary_en="mine")
    other = user_factory("rival", role=roles.COORDINATORS)
    item.summary_en = "theirs"
    item._history_user = other
    workflow.save_edit(item=item, by=other, expected_version=item.version, now=NOW)

    response = as_coordinator.post(item_url(item), opened)
    assert response.status_code == 200
    assert "rival changed this item" in text_of(response)
    item.refresh_from_db()
    assert item.summary_en == "theirs"


def test_a_marking_the_owner_may_not_see_is_refused(as_coordinator, item_factory, user_factory):
    korean_owner = user_factory("kr-owner", role=roles.OWNERS, clearances=KR_CLEARANCES)
    item = item_factory(owner=korean_owner)
    response = as_coordinator.post(item_url(item), form_data(item, marking=Marking.US_ONLY))
    assert "kr-owner may not see items marked “U.S. only”." in text_of(response)
    item.refresh_from_db()
    assert item.marking == Marking.ALL


def test_an_owner_who_may_not_see_the_marking_is_refused_on_a_new_item(
    as_coordinator, item_factory, user_factory
):
    korean_owner = user_factory("kr-owner", role=roles.OWNERS, clearances=KR_CLEARANCES)
    template = item_factory("template")
    data = form_data(template, key="new-one", marking=Marking.US_ONLY, owner=korean_owner.pk)
    data.pop("expected_version")
    response = as_coordinator.post("/admin/tracker/actionitem/add/", data)
    assert "kr-owner may not see items marked “U.S. only”." in text_of(response)
    assert not ActionItem.objects.filter(key="new-one").exists()


def test_a_co_owner_who_may_not_see_the_marking_is_refused(
    as_coordinator, item_factory, user_factory
):
    korean = user_factory("kr-co", role=roles.OWNERS, clearances=KR_CLEARANCES)
    item = item_factory(marking=Marking.US_ONLY)
    response = as_coordinator.post(item_url(item), form_data(item, co_owners=[korean.pk]))
    assert "kr-co may not see items marked" in text_of(response)
    assert not item.co_owners.exists()


def test_a_coordinator_cannot_mark_an_item_beyond_their_own_clearance(as_coordinator, item_factory):
    item = item_factory()
    response = as_coordinator.post(item_url(item), form_data(item, marking=Marking.KR_ONLY))
    assert "You are not cleared for items marked “ROK only”." in text_of(response)
    item.refresh_from_db()
    assert item.marking == Marking.ALL


def test_the_owner_changes_through_reassignment_onto_the_timeline(
    as_coordinator, item_factory, user_factory
):
    new_owner = user_factory("new-owner", role=roles.OWNERS)
    item = item_factory()
    page = text_of(as_coordinator.get(item_url(item)))
    assert 'name="owner"' not in page and "Reassign owner" in page
    confirm = as_coordinator.get(item_url(item, "reassign/"))
    assert confirm.status_code == 200 and item.key in text_of(confirm)
    as_coordinator.post(
        "/admin/tracker/actionitem/",
        {
            "action": "reassign_owner",
            "_selected_action": [item.pk],
            "apply": "1",
            "owner": new_owner.pk,
            "role": "keep",
            "note": "",
        },
    )
    item.refresh_from_db()
    assert item.owner == new_owner
    assert item.updates.get().changes == [{"field": "owner", "old": None, "new": "new-owner"}]


def test_history_pages_are_read_only(as_coordinator, item_factory):
    item = item_factory(summary_en="v1")
    record = item.history.first()
    assert as_coordinator.get(item_url(item, "history/")).status_code == 200
    url = item_url(item, f"history/{record.history_id}/")
    assert as_coordinator.get(url).status_code == 200
    assert as_coordinator.post(url, form_data(item, summary_en="reverted")).status_code == 403
    item.refresh_from_db()
    assert item.summary_en == "v1"


def test_a_korean_coordinator_reads_the_page_in_korean(signed_in, user_factory, item_factory):
    item = item_factory(title_ko="연합 훈련")
    page = text_of(
        signed_in(user_factory("kim", role=roles.COORDINATORS, language="ko")).get(item_url(item))
    )
    assert "진행 경과" in page and "필드 변경 이력" in page and "연합 훈련" in page


def test_a_coordinator_adds_an_item_with_an_owner(as_coordinator, item_factory, user_factory):
    owner = user_factory("us-owner", role=roles.OWNERS, clearances=US_CLEARANCES)
    template = item_factory("template")
    data = form_data(template, key="added", owner=owner.pk, marking=Marking.US_ONLY)
    data.pop("expected_version")
    response = as_coordinator.post("/admin/tracker/actionitem/add/", data)
    assert response.status_code == 302, text_of(response)[:2000]
    added = ActionItem.objects.get(key="added")
    assert (added.owner, added.status, added.source_date) == (
        owner,
        Status.NOT_STARTED,
        template.source.date,
    )


def test_admin_pages_need_no_inline_script_under_the_csp(as_coordinator, item_factory):
    item = item_factory()
    pages = [
        "/admin/",
        "/admin/tracker/actionitem/",
        "/admin/tracker/actionitem/add/",
        item_url(item),
        item_url(item, "history/"),
        item_url(item, "reassign/"),
        item_url(item, "post-update/"),
        "/admin/tracker/actionitem/import/",
        "/admin/tracker/actionitem/export/",
        "/admin/tracker/reminder/",
    ]
    for url in pages:
        response = as_coordinator.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text_of(response)), url

"""Nothing typed is lost, and every change a reader should know of is on the timeline: made in the
admin, by an import or by a report reload, and read on the status page a reader opens, in
English and in Korean."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from pathlib import Path

import pytest
from django.test import Client

from tests.admin.test_import_export import confirm, csv_text, upload
from tests.admin.test_item_page import form_data
from tests.conftest import make_user
from tracker import roles
from tracker.models import ActionItem, Profile, Status, UpdateKind
from tracker.seeding import load_paths

ADMIN_ITEM = "/admin/tracker/actionitem/{pk}/change/"
SEED_ITEM = "seed-item"


@pytest.fixture
def coordinator_client(world, settings) -> Client:
    settings.ADMIN_REQUIRE_OTP = False
    client = Client()
    client.force_login(world.coordinator)
    return client


def timeline(client: Client, item: ActionItem) -> str:
    """The timeline of the item's status page, as text (tags removed, spaces collapsed)."""
    page = client.get(f"/items/{item.key}/").content.decode()
    section = page[page.index('id="timeline-section"') :]
    section = section[: section.index("</section>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", section)))


def reader(world, language: str = "en") -> Client:
    Profile.objects.filter(user=world.reader).update(language=language)
    client = Client()
    client.force_login(world.reader)
    return client


def save_item(client: Client, item: ActionItem, **changes):
    item.refresh_from_db()
    return client.post(ADMIN_ITEM.format(pk=item.pk), form_data(item, **changes))


# --- Point 3: nothing typed is lost ----------------------------------------------------------


def test_a_note_typed_with_a_due_date_change_reaches_readers_as_the_moves_reason(
    world, coordinator_client
):
    item = world.public
    item.due_date = dt.date(2027, 6, 30)
    item.save()
    response = save_item(
        coordinator_client, item, due_date="2027-07-31", note="The ministry asked for a month."
    )
    assert response.status_code == 302
    text = timeline(reader(world), item)
    assert "Due date moved" in text and "coord" in text
    assert "Due date : June 30, 2027 → July 31, 2027" in text
    assert "The ministry asked for a month." in text


def test_a_note_typed_with_other_edits_is_kept_as_their_reason(world, coordinator_client):
    item = world.public
    save_item(coordinator_client, item, summary_en="A new summary", note="Scope agreed with DAPA.")
    text = timeline(reader(world), item)
    assert "Details changed" in text and "Summary (English)" in text
    assert "A new summary" in text and "Scope agreed with DAPA." in text


def test_a_note_typed_alone_becomes_a_progress_update(world, coordinator_client):
    item = world.public
    save_item(coordinator_client, item, note="Met the counterparts today.")
    text = timeline(reader(world), item)
    assert "Progress update" in text and "Met the counterparts today." in text


def test_a_status_change_typed_with_an_edit_lands_both_on_the_timeline(world, coordinator_client):
    item = world.public
    response = save_item(
        coordinator_client,
        item,
        title_en="Harmonised export controls",
        to_status=Status.SUPERSEDED,
        note="Signed at the committee.",
    )
    assert response.status_code == 302
    text = timeline(reader(world), item)
    assert "In progress → Superseded" in text and "Signed at the committee." in text
    assert "Title (English) : Harmonise export controls → Harmonised export controls" in text


def test_closing_without_a_note_is_refused_and_the_form_keeps_what_was_typed(
    world, coordinator_client
):
    item = world.public
    before = item.updates.count()
    response = save_item(
        coordinator_client, item, title_en="A title typed with care", to_status=Status.SUPERSEDED
    )
    page = response.content.decode()
    assert response.status_code == 200 and "A note is required: say why." in page
    assert 'value="A title typed with care"' in page  # shown again, not lost
    item.refresh_from_db()
    assert item.title_en == "Harmonise export controls" and item.status == Status.IN_PROGRESS
    assert item.updates.count() == before
    assert "A title typed with care" not in timeline(reader(world), item)


def test_an_over_long_title_is_refused_with_its_limit_and_never_cut(world, coordinator_client):
    item = world.public
    long_title = "Harmonise" + " export controls" * 21  # 345 characters
    form = coordinator_client.get(ADMIN_ITEM.format(pk=item.pk)).content.decode()
    assert not re.search(r'<input[^>]*name="title_en"[^>]*maxlength', form)  # no browser cut
    response = save_item(coordinator_client, item, title_en=long_title)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert f"at most 300 characters (it has {len(long_title)})" in page
    assert long_title in page  # the whole title is still in the form
    item.refresh_from_db()
    assert item.title_en == "Harmonise export controls"


def test_an_over_long_note_is_refused_with_its_limit(world, coordinator_client):
    item = world.public
    before = item.updates.count()
    response = save_item(coordinator_client, item, due_date="2028-01-31", note="n" * 4001)
    assert "at most 4000 characters (it has 4001)" in html.unescape(response.content.decode())
    item.refresh_from_db()
    assert item.due_date != dt.date(2028, 1, 31) and item.updates.count() == before


# --- Point 4: every change a reader should know of is on the timeline ----------------------------


def test_a_due_date_moved_three_times_shows_each_move_in_both_languages(
    world, coordinator_client, settings
):
    item = world.public
    item.due_date = dt.date(2027, 3, 31)
    item.save()
    for due, why in (
        ("2027-06-30", "Waiting for the budget."),
        ("2027-07-31", "국회 일정으로 늦춥니다."),
        ("2027-09-30", ""),
    ):
        assert save_item(coordinator_client, item, due_date=due, note=why).status_code == 302
    english = timeline(reader(world), item)
    assert english.count("Due date moved") == 3
    assert "March 31, 2027 → June 30, 2027" in english
    assert "June 30, 2027 → July 31, 2027" in english and "국회 일정으로 늦춥니다." in english
    assert "July 31, 2027 → Sept. 30, 2027" in english
    korean = timeline(reader(world, "ko"), item)
    assert korean.count("기한 변경") == 3
    assert "2027년 3월 31일 → 2027년 6월 30일" in korean and "Waiting for the budget." in korean
    assert "2027년 7월 31일 → 2027년 9월 30일" in korean


def test_an_owner_change_names_both_owners_and_asks_whether_the_role_still_fits(
    world, coordinator_client
):
    item = world.public
    item.owner_role_en, item.owner_role_ko = "DoD export policy lead", "미 국방부 수출 정책 담당"
    item.save()
    successor = make_user("successor", role=roles.OWNERS, clearances=("us-only", "us-kr"))
    action = {"action": "reassign_owner", "_selected_action": [item.pk], "apply": "1"}
    unanswered = coordinator_client.post(
        "/admin/tracker/actionitem/", {**action, "owner": successor.pk}
    )
    assert "Does the owner&#x27;s role text still fit?" in unanswered.content.decode()
    assert "errorlist" in unanswered.content.decode()
    item.refresh_from_db()
    assert item.owner == world.owner
    coordinator_client.post(
        "/admin/tracker/actionitem/",
        {
            **action,
            "owner": successor.pk,
            "role": "replace",
            "role_en": "State licensing lead",
            "role_ko": "국무부 허가 담당",
            "note": "Moved to State.",
        },
    )
    english = timeline(reader(world), item)
    assert "Owner changed" in english and "Owner : owner → successor" in english
    assert "DoD export policy lead → State licensing lead" in english
    assert "Moved to State." in english
    page = reader(world).get(f"/items/{item.key}/").content.decode()
    assert "successor" in page and "(State licensing lead)" in page
    korean_page = reader(world, "ko").get(f"/items/{item.key}/").content.decode()
    assert "(국무부 허가 담당)" in korean_page
    assert "담당자 : owner → successor" in timeline(reader(world, "ko"), item)


def test_a_csv_import_that_changes_a_summary_leaves_a_trace_for_readers(world, coordinator_client):
    item = world.public
    exported = coordinator_client.get("/admin/tracker/actionitem/export/?status=in_progress")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["Key"] == item.key)
    row["Summary (English)"] = "Summary revised by import"
    confirm(coordinator_client, upload(coordinator_client, csv_text([row])))
    text = timeline(reader(world), item)
    assert "Changed by an import" in text and "coord" in text
    assert "Summary (English) : Summary of public-item → Summary revised by import" in text


SEED = """
source: {key: test-report, title: Test report, date: 2022-12-01}
themes: [{key: g2g, title_en: Government, order: 1}]
organizations: [{key: dod, country: US, name_en: Department of Defense}]
items:
  - key: seed-item
    title_en: A seeded item
    theme: g2g
    lead: dod
    owner_role_en: DoD lead
    owner_role_ko: 미 국방부 담당
    due: DUE
    provenance: {paragraph: 1, excerpt: an excerpt}
"""


def test_a_report_reload_that_moves_a_due_date_is_on_the_timeline(world, tmp_path, now):
    path = Path(tmp_path) / "report.yaml"
    path.write_text(SEED.replace("DUE", "2027-03-31"), encoding="utf-8")
    load_paths([path], now=now)
    path.write_text(SEED.replace("DUE", "2027-05-31"), encoding="utf-8")
    load_paths([path], now=now)
    item = ActionItem.objects.get(key=SEED_ITEM)
    assert item.updates.get().kind == UpdateKind.SEED
    text = timeline(reader(world), item)
    assert "Changed by a report reload" in text and "system" in text
    assert "Due date : March 31, 2027 → May 31, 2027" in text
    korean = timeline(reader(world, "ko"), item)
    assert "보고서 다시 불러오기로 변경" in korean and "2027년 3월 31일 → 2027년 5월 31일" in korean

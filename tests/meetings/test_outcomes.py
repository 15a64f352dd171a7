"""A held meeting's outcomes: a timeline entry citing the meeting, or a new item whose provenance
is the meeting."""

from __future__ import annotations

import datetime as dt

import pytest

from tracker import meetings, outcomes
from tracker.meetings import MeetingError
from tracker.models import (
    ActionItem,
    Marking,
    MeetingStatus,
    OutcomeKind,
    Status,
    UpdateKind,
)

NOW = dt.datetime(2026, 12, 7, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def held(item_factory, dticc, meeting_factory, coordinator):
    dticc.items.add(item_factory("mou-revision", status=Status.IN_PROGRESS))
    meeting = meeting_factory(dt.date(2026, 12, 4))
    meetings.hold(meeting=meeting, by=coordinator, now=NOW)
    return meeting


def new_item(source, theme, us_org, **fields) -> outcomes.NewItem:
    defaults = {
        "key": "supply-chain-working-group",
        "title_en": "Set up a supply chain working group",
        "title_ko": "공급망 실무그룹 구성",
        "source": source,
        "theme": theme,
        "lead_organization": us_org,
        "due_date": dt.date(2027, 6, 30),
    }
    return outcomes.NewItem(**{**defaults, **fields})


def test_an_outcome_on_an_agenda_item_is_a_timeline_entry_citing_the_meeting(held, coordinator):
    item = ActionItem.objects.get(key="mou-revision")
    outcome = outcomes.record_update(
        meeting=held,
        item=item,
        by=coordinator,
        text_en="Both sides agreed the revised text.",
        text_ko="양측은 개정안에 합의했습니다.",
        now=NOW,
    )
    update = item.updates.get()
    assert outcome.update == update and outcome.kind == OutcomeKind.UPDATE
    assert update.kind == UpdateKind.OUTCOME and update.created_at == NOW
    assert "the DTICC meeting of 2026-12-04" in update.note
    assert "Both sides agreed the revised text." in update.note
    assert "양측은 개정안에 합의했습니다." in update.note
    item.refresh_from_db()
    assert item.last_update_at == NOW


def test_an_outcome_may_close_the_item_under_the_workflows_rules(held, coordinator):
    item = ActionItem.objects.get(key="mou-revision")
    outcomes.record_update(
        meeting=held, item=item, by=coordinator, text_en="Signed.", now=NOW,
        to_status=Status.SUPERSEDED,
    )  # fmt: skip
    item.refresh_from_db()
    assert item.status == Status.SUPERSEDED
    assert item.updates.get().kind == UpdateKind.STATUS


def test_an_outcome_that_becomes_an_item_carries_the_meeting_as_its_provenance(
    held, coordinator, source, theme, us_org, client
):
    outcome = outcomes.record_new_item(
        meeting=held,
        new=new_item(source, theme, us_org),
        by=coordinator,
        text_en="The committee agreed to form a working group.",
        text_ko="위원회는 실무그룹을 구성하기로 합의했습니다.",
        now=NOW,
    )
    item = outcome.item
    assert outcome.kind == OutcomeKind.NEW_ITEM
    assert item.origin_meeting == held
    assert item.excerpt == "The committee agreed to form a working group."
    assert item.next_follow_up_at is not None
    assert held.forum.items.filter(pk=item.pk).exists()  # on the forum's coming agendas
    client.force_login(coordinator)
    page = client.get(f"/items/{item.key}/").content.decode()
    assert "An outcome of the DTICC 2026-12-04 meeting" in page
    assert f'href="/meetings/{held.pk}/"' in page


def test_outcomes_wait_for_the_meeting_to_be_held(
    item_factory, meeting_factory, coordinator, source, theme, us_org
):
    planned = meeting_factory(dt.date(2026, 12, 20), items=[item_factory("x")])
    with pytest.raises(MeetingError, match="once the meeting is held"):
        outcomes.record_new_item(
            meeting=planned, new=new_item(source, theme, us_org), by=coordinator,
            text_en="Too early", now=NOW,
        )  # fmt: skip
    assert not ActionItem.objects.filter(key="supply-chain-working-group").exists()


def test_an_outcome_is_refused_for_an_item_off_the_agenda_or_hidden_from_the_coordinator(
    held, item_factory, kr_coordinator
):
    off_agenda = item_factory("off-agenda")
    with pytest.raises(MeetingError, match="not on this meeting's agenda"):
        outcomes.record_update(
            meeting=held, item=off_agenda, by=kr_coordinator, text_en="x", now=NOW
        )
    us_only = item_factory("us-only-item", marking=Marking.US_ONLY)
    held.agenda_entries.create(item=us_only)
    with pytest.raises(MeetingError, match="not on this meeting's agenda"):  # not "hidden"
        outcomes.record_update(meeting=held, item=us_only, by=kr_coordinator, text_en="x", now=NOW)
    assert not us_only.updates.exists()


def test_a_new_item_is_refused_a_key_in_use_and_a_marking_its_maker_may_not_see(
    held, item_factory, kr_coordinator, source, theme, us_org
):
    item_factory("taken", marking=Marking.US_ONLY)
    with pytest.raises(MeetingError, match="“taken” cannot be used"):
        outcomes.record_new_item(
            meeting=held, new=new_item(source, theme, us_org, key="taken"), by=kr_coordinator,
            text_en="x", now=NOW,
        )  # fmt: skip
    with pytest.raises(MeetingError, match="not cleared"):
        outcomes.record_new_item(
            meeting=held,
            new=new_item(source, theme, us_org, marking=Marking.US_ONLY),
            by=kr_coordinator,
            text_en="x",
            now=NOW,
        )
    assert held.status == MeetingStatus.HELD and held.outcomes.count() == 0


def test_the_meeting_page_records_an_outcome_and_shows_it(held, coordinator, client):
    client.force_login(coordinator)
    response = client.post(
        f"/meetings/{held.pk}/outcome/",
        {"outcome-item": "mou-revision", "outcome-text_en": "Agreed.", "outcome-to_status": ""},
    )
    assert response.status_code == 302
    page = client.get(f"/meetings/{held.pk}/").content.decode()
    assert "Agreed." in page
    refused = client.post(f"/meetings/{held.pk}/outcome/", {"outcome-item": "mou-revision"})
    assert refused.status_code == 400 and held.outcomes.count() == 1

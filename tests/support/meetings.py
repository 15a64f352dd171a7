"""Forums and meetings for the tests of meetings, outcomes, reminders before meetings and
snapshots. Import the fixtures into a test module or a conftest:
`from tests.support.meetings import coordinator, dticc, meeting_factory  # noqa: F401`.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tests.conftest import KR_CLEARANCES, US_CLEARANCES
from tracker import roles
from tracker.models import Forum, Meeting, MeetingStatus

_counter = itertools.count(1)


@pytest.fixture
def dticc(db, us_org) -> Forum:
    return Forum.objects.create(
        key="dticc",
        short_name="DTICC",
        name_en="Defense Technological and Industrial Cooperation Committee",
        name_ko="한미 방산기술협력위원회",
        secretariat=us_org,
        update_lead_days=14,
    )


@pytest.fixture
def meeting_factory(dticc):
    def make(
        date: dt.date,
        *,
        forum: Forum | None = None,
        status: str = MeetingStatus.PLANNED,
        time_zone: str = "Asia/Seoul",
        items=(),
    ) -> Meeting:
        meeting = Meeting.objects.create(
            forum=forum or dticc,
            key=f"m-{next(_counter)}",
            date=date,
            time_zone=time_zone,
            place_en="Seoul",
            place_ko="서울",
            status=status,
        )
        for item in items:
            meeting.agenda_entries.create(item=item)
        return meeting

    return make


@pytest.fixture
def coordinator(user_factory):
    """A coordinator cleared for every marking but one country's own (ROK only)."""
    return user_factory("coord", role=roles.COORDINATORS, clearances=US_CLEARANCES)


@pytest.fixture
def kr_coordinator(user_factory):
    return user_factory(
        "kr-coord",
        role=roles.COORDINATORS,
        country="KR",
        clearances=KR_CLEARANCES,
        time_zone="Asia/Seoul",
        language="ko",
    )

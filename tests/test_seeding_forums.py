"""Forums and their known meetings in seed files: loaded, reloaded without undoing the tracker's
changes, and refused with file:line when wrong."""

import datetime as dt
from pathlib import Path

import pytest

from tests.test_seeding import GOOD, NOW, SEED, write
from tracker import meetings, roles
from tracker.models import Forum, Meeting, MeetingStatus
from tracker.seeding import SeedErrors, load_paths

FORUMS = """\
forums:
  - key: joint-committee
    short_name: JC
    name_en: Joint committee
    name_ko: 공동위원회
    secretariat: agency
    update_lead_days: 10
    items: [first-item]
    meetings:
      - key: 2027-spring
        date: 2027-04-12
        time_zone: Asia/Seoul
        place_en: Seoul
        place_ko: 서울
"""


def test_the_report_seed_names_the_dticc_tcsc_and_rdp_forums(db):
    load_paths([SEED], now=NOW)
    forums = {f.key: f for f in Forum.objects.prefetch_related("items")}
    assert set(forums) == {"dticc", "tcsc", "rdp-talks"}
    assert forums["dticc"].short_name == "DTICC" and forums["dticc"].secretariat.key == "dticc"
    assert {"dticc-mou-revision", "dticc-meeting-agenda"} <= {
        i.key for i in forums["dticc"].items.all()
    }
    assert forums["rdp-talks"].items.filter(key="rdp-mou-talks").exists()


def test_a_forum_and_its_meeting_load_and_a_reload_keeps_what_the_tracker_changed(
    tmp_path, user_factory
):
    path = write(tmp_path, GOOD + FORUMS)
    load_paths([path], now=NOW)
    forum = Forum.objects.get(key="joint-committee")
    assert (forum.short_name, forum.name_ko, forum.update_lead_days) == ("JC", "공동위원회", 10)
    assert [i.key for i in forum.items.all()] == ["first-item"]
    meeting = Meeting.objects.get(forum=forum)
    assert (meeting.date, meeting.time_zone, meeting.status) == (
        dt.date(2027, 4, 12), "Asia/Seoul", MeetingStatus.PLANNED,
    )  # fmt: skip
    coordinator = user_factory("c", role=roles.COORDINATORS)
    meetings.postpone(meeting=meeting, to=dt.date(2027, 5, 3), by=coordinator, now=NOW)
    result = load_paths([path], now=NOW)
    assert not result.changed
    meeting.refresh_from_db()
    assert (meeting.date, meeting.status) == (dt.date(2027, 5, 3), MeetingStatus.POSTPONED)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("secretariat: agency", "secretariat: nobody"), "unknown organization “nobody”"),
        (("items: [first-item]", "items: [no-item]"), "unknown item “no-item”"),
        (("update_lead_days: 10", "update_lead_days: 90"), "must be 2 to 60"),
        (("date: 2027-04-12", "date: 2027-13-12"), "is not a date"),
        (("time_zone: Asia/Seoul", "time_zone: Mars/Olympus"), "unknown time zone"),
        (("    place_ko: 서울", "    place_ko: 서울\n        status: maybe"), "must be one of"),
    ],
)
def test_a_bad_forum_is_refused_with_its_line_and_nothing_written(tmp_path, db, change, message):
    path: Path = write(tmp_path, GOOD + FORUMS.replace(*change))
    with pytest.raises(SeedErrors) as refused:
        load_paths([path], now=NOW)
    assert message in str(refused.value) and f"{path}:" in str(refused.value)
    assert not Forum.objects.exists()

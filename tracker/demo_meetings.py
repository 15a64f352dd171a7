"""The demo's meetings: the DTICC and the TCSC each met three weeks ago and meet again within two,
with outcomes, carried-over items, and a status report frozen at the DTICC meeting.

Made once, on the first setup (when no meeting exists), through the same rules as real use
(meetings.hold, outcomes, snapshots.freeze), so the pages show what use would give; the
comparison of the frozen report with now shows what the demo's history changed since.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.contrib.auth import get_user_model

from . import meetings, outcomes, snapshots
from .models import ActionItem, Edition, Forum, Meeting, ScopeKind, Snapshot, Status

# (forum key, days ago it met, days until it meets again, its time zone, places en/ko)
DEMO_MEETINGS = [
    ("dticc", 20, 10, "Asia/Seoul", ("Seoul", "서울"), ("Washington, DC", "워싱턴 DC")),
    ("tcsc", 35, 12, "America/New_York", ("Washington, DC", "워싱턴 DC"), ("Daejeon", "대전")),
]
# How long ago the report's items were loaded and assigned, as far as their history tells.
LOADED_DAYS_AGO = 90


def assigned_at(now: dt.datetime) -> dt.datetime:
    """When the demo's owners were assigned, as far as the items' history tells."""
    return now - dt.timedelta(days=LOADED_DAYS_AGO)


def backdate_loading(*, item_ids: list[int], now: dt.datetime) -> None:
    """The demo loads the report today; its history says it was loaded a day before the owners
    were assigned, so a snapshot of a past moment finds the items (the stories come after)."""
    loaded = assigned_at(now) - dt.timedelta(days=1)
    loading = ActionItem.history.filter(id__in=item_ids, history_change_reason="load_seed")
    loading.update(history_date=loaded)


def _meeting(forum: Forum, days: int, zone: str, place: tuple, now: dt.datetime) -> Meeting:
    date = (now + dt.timedelta(days=days)).astimezone(zoneinfo.ZoneInfo(zone)).date()
    return Meeting.objects.create(
        forum=forum,
        key=date.isoformat(),
        date=date,
        time_zone=zone,
        place_en=place[0],
        place_ko=place[1],
    )


def _hold(held: Meeting, admin, now: dt.datetime) -> None:
    meetings.hold(
        meeting=held,
        by=admin,
        now=now,
        minutes_en=f"The {held.forum.label} reviewed every open item of its agenda.",
        minutes_ko=f"{held.forum.label}는 의제의 모든 미결 항목을 검토했습니다.",
    )


def _outcomes(held: Meeting, admin, when: dt.datetime) -> None:
    first = meetings.agenda_items(held).open().order_by("key").first()
    if first is not None:
        outcomes.record_update(
            meeting=held,
            item=first,
            by=admin,
            text_en="Both sides agreed to report progress at the next meeting.",
            text_ko="양측은 다음 회의에서 진행 상황을 보고하기로 합의했습니다.",
            now=when,
            to_status=Status.IN_PROGRESS if first.status == Status.NOT_STARTED else None,
        )
    if held.forum.key != "dticc" or first is None:
        return
    new = outcomes.NewItem(
        key="dticc-supply-chain-working-group",
        title_en="Set up a DTICC working group on defense supply chain resilience",
        title_ko="국방 공급망 회복력에 관한 DTICC 실무그룹 구성",
        source=first.source,
        theme=first.theme,
        lead_organization=first.lead_organization,
        owner=first.owner,
        due_date=(when + dt.timedelta(days=180)).date(),
    )
    outcome = outcomes.record_new_item(
        meeting=held,
        new=new,
        by=admin,
        text_en="The committee agreed to form a working group on supply chain resilience.",
        text_ko="위원회는 공급망 회복력에 관한 실무그룹을 구성하기로 합의했습니다.",
        now=when,
    )
    outcome.item.co_owners.set(first.co_owners.all())  # a counterpart, as every demo item has


def setup_meetings(*, now: dt.datetime) -> Snapshot | None:
    """The demo's meetings, outcomes and frozen report (first setup only); returns the report."""
    if Meeting.objects.exists() or not Forum.objects.filter(key="dticc").exists():
        return None
    admin = get_user_model().objects.get(username="admin")
    report = None
    for key, ago, ahead, zone, held_place, next_place in DEMO_MEETINGS:
        forum = Forum.objects.get(key=key)
        held = _meeting(forum, -ago, zone, held_place, now)
        _meeting(forum, ahead, zone, next_place, now)
        _hold(held, admin, now)
        when = now - dt.timedelta(days=ago, hours=-2)
        _outcomes(held, admin, when)
        if key == "dticc":
            ask = snapshots.Request(
                scope=snapshots.Scope(kind=ScopeKind.MEETING, meeting=held),
                edition=Edition.ALL,
                as_of=when + dt.timedelta(hours=1),
                zone=zoneinfo.ZoneInfo(zone),
                title_en="Status of the DTICC agenda items",
                title_ko="DTICC 의제 항목 현황",
            )
            report = snapshots.freeze(request=ask, by=admin, now=now)
    return report

"""Loading the forums and their known meetings of a seed file (the optional top-level `forums`
list; checks.py validates it with the rest of the file).

A forum names its secretariat (an organization of the file), the file's items it follows, and
the meetings known when the report was loaded. A reload updates the forum's names, secretariat
and lead days, adds the file's items to it (never removes one a coordinator added), and creates
meetings it does not have; a meeting already there keeps the date and status the tracker gave it
(a postponement, a holding), only its place and time zone follow the file.
"""

from __future__ import annotations

import datetime as dt

from tracker.models import (
    ActionItem,
    Forum,
    Meeting,
    MeetingStatus,
    Organization,
)


def load_forums(forums: list[dict], *, orgs: dict[str, Organization], upsert, result) -> None:
    """Upsert the file's forums and their meetings (see the module's note on what a reload
    keeps); `upsert` and `result` are loading.py's."""
    for spec in forums:
        values = {
            "short_name": spec.get("short_name") or "",
            "name_en": spec["name_en"],
            "name_ko": spec.get("name_ko") or "",
            "secretariat": orgs.get(spec.get("secretariat") or ""),
            "update_lead_days": spec.get("update_lead_days") or 14,
        }
        forum, _created = upsert(Forum, {"key": spec["key"]}, values, result, "forums")
        wanted = set(
            ActionItem.objects.filter(key__in=spec.get("items") or []).values_list("pk", flat=True)
        )
        missing = wanted - set(forum.items.values_list("pk", flat=True))
        if missing:
            forum.items.add(*missing)
            result.count("updated", "forum item lists")
        for meeting in spec.get("meetings") or []:
            _load_meeting(forum, meeting, upsert=upsert, result=result)


def _load_meeting(forum: Forum, spec: dict, *, upsert, result) -> None:
    date = spec["date"]
    if isinstance(date, str):
        date = dt.date.fromisoformat(date)
    existing = Meeting.objects.filter(forum=forum, key=spec["key"]).first()
    values = {
        "time_zone": spec.get("time_zone") or "UTC",
        "place_en": spec.get("place_en") or "",
        "place_ko": spec.get("place_ko") or "",
    }
    if existing is None:
        values |= {"date": date, "status": spec.get("status") or MeetingStatus.PLANNED}
    upsert(Meeting, {"forum": forum, "key": spec["key"]}, values, result, "meetings")

"""Build one benchmark data set: `size` action items with owners, timelines and reminder history.

Shape (the issue's): 10 % of the items need follow-up at `now`, one owner per 10 items, a spread
of statuses, priorities, markings and time zones, years of timeline (about five updates an item)
and of sent digests. Rows go in with COPY, in Python-generated order, with explicit ids; every
column the builder does not set takes the model field's default, so a new field with a default
needs no change here.

Run as a stage: `python -m bench.dataset --size N --now ISO` (DATABASE_URL names the database).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.db import connection, models  # noqa: E402

from tracker import roles  # noqa: E402
from tracker.models import (  # noqa: E402
    CLOSED_STATUSES,
    OPEN_STATUSES,
    ActionItem,
    Marking,
    Organization,
    Profile,
    Reminder,
    ReminderItem,
    Source,
    Status,
    StatusUpdate,
    Theme,
    UpdateKind,
)

from .env import LOGIN_PASSWORD, LOGIN_USERNAME, emit  # noqa: E402

STATUS_WEIGHTS = {
    Status.NOT_STARTED: 20,
    Status.IN_PROGRESS: 40,
    Status.BLOCKED: 8,
    Status.IMPLEMENTED: 20,
    Status.CLOSED_NOT_IMPLEMENTED: 7,
    Status.SUPERSEDED: 5,
}
PRIORITY_WEIGHTS = {"low": 20, "medium": 50, "high": 25, "critical": 5}
US_ZONES = ["America/New_York"] * 7 + ["America/Chicago"] * 2 + ["America/Los_Angeles"]
PAST_DIGESTS_PER_OWNER = 6
_TEXT = (
    "joint program office industrial base supply chain co-production offset reciprocal "
    "procurement memorandum export control technology security review shipbuilding munitions "
    "sustainment interoperability standards working group roadmap milestone consultation "
    "agreement assessment pilot funding committee report"
)
WORDS = _TEXT.split()


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


# --- COPY with model defaults ---------------------------------------------------------------------


def copy_rows(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY `rows` (attname -> value) into `model`'s table; missing columns take field defaults.

    `rows` may be a generator, but must not query the database: the connection is busy copying.
    """
    fields = list(model._meta.concrete_fields)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_value(f, row) for f in fields])
            count += 1
    return count


def _value(f: models.Field, row: dict):
    # get_default() is the field's default, or "" for a blank text field, or None.
    value = row[f.attname] if f.attname in row else f.get_default()
    if value is None and not f.null:
        raise KeyError(f"{f.model.__name__}.{f.attname} has no value and no default")
    return f.get_db_prep_save(value, connection)


def reset_sequences(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(statement)


# --- The plan: who owns what, what is due ---------------------------------------------------------


@dataclass
class Plan:
    size: int
    now: dt.datetime
    rng: random.Random
    owners: list[int] = field(default_factory=list)  # user ids; owner k is US when k is even
    coordinators: dict[str, list[int]] = field(default_factory=dict)
    orgs: dict[str, list[int]] = field(default_factory=dict)  # country -> organization ids
    themes: list[tuple[int, int, dt.date]] = field(default_factory=list)  # (source, theme, date)
    login_id: int = 0
    due: set[int] = field(default_factory=set)
    owner_count: int = 0  # 0: one owner per 10 items


def users_rows(plan: Plan) -> Iterator[dict]:
    """Coordinators (4 U.S., 4 ROK), the login coordinator, then one owner per 10 items."""
    unusable = "!bench-unusable"
    password = make_password(LOGIN_PASSWORD)
    joined = plan.now - dt.timedelta(days=1500)
    next_id = 1
    specs = [("coord-us", "US")] * 4 + [("coord-kr", "KR")] * 4
    for n, (prefix, country) in enumerate(specs):
        plan.coordinators.setdefault(country, []).append(next_id)
        yield _user(next_id, f"{prefix}-{n}", unusable, joined)
        next_id += 1
    plan.login_id = next_id
    yield _user(next_id, LOGIN_USERNAME, password, joined)
    next_id += 1
    for k in range(plan.owner_count or max(1, plan.size // 10)):
        plan.owners.append(next_id)
        yield _user(next_id, f"owner-{k:06d}", unusable, joined)
        next_id += 1


def _user(pk: int, username: str, password: str, joined: dt.datetime) -> dict:
    return {
        "id": pk,
        "username": username,
        "email": f"{username}@bench.example.org",
        "password": password,
        "is_staff": True,
        "is_superuser": False,
        "is_active": True,
        "date_joined": joined,
        "first_name": username.split("-")[0].capitalize(),
        "last_name": username.rsplit("-", 1)[-1],
    }


def profile_rows(plan: Plan) -> Iterator[dict]:
    pk = 0

    def row(user_id: int, country: str, zone: str, language: str, clearances: str) -> dict:
        nonlocal pk
        pk += 1
        return {
            "id": pk,
            "user_id": user_id,
            "country": country,
            "time_zone": zone,
            "language": language,
            "organization_id": plan.orgs[country][0],
            "may_see_us_only": "U" in clearances,
            "may_see_kr_only": "K" in clearances,
            "may_see_us_kr": "J" in clearances,
            "calendar_token": f"bench-{user_id}",
        }

    for user_id in plan.coordinators["US"]:
        yield row(user_id, "US", "America/New_York", "en", "UJ")
    for user_id in plan.coordinators["KR"]:
        yield row(user_id, "KR", "Asia/Seoul", "ko", "KJ")
    yield row(plan.login_id, "US", "America/New_York", "en", "UKJ")
    for k, user_id in enumerate(plan.owners):
        if k % 2 == 0:
            yield row(user_id, "US", plan.rng.choice(US_ZONES), "en", "UJ")
        else:
            language = "ko" if plan.rng.random() < 0.9 else "en"
            yield row(user_id, "KR", "Asia/Seoul", language, "KJ")


def group_rows(plan: Plan, groups: dict[str, int]) -> Iterator[dict]:
    members = [(u, roles.COORDINATORS) for ids in plan.coordinators.values() for u in ids]
    members += [(plan.login_id, roles.COORDINATORS)] + [(u, roles.OWNERS) for u in plan.owners]
    for pk, (user_id, role) in enumerate(members, start=1):
        yield {"id": pk, "user_id": user_id, "group_id": groups[role]}


def reference_data(plan: Plan) -> None:
    """Organizations (7 U.S., 7 ROK, 2 joint), one source per 1,000 items, five themes each."""
    for n in range(16):
        country = "US" if n < 7 else "KR" if n < 14 else "JOINT"
        coordinators = plan.coordinators["KR" if country == "KR" else "US"]
        org = Organization.objects.create(
            key=f"org-{n:02d}",
            name_en=f"Organization {n}",
            name_ko=f"기관 {n}",
            country=country,
            coordinator_id=coordinators[n % len(coordinators)],
        )
        plan.orgs.setdefault(country, []).append(org.pk)
    for s in range(max(1, plan.size // 1000)):
        date = (plan.now - dt.timedelta(days=1200 + s)).date()
        source = Source.objects.create(
            key=f"report-{s:04d}", title_en=f"Report {s}", title_ko=f"보고서 {s}", date=date
        )
        for t in range(5):
            theme = Theme.objects.create(
                source=source, key=f"theme-{t}", order=t, title_en=f"Theme {t}"
            )
            plan.themes.append((source.pk, theme.pk, date))


# --- Items, timelines, history --------------------------------------------------------------------


def _pick(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_due(plan: Plan, statuses: list[str]) -> None:
    """Exactly 10 % of the items need follow-up, all of them open."""
    open_ids = [i for i, s in enumerate(statuses) if s in OPEN_STATUSES]
    plan.due = set(plan.rng.sample(open_ids, max(1, plan.size // 10)))


def item_row(plan: Plan, i: int, status: str) -> dict:
    rng, now = plan.rng, plan.now
    owner_k = i // 10 % len(plan.owners)
    country = "US" if owner_k % 2 == 0 else "KR"
    source_id, theme_id, source_date = plan.themes[i % len(plan.themes)]
    marking = _pick(rng, {Marking.ALL: 65, Marking.US_KR: 15, "own": 20})
    if marking == "own":
        marking = Marking.US_ONLY if country == "US" else Marking.KR_ONLY
    cadence = rng.choice([7, 14, 14, 14, 30])
    created = now - dt.timedelta(days=rng.uniform(30, 1100))
    row = {
        "id": i + 1,
        "key": f"bench-{i:06d}",
        "source_id": source_id,
        "source_date": source_date,
        "theme_id": theme_id,
        "title_en": sentence(rng, 8),
        "title_ko": f"조치 항목 {i}",
        "summary_en": " ".join(sentence(rng, 12) for _ in range(3)),
        "paragraph": 1 + i % 40,
        "excerpt": sentence(rng, 15),
        "lead_organization_id": rng.choice(plan.orgs[country]),
        "owner_id": plan.owners[owner_k],
        "status": status,
        "priority": _pick(rng, PRIORITY_WEIGHTS),
        "cadence_days": cadence,
        "marking": marking,
        "created_at": created,
        "due_date": None,
    }
    _schedule(plan, row, i, source_date)
    row["updated_at"] = max(row["last_update_at"], created)
    return row


def _schedule(plan: Plan, row: dict, i: int, source_date: dt.date) -> None:
    """Follow-up, due date and snooze: due items in the past, the others safely ahead."""
    rng, now, cadence = plan.rng, plan.now, row["cadence_days"]
    days = dt.timedelta(days=1)
    if i in plan.due:
        follow_up = now - dt.timedelta(hours=rng.uniform(1, 24 * 20))
        roll = rng.random()
        if roll < 0.3:
            row["due_date"] = (now - days * rng.randint(1, 60)).date()
        elif roll < 0.5:
            row["due_date"] = (now + days * rng.randint(1, 7)).date()
        else:
            row["due_date"] = (now + days * rng.randint(60, 700)).date()
    elif row["status"] in OPEN_STATUSES:
        follow_up = now + dt.timedelta(hours=rng.uniform(2, 24 * cadence))
        if rng.random() < 0.8:
            row["due_date"] = (now + days * rng.randint(60, 700)).date()
        if rng.random() < 0.03:
            row["snoozed_until"] = follow_up
    else:
        follow_up = None
        row["due_date"] = (now - days * rng.randint(1, 700)).date()
    if row["due_date"] is not None:
        row["due_date"] = max(row["due_date"], source_date)
    base = follow_up or now - days * rng.uniform(1, 300)
    row["last_update_at"] = max(base - days * cadence, row["created_at"])
    row["next_follow_up_at"] = follow_up


def co_owner(plan: Plan, i: int, row: dict) -> int | None:
    """A second owner for 30 % of the items, cleared for the item's marking."""
    if plan.rng.random() >= 0.3:
        return None
    owner_k = i // 10 % len(plan.owners)
    same_country = row["marking"] in (Marking.US_ONLY, Marking.KR_ONLY)
    for _ in range(10):
        k = plan.rng.randrange(len(plan.owners))
        if k != owner_k and (not same_country or k % 2 == owner_k % 2):
            return plan.owners[k]
    return None


def timeline(plan: Plan, row: dict, first_pk: int) -> list[dict]:
    """One to twelve entries from creation to the last update, ending in the item's status."""
    rng, status = plan.rng, row["status"]
    count = rng.randint(3, 12) if status in CLOSED_STATUSES else rng.randint(1, 9)
    start, end = row["created_at"], row["last_update_at"]
    span = max((end - start).total_seconds(), 60.0)
    times = sorted(start + dt.timedelta(seconds=rng.uniform(0, span)) for _ in range(count - 1))
    times.append(end)
    path = _status_path(status, count)
    entries, previous = [], Status.NOT_STARTED
    for n, (when, to) in enumerate(zip(times, path, strict=True)):
        kind = (
            UpdateKind.STATUS
            if to != previous
            else rng.choice([UpdateKind.NOTE, UpdateKind.NOTE, UpdateKind.ON_TRACK])
        )
        entries.append(
            {
                "id": first_pk + n,
                "item_id": row["id"],
                "author_id": row["owner_id"],
                "created_at": when,
                "kind": kind,
                "from_status": previous,
                "to_status": to,
                "note": sentence(rng, rng.randint(6, 30)),
            }
        )
        previous = to
    return entries


def _status_path(final: str, count: int) -> list[str]:
    """Statuses after each entry: started early, the final status reached at the last entry."""
    if final == Status.NOT_STARTED:
        return [Status.NOT_STARTED] * count
    if count == 1:
        return [final]
    middle = [Status.IN_PROGRESS] * (count - 1)
    return middle + [final] if final != Status.IN_PROGRESS else middle + [Status.IN_PROGRESS]


def history_row(row: dict, pk: int) -> dict:
    return {**row, "history_id": pk, "history_date": row["created_at"], "history_type": "+"}


def past_digests(plan: Plan, owned: dict[int, list[int]]) -> tuple[list[dict], list[dict]]:
    """Six sent digests per owner, a week apart, each naming one to three of their items."""
    reminders, entries = [], []
    for user_id in plan.owners:
        items = owned.get(user_id, [])
        for week in range(1, PAST_DIGESTS_PER_OWNER + 1):
            if not items:
                break
            sent = plan.now - dt.timedelta(days=7 * week, hours=plan.rng.uniform(0, 6))
            pk = len(reminders) + 1
            reminders.append(
                {
                    "id": pk,
                    "recipient_id": user_id,
                    "local_date": sent.date(),
                    "state": "sent",
                    "created_at": sent,
                    "claimed_at": sent,
                    "attempts": 1,
                    "sent_at": sent,
                    "message_id": f"<bench-{pk}@bench.example.org>",
                }
            )
            for item_id in plan.rng.sample(items, min(len(items), plan.rng.randint(1, 3))):
                entries.append(
                    {
                        "id": len(entries) + 1,
                        "reminder_id": pk,
                        "item_id": item_id,
                        "kind": "follow_up",
                    }
                )
    return reminders, entries


def build(*, size: int, now: dt.datetime, owners: int = 0, seed: int = 8) -> dict:
    """Fill the (migrated, empty) database with a data set of `size` items; returns counts.
    `owners`: how many owners share the items (0: one per 10 items)."""
    plan = Plan(size=size, now=now, rng=random.Random(seed), owner_count=owners)
    counts: dict[str, int] = {}
    users = list(users_rows(plan))
    counts["users"] = copy_rows(User, users)
    reference_data(plan)
    copy_rows(Profile, profile_rows(plan))
    groups = dict(Group.objects.values_list("name", "id"))
    copy_rows(User.groups.through, group_rows(plan, groups))
    statuses = [_pick(plan.rng, STATUS_WEIGHTS) for _ in range(size)]
    plan_due(plan, statuses)
    items = [item_row(plan, i, status) for i, status in enumerate(statuses)]
    counts["items"] = copy_rows(ActionItem, items)
    counts["due_items"] = len(plan.due)
    co_pairs = [(row["id"], co_owner(plan, i, row)) for i, row in enumerate(items)]
    co_rows = [
        {"id": n + 1, "actionitem_id": item_id, "user_id": user_id}
        for n, (item_id, user_id) in enumerate(p for p in co_pairs if p[1])
    ]
    counts["co_owners"] = copy_rows(ActionItem.co_owners.through, co_rows)
    all_orgs = [pk for ids in plan.orgs.values() for pk in ids]
    partners = (
        {"actionitem_id": row["id"], "organization_id": org}
        for row in items
        for org in plan.rng.sample(all_orgs, plan.rng.randint(0, 2))
    )
    counts["partners"] = copy_rows(
        ActionItem.partner_organizations.through,
        ({"id": n + 1, **p} for n, p in enumerate(partners)),
    )
    counts["updates"] = copy_rows(StatusUpdate, _timelines(plan, items))
    counts["history"] = copy_rows(
        ActionItem.history.model, (history_row(row, n + 1) for n, row in enumerate(items))
    )
    owned: dict[int, list[int]] = {}
    for row in items:
        owned.setdefault(row["owner_id"], []).append(row["id"])
    reminders, entries = past_digests(plan, owned)
    counts["past_digests"] = copy_rows(Reminder, reminders)
    copy_rows(ReminderItem, entries)
    reset_sequences(
        User,
        Profile,
        User.groups.through,
        ActionItem,
        ActionItem.co_owners.through,
        ActionItem.partner_organizations.through,
        StatusUpdate,
        ActionItem.history.model,
        Reminder,
        ReminderItem,
    )
    return counts


def _timelines(plan: Plan, items: list[dict]) -> Iterator[dict]:
    next_pk = 1
    for row in items:
        entries = timeline(plan, row, next_pk)
        next_pk += len(entries)
        yield from entries


def analyze() -> None:
    """What autovacuum would have done on a database that grew over years: fresh statistics."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--now", required=True, help="ISO time the data set is built around")
    parser.add_argument("--owners", type=int, default=0, help="owners (0: one per 10 items)")
    args = parser.parse_args()
    started = time.perf_counter()
    counts = build(size=args.size, now=dt.datetime.fromisoformat(args.now), owners=args.owners)
    analyze()
    emit({"counts": counts, "seconds": round(time.perf_counter() - started, 1)})


if __name__ == "__main__":
    main()

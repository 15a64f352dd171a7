"""One round of the fault run: fresh owners with items due, one fault at a random moment, then the
count of what the SMTP sink accepted for each of them.

The evidence for a duplicate "explained by the window" is taken right after the fault: the rows
still pending at that moment whose message the sink had already accepted. Only a worker killed or
stopped, or the database going away, can leave a row there (the SMTP server said 250, the mark
"sent" never committed); when such a row is sent again after the pending timeout, that second
copy is the one duplicate the design allows. Every other extra copy is unexplained.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import time
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from bench.fault_cluster import (
    Cluster,
    ensure_postgres,
    ensure_redis,
    postgres,
    stop_redis,
    with_database,
)
from tracker.models import (
    ActionItem,
    Country,
    Marking,
    Organization,
    Profile,
    Reminder,
    ReminderState,
    Source,
    SweepRun,
    Theme,
)

KINDS = [
    "worker_kill",
    "worker_term",
    "redis_restart",
    "smtp_451_third",
    "smtp_550_one",
    "smtp_hang",
    "two_beats",
    "db_restart",
]
WINDOW_KINDS = {"worker_kill", "worker_term", "db_restart"}  # can cut between 250 and commit
PREFIX = "fault-"
ZONES = [
    ("America/New_York", Country.US, "en"),
    ("America/Los_Angeles", Country.US, "en"),
    ("Pacific/Honolulu", Country.US, "en"),
    ("Asia/Seoul", Country.KR, "ko"),
    ("Asia/Seoul", Country.KR, "en"),
    ("Europe/London", Country.JOINT, "en"),
]
TERMINAL = {ReminderState.SENT, ReminderState.FAILED, ReminderState.SKIPPED}
SMTP_FAULT_SECONDS = (4.0, 8.0)  # how long 451s or a hang last; longer than EMAIL_TIMEOUT
OUTAGE_SECONDS = (1.0, 3.0)  # Redis or PostgreSQL down for this long
PROGRESS_WAIT_SECONDS = 60  # for the random moment (so many messages accepted)
SETTLE_SECONDS = 120  # after the fault, for every row to end sent, failed or skipped
GRACE_SECONDS = 1.0
JITTER_SECONDS = 0.3  # a few sends' worth  # after settling, for a late copy to show up


# --- The round's people and items -----------------------------------------------------------------


@dataclass
class RoundData:
    number: int
    prefix: str
    addresses: dict[str, int]  # address -> user id

    @property
    def user_ids(self) -> list[int]:
        return list(self.addresses.values())


def _fixtures() -> tuple[Source, Theme, Organization]:
    source, _c = Source.objects.get_or_create(
        key="fault-run", defaults={"title_en": "Fault run", "date": dt.date(2020, 1, 1)}
    )
    theme, _c = Theme.objects.get_or_create(source=source, key="fault-run", title_en="Fault run")
    org, _c = Organization.objects.get_or_create(
        key="fault-run", defaults={"name_en": "Fault run office", "country": Country.US}
    )
    return source, theme, org


def _zones(now: dt.datetime) -> list[tuple[str, str, str]]:
    """The zones whose local day does not end within the next 30 minutes.

    A digest not sent by the end of the recipient's local day is skipped (its window closed), a
    correct outcome that this run must not mistake for a lost reminder.
    """

    def far_from_midnight(name: str) -> bool:
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        return local.hour * 60 + local.minute < 23 * 60 + 30

    return [zone for zone in ZONES if far_from_midnight(zone[0])]


def _users(prefix: str, size: int, zones: list, rng: random.Random) -> list[User]:
    unusable = make_password(None)
    users = User.objects.bulk_create(
        User(username=f"{prefix}{i:03d}", email=f"{prefix}{i:03d}@example.org", password=unusable)
        for i in range(size)
    )
    picks = [rng.choice(zones) for _ in users]
    Profile.objects.bulk_create(
        Profile(user=user, time_zone=zone, country=country, language=language)
        for user, (zone, country, language) in zip(users, picks, strict=True)
    )
    return users


def _items(prefix: str, users: list[User], now: dt.datetime, rng: random.Random) -> None:
    """One overdue item each; a quarter also get one due tomorrow; a tenth share one."""
    source, theme, org = _fixtures()
    today = now.date()

    def item(key: str, owner: User, due: dt.date) -> ActionItem:
        return ActionItem(
            key=key, source=source, source_date=source.date, theme=theme, paragraph=1,
            title_en=f"Action {key}", title_ko=f"조치 {key}", excerpt="An excerpt.",
            lead_organization=org, owner=owner, due_date=due, marking=Marking.ALL,
            next_follow_up_at=now + dt.timedelta(days=14),
        )  # fmt: skip

    items = [item(f"{prefix}{i:03d}", u, today - dt.timedelta(days=rng.randint(1, 40)))
             for i, u in enumerate(users)]  # fmt: skip
    items += [item(f"{prefix}{i:03d}-soon", u, today + dt.timedelta(days=1))
              for i, u in enumerate(users) if rng.random() < 0.25]  # fmt: skip
    items = ActionItem.objects.bulk_create(items)
    through = ActionItem.co_owners.through
    through.objects.bulk_create(
        through(actionitem_id=it.pk, user_id=rng.choice(users).pk)
        for it in items
        if rng.random() < 0.1
    )


def create_round(*, tag: str, number: int, size: int, rng: random.Random) -> RoundData:
    """`size` owners with items due, committed at once, so one sweep sees all of them."""
    prefix = f"{PREFIX}{tag}-r{number:02d}-"
    now = timezone.now()
    with transaction.atomic():
        users = _users(prefix, size, _zones(now), rng)
        _items(prefix, users, now, rng)
    return RoundData(number=number, prefix=prefix, addresses={u.email: u.pk for u in users})


def delete_fault_data(prefix: str = PREFIX) -> None:
    """The rows a round (or an earlier run, by default) made; reminders go with their users."""
    ActionItem.objects.filter(key__startswith=prefix).delete()
    User.objects.filter(username__startswith=prefix).delete()
    SweepRun.objects.all().delete()


# --- Faults ---------------------------------------------------------------------------------------


@dataclass
class Evidence:
    window: set[int] = field(default_factory=set)  # reminder ids accepted, then cut before commit
    refused: str | None = None
    note: str = ""


def _pending_ids(data: RoundData) -> set[int]:
    rows = Reminder.objects.filter(recipient_id__in=data.user_ids, state=ReminderState.PENDING)
    return set(rows.values_list("pk", flat=True))


def _accepted_ids(cluster: Cluster, before: float) -> set[int]:
    return {
        int(message["X-Tracker-Reminder"])
        for when, message in cluster.sink.accepted()
        if when <= before and message["X-Tracker-Reminder"]
    }


def _worker_signal(cluster: Cluster, data: RoundData, sig: int) -> Evidence:
    cluster.kill_worker(sig)
    # The worker is gone: nothing can mark a row now, so the snapshot is exact.
    cut = time.time()
    window = _pending_ids(data) & _accepted_ids(cluster, cut)
    cluster.start_worker()
    return Evidence(window=window, note=f"{len(window)} row(s) accepted, not marked")


def _db_restart(cluster: Cluster, data: RoundData, rng: random.Random) -> Evidence:
    try:
        postgres("stop")
        time.sleep(rng.uniform(*OUTAGE_SECONDS))
    finally:
        back = time.time()  # nothing accepted after this can have straddled the outage
        ensure_postgres()
    window = with_database(lambda: _pending_ids(data)) & _accepted_ids(cluster, back)
    return Evidence(window=window, note=f"{len(window)} row(s) accepted, not marked")


def _redis_restart(rng: random.Random) -> Evidence:
    try:
        stop_redis()
        time.sleep(rng.uniform(*OUTAGE_SECONDS))
    finally:
        ensure_redis()
    return Evidence()


def _smtp_for_a_while(cluster: Cluster, kind: str, rng: random.Random) -> Evidence:
    seconds = rng.uniform(*SMTP_FAULT_SECONDS)
    if kind == "smtp_451_third":
        cluster.sink.fail_every(3, "451 4.3.0 Mailbox busy, try again later")
    else:
        cluster.sink.stall_data()
    try:
        time.sleep(seconds)
    finally:
        cluster.sink.fail_every(None)
        cluster.sink.release()
    return Evidence(note=f"{seconds:.1f} s")


def inject(kind: str, cluster: Cluster, data: RoundData, rng: random.Random) -> Evidence:
    if kind == "worker_kill":
        return _worker_signal(cluster, data, signal.SIGKILL)
    if kind == "worker_term":
        return _worker_signal(cluster, data, signal.SIGTERM)
    if kind == "db_restart":
        return _db_restart(cluster, data, rng)
    if kind == "redis_restart":
        return _redis_restart(rng)
    if kind in ("smtp_451_third", "smtp_hang"):
        return _smtp_for_a_while(cluster, kind, rng)
    if kind == "smtp_550_one":
        candidates = rng.sample(sorted(data.addresses), len(data.addresses))
        refused = cluster.sink.refuse_first_unseen(candidates)
        return Evidence(refused=refused, note=f"refused {refused}")
    if kind == "two_beats":
        return Evidence(note="second beat ran from before the owners were created")
    raise ValueError(kind)


# --- Waiting --------------------------------------------------------------------------------------


def wait_for_progress(cluster: Cluster, target: int, rng: random.Random) -> None:
    """Until the sink has accepted `target` messages, bounded, then a random fraction of a second.

    Without the jitter the fault would come right after an acceptance, inside the window between
    the SMTP server's 250 and the commit far more often than chance.
    """
    deadline = time.monotonic() + PROGRESS_WAIT_SECONDS
    while len(cluster.sink.messages) < target and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(rng.uniform(0, JITTER_SECONDS))


def _settled(data: RoundData) -> bool:
    states = Reminder.objects.filter(recipient_id__in=data.user_ids).values_list("state", flat=True)
    states = list(states)
    return len(states) == len(data.addresses) and all(s in TERMINAL for s in states)


def wait_settled(cluster: Cluster, data: RoundData) -> bool:
    """Until every recipient's row is sent, failed or skipped; False at the time limit."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        if with_database(lambda: _settled(data)):
            time.sleep(GRACE_SECONDS)
            return True
        cluster.check_alive()
        time.sleep(0.25)
    return False


# --- Counting -------------------------------------------------------------------------------------


@dataclass
class RoundResult:
    number: int
    kind: str
    seconds: float = 0.0
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    in_window: int = 0
    refused_ok: int = 0
    refused_wrong: int = 0
    unsettled: int = 0
    lost_who: list[str] = field(default_factory=list)
    unexplained_who: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def unexplained(self) -> int:
        return self.duplicated - self.in_window


def _copies(cluster: Cluster, data: RoundData) -> dict[str, list]:
    by_address = defaultdict(list)
    for _when, message in cluster.sink.accepted():
        address = str(message["To"]).strip().lower()
        if address in data.addresses:
            by_address[address].append(message)
    return by_address


def _count_recipient(result: RoundResult, copies: list, row, window: set[int], who: str) -> None:
    result.expected += 1
    if not copies:
        result.lost += 1
        result.lost_who.append(f"{who} ({row['state'] if row else 'no row'})")
        return
    result.delivered += 1
    extra = len(copies) - 1
    same_row = row is not None and all(m["Message-ID"] == row["message_id"] for m in copies)
    explained = min(extra, 1) if same_row and row["pk"] in window else 0
    result.duplicated += extra
    result.in_window += explained
    if extra > explained:
        result.unexplained_who.append(f"{who} x{len(copies)}")


def count_round(*, cluster: Cluster, data: RoundData, kind: str, evidence: Evidence) -> RoundResult:
    """Per recipient: how many copies the sink accepted, set against the row and the evidence."""
    result = RoundResult(number=data.number, kind=kind, note=evidence.note)
    rows = {
        r["recipient_id"]: r
        for r in Reminder.objects.filter(recipient_id__in=data.user_ids).values(
            "pk", "recipient_id", "state", "message_id"
        )
    }
    copies = _copies(cluster, data)
    for address, user_id in data.addresses.items():
        row = rows.get(user_id)
        result.unsettled += row is None or row["state"] not in TERMINAL
        if address == evidence.refused:
            failed = row is not None and row["state"] == ReminderState.FAILED
            ok = failed and not copies.get(address)
            result.refused_ok += ok
            result.refused_wrong += not ok
            continue
        _count_recipient(result, copies.get(address, []), row, evidence.window, address)
    return result

"""The fault run's table: per fault kind and in total, printed and written as Markdown."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from bench.fault_rounds import KINDS, RoundResult

COLUMNS = [
    ("fault", "fault"),
    ("rounds", "rounds"),
    ("expected", "expected"),
    ("delivered", "delivered"),
    ("lost", "lost"),
    ("duplicated", "duplicated"),
    ("in_window", "dup: window"),
    ("unexplained", "dup: unexplained"),
    ("refused_ok", "refused (correct)"),
    ("slowest", "slowest round (s)"),
]

DEFINITIONS = """\
- expected: recipients who should get a digest (200 fresh owners a round with items due; in a
  `smtp_550_one` round the refused owner is not expected: see refused).
- delivered: expected recipients of whom the SMTP sink accepted at least one digest.
- lost: expected recipients with no accepted digest once every row had ended sent, failed or
  skipped (or the round's time limit passed). Goal: 0.
- duplicated: accepted copies beyond the first, per recipient.
- dup: window: duplicates with evidence that they come from the unavoidable window between the
  SMTP server's acceptance and the database commit: the first copy was accepted while the row was
  pending, the fault (worker SIGKILL or SIGTERM, or the database restart) came after that
  acceptance, the row was still pending once the fault was over (snapshot right after it), and
  every copy carries that row's Message-ID. At most one extra copy per such row.
- dup: unexplained: every other duplicate. Goal: 0.
- refused (correct): the owner whose address the sink answered 550 ended `failed`, with no copy
  accepted (one a `smtp_550_one` round).
- slowest round: from creating the owners to the last row settled, fault and recovery included
  (a row cut off by a fault waits for the 12 s pending timeout and the next sweep)."""

FAULTS = """\
- worker_kill: SIGKILL to the worker's whole process group, then a new worker.
- worker_term: SIGTERM to the worker's main process (warm shutdown), then a new worker.
- redis_restart: `redis-cli shutdown nosave` (queued tasks are gone), down 1-3 s, started again.
- smtp_451_third: the sink answers every third DATA with 451 for 4-8 s.
- smtp_550_one: the sink answers RCPT for one owner not yet offered with 550 for the round.
- smtp_hang: the sink holds every DATA unanswered for 4-8 s (EMAIL_TIMEOUT is 3 s); a held
  message is not delivered (a server that delivers after its client gave up would cause a
  duplicate that no client can prevent).
- two_beats: a second beat runs from before the owners are created until the round ends.
- db_restart: PostgreSQL stopped (fast: sessions cut), down 1-3 s, started again.
The moment: when the sink has accepted a random share (0-80 %) of the round's digests, plus a
random 0-0.3 s (a few sends), so the fault falls anywhere in a send, not just after a 250."""


@dataclass
class Totals:
    fault: str
    rounds: int = 0
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    in_window: int = 0
    unexplained: int = 0
    refused_ok: int = 0
    refused_wrong: int = 0
    unsettled: int = 0
    slowest: float = 0.0

    def add(self, r: RoundResult) -> None:
        self.rounds += 1
        for name in ("expected", "delivered", "lost", "duplicated", "in_window", "unexplained",
                     "refused_ok", "refused_wrong", "unsettled"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(r, name))
        self.slowest = max(self.slowest, r.seconds)


@dataclass
class Tally:
    results: list[RoundResult] = field(default_factory=list)

    def add(self, result: RoundResult) -> None:
        self.results.append(result)

    def rows(self) -> list[Totals]:
        by_kind = {kind: Totals(kind) for kind in KINDS}
        total = Totals("total")
        for r in self.results:
            by_kind[r.kind].add(r)
            total.add(r)
        return [t for t in by_kind.values() if t.rounds] + [total]

    @property
    def total(self) -> Totals:
        return self.rows()[-1]

    def passed(self) -> bool:
        t = self.total
        return t.lost == 0 and t.unexplained == 0 and t.refused_wrong == 0


def table(tally: Tally) -> str:
    """A Markdown table (it reads well in a terminal too)."""
    header = [title for _name, title in COLUMNS]

    def cell(value) -> str:
        return f"{value:.1f}" if isinstance(value, float) else str(value)

    lines = [header] + [[cell(getattr(t, name)) for name, _t in COLUMNS] for t in tally.rows()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in lines[1:])])


def problems(tally: Tally) -> list[str]:
    """One line per round that lost, duplicated without evidence, or mishandled a refusal."""
    out = []
    for r in tally.results:
        if r.lost_who:
            out.append(f"round {r.number} {r.kind}: lost {', '.join(r.lost_who[:10])}")
        if r.unexplained_who:
            out.append(f"round {r.number} {r.kind}: unexplained {', '.join(r.unexplained_who)}")
        if r.refused_wrong:
            out.append(f"round {r.number} {r.kind}: the refused owner did not end failed")
        if r.unsettled:
            out.append(f"round {r.number} {r.kind}: {r.unsettled} row(s) never settled")
    return out


def _version(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def machine() -> str:
    cpu = "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines()
                 if ln.startswith("model name")]  # fmt: skip
        cpu = names[0] if names else cpu
    return (
        f"{platform.node()}: {os.cpu_count()} CPU ({cpu}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; "
        f"{_version('psql', '--version')}; {_version('redis-server', '--version')}"
    )


def markdown(*, tally: Tally, command: str, seed: int, minutes: float, notes: list[str]) -> str:
    verdict = "PASS" if tally.passed() else "FAIL"
    lines = [
        "# Fault run: reminders under faults",
        "",
        f"- machine: {machine()}",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- command: `{command}` (seed {seed}); {len(tally.results)} rounds in {minutes:.1f} min",
        f"- result: **{verdict}** (lost = {tally.total.lost}, "
        f"unexplained duplicates = {tally.total.unexplained})",
        "",
        table(tally),
        "",
        "Definitions:",
        "",
        DEFINITIONS,
        "",
        "Faults (one a round, at a random moment):",
        "",
        FAULTS,
    ]
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"

"""The results table: one row per measurement, each beside its floor, its ratio and its goal."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path


@dataclass
class Row:
    measure: str
    size: str
    ours: str
    floor: str
    ratio: str
    goal: str
    met: bool | None  # None: shown for reference, no goal of its own

    def cells(self) -> list[str]:
        met = "—" if self.met is None else "yes" if self.met else "**NO**"
        return [self.measure, self.size, self.ours, self.floor, self.ratio, self.goal, met]


HEADER = ["measurement", "size (items)", "ours", "floor", "ratio", "goal", "met?"]


def table(rows: list[Row]) -> str:
    lines = [HEADER] + [row.cells() for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADER))]

    def fmt(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([fmt(HEADER), rule, *(fmt(c) for c in lines[1:])])


def _first_line(command: list[str]) -> str:
    if not shutil.which(command[0]):
        return "not installed"
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        kib = int(info.readline().split()[1])
    return {
        "CPU": f"{os.cpu_count()} × {cpu}",
        "memory": f"{kib / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
    }


def versions(postgres: str) -> dict[str, str]:
    return {
        "Python": platform.python_version(),
        "Django": version("django"),
        "PostgreSQL": postgres,
        "Redis": _first_line(["redis-server", "--version"]).split(" v=")[-1].split()[0],
        "Celery": version("celery"),
        "gunicorn": version("gunicorn"),
        "psycopg": version("psycopg"),
        "wrk": _first_line(["wrk", "--version"]).split(" [")[0],
    }


def document(
    *, rows: list[Row], postgres: str, command: str, seconds: float, notes: list[str]
) -> str:
    facts = {
        **machine(),
        **versions(postgres),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": f"`{command}`",
        "whole run": f"{seconds / 60:.1f} min",
    }
    head = "\n".join(f"- {k}: {v}" for k, v in facts.items())
    missed = [r for r in rows if r.met is False]
    verdict = (
        "Every goal met."
        if not missed
        else "Goals missed: " + "; ".join(f"{r.measure} at {r.size}" for r in missed) + "."
    )
    body = "\n".join(f"- {n}" for n in notes)
    return (
        "# Benchmarks: reminder sweep, delivery and pages, each beside its floor\n\n"
        "Written by `make bench` (bench/run.py); do not edit by hand.\n\n"
        f"{head}\n\n{table(rows)}\n\n{verdict}\n\n## How each figure is taken\n\n{body}\n"
    )


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")

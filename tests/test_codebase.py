"""The tracker stays readable for the next maintainer: small files and functions, plain Django
(no database-driver calls or hand-written SQL outside migrations), layers that hold."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TRACKER = ROOT / "tracker"
MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 40
# Driver calls and raw SQL: libpq through psycopg, session-prepared statements, commit tuning,
# statements written by hand. The ORM and Django's own APIs do all of this.
FORBIDDEN = re.compile(r"pgconn|\bPREPARE\b|synchronous_commit|cursor\.execute|\.raw\(|RawSQL")


def sources() -> list[Path]:
    return sorted(p for p in TRACKER.rglob("*.py") if "migrations" not in p.parts)


def test_no_file_in_the_tracker_is_over_400_lines():
    big = {
        str(p.relative_to(ROOT)): n
        for p in sources()
        if (n := p.read_text(encoding="utf-8").count("\n")) > MAX_FILE_LINES
    }
    assert big == {}


def _function_sizes(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name}", node.end_lineno - start + 1


def test_no_function_in_the_tracker_is_over_40_lines():
    long = {name: n for p in sources() for name, n in _function_sizes(p) if n > MAX_FUNCTION_LINES}
    assert long == {}


def test_the_tracker_makes_no_driver_calls_and_writes_no_sql_outside_migrations():
    found = {
        f"{p.relative_to(ROOT)}:{n}": line.strip()
        for p in sources()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    }
    assert found == {}


@pytest.mark.parametrize("bad", ["cursor.execute('SELECT 1')", "conn.pgconn.flush()"])
def test_the_driver_call_check_would_see_one(bad):
    assert FORBIDDEN.search(bad)


def test_interfaces_call_rules_and_rules_use_models_never_back():
    """import-linter's contracts in pyproject.toml: the layers, and no import circles."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

"""PostgreSQL databases for the data sets: one migrated template, one copy of it per size."""

from __future__ import annotations

import subprocess
import sys

import psycopg
from psycopg import sql

from .env import ADMIN_DB, PG, ROOT, TEMPLATE_DB, database_name, stage_env


def _admin() -> psycopg.Connection:
    return psycopg.connect(f"{PG}/{ADMIN_DB}", autocommit=True)


def drop(name: str) -> None:
    with _admin() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def exists(name: str) -> bool:
    with _admin() as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def make_template() -> None:
    """A fresh database with every migration applied, copied for each size."""
    drop(TEMPLATE_DB)
    with _admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=stage_env(None),
        check=True,
    )


def copy_template(size: int) -> None:
    name = database_name(size)
    drop(name)
    with _admin() as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE_DB)
            )
        )


def server_version() -> str:
    with _admin() as conn:
        return conn.execute("SHOW server_version").fetchone()[0]

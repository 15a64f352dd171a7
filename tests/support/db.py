"""Helpers for tests that flush the database (transactional tests with real worker processes)."""

import threading
from collections.abc import Callable

from django.contrib.auth.models import Group, Permission
from django.db import connection

from tracker.roles import ROLE_PERMISSIONS


def restore_role_groups() -> None:
    """Recreate the role groups the roles migration made; a flush between tests drops them.

    (Permissions and content types come back by themselves: the flush re-runs post_migrate.)
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        group.permissions.set(perms)


def at_once(work: Callable[[threading.Barrier], None], *, threads: int = 2) -> None:
    """Run `work(barrier)` in `threads` threads, each with its own database connection; `work`
    waits on the barrier where the threads should race. Returns when all have ended."""
    barrier = threading.Barrier(threads)

    def run() -> None:
        try:
            work(barrier)
        finally:
            connection.close()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join(timeout=30)

"""Helpers for tests that flush the database (transactional tests with real worker processes)."""

from django.contrib.auth.models import Group, Permission

from tracker.roles import ROLE_PERMISSIONS


def restore_role_groups() -> None:
    """Recreate the role groups the roles migration made; a flush between tests drops them.

    (Permissions and content types come back by themselves: the flush re-runs post_migrate.)
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="tracker", codename__in=codenames)
        group.permissions.set(perms)

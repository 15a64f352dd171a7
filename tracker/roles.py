"""The three roles, as groups with their permissions. Created by a migration; kept here so the
migration, the demo and tests share one definition."""

from django.db.models import Q

COORDINATORS = "Coordinators"
OWNERS = "Owners"
READERS = "Readers"

_VIEW = [
    "view_source",
    "view_theme",
    "view_organization",
    "view_actionitem",
    "view_statusupdate",
    "view_forum",
    "view_meeting",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    COORDINATORS: [
        *_VIEW,
        "manage_items",
        "add_actionitem",
        "change_actionitem",
        "delete_actionitem",
        "add_statusupdate",
        "add_source",
        "change_source",
        "add_theme",
        "change_theme",
        "add_organization",
        "change_organization",
        "view_reminder",
        "view_reminderitem",
        "view_profile",
        "add_forum",
        "change_forum",
        "add_meeting",
        "change_meeting",
        "view_agendaentry",
        "add_agendaentry",
        "change_agendaentry",
        "delete_agendaentry",
        "view_outcome",
        "view_snapshot",
    ],
    # Owners edit only the items they own (the admin narrows change_actionitem to those).
    OWNERS: [*_VIEW, "change_actionitem", "add_statusupdate", "view_reminder"],
    READERS: list(_VIEW),
}

# Permissions of other apps, as "app_label.codename". Coordinators pick owners through the admin's
# user autocomplete, which Django allows only to those who may view users.
OTHER_APP_PERMISSIONS: dict[str, list[str]] = {
    COORDINATORS: ["auth.view_user"],
}


def permission_filter(role: str) -> Q:
    """Which Permission rows `role` holds: a filter for the migration that applies them."""
    query = Q(content_type__app_label="tracker", codename__in=ROLE_PERMISSIONS[role])
    for qualified in OTHER_APP_PERMISSIONS.get(role, []):
        app_label, codename = qualified.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def is_coordinator(user) -> bool:
    """Whether `user` is a coordinator: holds manage_items (through the group, or a superuser)."""
    return bool(user and user.is_authenticated and user.has_perm("tracker.manage_items"))

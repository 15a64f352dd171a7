"""The authentication backend: Django's model backend, with the profile read with the user."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tracker import roles, workflow
from tracker.auth_backend import ProfileBackend


def fresh(user):
    """The user as the next request loads them (no permissions remembered)."""
    return ProfileBackend().get_user(user.pk)


def test_a_request_loads_the_user_with_their_profile_in_one_query(db, user_factory):
    user = user_factory(time_zone="Asia/Seoul")
    with CaptureQueriesContext(connection) as queries:
        loaded = fresh(user)
        assert loaded.profile.time_zone == "Asia/Seoul"
    assert len(queries) == 1


def test_a_user_without_a_profile_or_no_longer_active_is_handled(db, django_user_model):
    user = django_user_model.objects.create_user("bare", password="correct-horse-battery")
    assert getattr(fresh(user), "profile", None) is None
    user.is_active = False
    user.save()
    assert fresh(user) is None


def test_a_coordinators_rights_come_from_the_group(db, user_factory):
    loaded = fresh(user_factory(role=roles.COORDINATORS))
    assert workflow.is_coordinator(loaded)
    assert loaded.has_perm("tracker.change_actionitem")
    assert not loaded.has_perm("tracker.delete_reminder")


def test_rights_granted_to_the_user_count_and_leaving_the_group_takes_them_away(db, user_factory):
    user = user_factory(role=roles.READERS)
    assert not workflow.is_coordinator(fresh(user))
    user.user_permissions.add(Permission.objects.get(codename="manage_items"))
    assert workflow.is_coordinator(fresh(user))
    user.user_permissions.clear()
    user.groups.add(Group.objects.get(name=roles.COORDINATORS))
    assert workflow.is_coordinator(fresh(user))
    user.groups.clear()
    assert not workflow.is_coordinator(fresh(user))


def test_the_backend_agrees_with_djangos_on_every_role(db, user_factory):
    users = [user_factory(role=role) for role in roles.ROLE_PERMISSIONS]
    for user in [*users, user_factory(role=None, superuser=True)]:
        assert ProfileBackend().get_all_permissions(fresh(user)) == (
            ModelBackend().get_all_permissions(fresh(user))
        )

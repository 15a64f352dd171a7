"""Who sees what: the decision as a table of users by markings; the queryset agrees."""

import pytest

from tracker import roles
from tracker.models import Marking
from tracker.releasability import can_see, visible_items

US = ("us-only", "us-kr")
KR = ("kr-only", "us-kr")
USERS = {
    "us_cleared": dict(country="US", clearances=US),
    "kr_cleared": dict(country="KR", clearances=KR),
    "us_uncleared": dict(country="US", clearances=()),
    "kr_uncleared": dict(country="KR", clearances=()),
    "bilateral_only": dict(country="US", clearances=("us-kr",)),
    "superuser": dict(superuser=True),
}
# user -> the markings they see (besides "unknown", which only a superuser sees)
EXPECTED = {
    "us_cleared": {"all", "us-only", "us-kr"},
    "kr_cleared": {"all", "kr-only", "us-kr"},
    "us_uncleared": {"all"},
    "kr_uncleared": {"all"},
    "bilateral_only": {"all", "us-kr"},
    "superuser": {"all", "us-only", "kr-only", "us-kr", "secret-unknown"},
}
MARKINGS = [*Marking.values, "secret-unknown"]


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize("marking", MARKINGS)
def test_the_decision_table(user_factory, item_factory, who, marking):
    user = user_factory(role=roles.READERS, **USERS[who])
    item = item_factory(marking=marking)
    assert can_see(user, item) is (marking in EXPECTED[who])


@pytest.mark.parametrize("who", USERS)
def test_the_queryset_filter_agrees_with_the_function(user_factory, item_factory, who):
    user = user_factory(role=roles.READERS, **USERS[who])
    items = [item_factory(marking=m) for m in MARKINGS]
    visible = set(visible_items(user))
    assert visible == {i for i in items if can_see(user, i)}


def test_an_anonymous_or_inactive_user_sees_nothing(item_factory, user_factory):
    from django.contrib.auth.models import AnonymousUser

    item = item_factory(marking="all")
    inactive = user_factory()
    inactive.is_active = False
    assert not can_see(AnonymousUser(), item)
    assert not can_see(inactive, item)
    assert not visible_items(AnonymousUser()).exists()


def test_a_user_without_a_profile_sees_only_releasable_to_all(item_factory, django_user_model):
    user = django_user_model.objects.create_user("noprofile", password="x" * 12)
    item_factory(marking="all")
    item_factory(marking="us-kr")
    assert set(visible_items(user).values_list("marking", flat=True)) == {"all"}

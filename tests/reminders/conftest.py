import pytest

from tracker import roles


@pytest.fixture
def owner(user_factory):
    return user_factory("ny-owner", role=roles.OWNERS, time_zone="America/New_York")


@pytest.fixture
def kr_owner(user_factory):
    return user_factory(
        "seoul-owner", role=roles.OWNERS, country="KR", time_zone="Asia/Seoul", language="ko"
    )


@pytest.fixture
def coordinator(user_factory):
    return user_factory("coord", role=roles.COORDINATORS, clearances=("us-only", "kr-only"))

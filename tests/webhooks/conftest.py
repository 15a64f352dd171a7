"""Webhook fixtures: a real receiver on loopback, a coordinator and their endpoints."""

from __future__ import annotations

import pytest

from tests.conftest import US_CLEARANCES
from tests.support.receiver import Receiver
from tracker import roles
from tracker.models import Audience, EventType
from tracker.webhooks.endpoints import register_endpoint


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def coordinator(user_factory):
    return user_factory("us-coordinator", role=roles.COORDINATORS, clearances=US_CLEARANCES)


@pytest.fixture
def endpoint_factory(coordinator, receiver, now):
    def make(*, path: str = "/hook", events=None, audience: str = Audience.US, owner=None):
        return register_endpoint(
            owner=owner or coordinator,
            url=receiver.url(path),
            events=list(events or EventType.values),
            audience=audience,
            now=now,
        )

    return make

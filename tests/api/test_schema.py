"""Schemathesis against the served OpenAPI schema, through the WSGI application: property tests
of every operation and stateful sequences (links inferred from the responses), as a reader, an
owner and a coordinator. No answer may be a server error, or break the schema: status codes,
content types, headers and bodies are all as the schema says.

A few minutes at most: a bounded number of examples per operation, derandomized so a run is
the same run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.api.conftest import token_for
from tests.conftest import NOW, US_CLEARANCES
from tracker import roles, workflow
from tracker.models import Marking, Reminder, ReminderItem, ReminderKind, Status

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ROLES = ("reader", "owner", "coordinator")
EXAMPLES = 25


@dataclass
class ApiWorld:
    headers: dict[str, dict[str, str]]


@pytest.fixture
def api_world(db, user_factory, item_factory, settings) -> ApiWorld:
    settings.API_THROTTLE_RATE = "100000/min"  # the rate is tested on its own
    users = {
        "reader": user_factory("api-reader"),
        "owner": user_factory("api-owner", role=roles.OWNERS, language="ko"),
        "coordinator": user_factory(
            "api-coordinator", role=roles.COORDINATORS, clearances=US_CLEARANCES
        ),
    }
    items = [
        item_factory("open-1", owner=users["owner"], due_date=dt.date(2023, 1, 5)),
        item_factory("kept-1", owner=users["owner"], marking=Marking.US_ONLY),
        item_factory("hidden-1", marking=Marking.KR_ONLY, due_date=None),
        item_factory("closing-1", owner=users["owner"], status=Status.BLOCKED),
    ]
    workflow.post_update(item=items[0], by=users["owner"], note="Under way.", now=NOW)
    digest = Reminder.objects.create(
        recipient=users["owner"], local_date=dt.date(2026, 12, 7), created_at=NOW
    )
    for item in items:
        ReminderItem.objects.create(reminder=digest, item=item, kind=ReminderKind.OVERDUE)
    return ApiWorld(
        headers={role: {"Authorization": f"Bearer {token_for(u)}"} for role, u in users.items()}
    )


@pytest.fixture(autouse=True)
def _connection_kept_between_requests():
    """Requests run through the WSGI application in this process, in the test's transaction.
    As Django's own test client does, the connection is not closed when each one ends."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The schema as the server serves it (the schema view reads no database).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_with_a_server_error_or_outside_the_schema(case, api_world):
    for role in ROLES:  # each generated request, as each of them
        case.call_and_validate(headers=api_world.headers[role], checks=CHECKS)


@pytest.mark.parametrize("who", ROLES)
def test_no_sequence_of_calls_answers_with_a_server_error_or_outside_the_schema(api_world, who):
    headers = api_world.headers[who]

    class Calls(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Calls.run(
        settings=hypothesis_settings(
            max_examples=EXAMPLES,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_an_address_under_the_api_with_a_newline_is_a_problem_not_a_page(client):
    response = client.post(
        "/api/v1/items/s%0A/status/", data="\x00", content_type="application/json"
    )
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")

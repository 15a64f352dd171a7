"""Errors as RFC 9457 problem details (`application/problem+json`): a type, a title, the status,
and a detail for the person reading it, in the request's language; field errors under `errors`.
"""

from __future__ import annotations

from http import HTTPStatus

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

PROBLEM_JSON = "application/problem+json"
# Headers of the refused response that tell the client what to do next.
KEPT_HEADERS = ("WWW-Authenticate", "Retry-After", "Allow")


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        "Send If-Match with the item's ETag (from its last GET): changes are refused without it."
    )
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"


class Refused(exceptions.APIException):
    """A change the rules refuse (workflow.WorkflowError): the message says why."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "refused"


def _flatten(data) -> dict[str, list[str]]:
    if isinstance(data, dict):
        return {
            str(field): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
            for field, msgs in data.items()
        }
    return {"non_field_errors": [str(m) for m in (data if isinstance(data, list) else [data])]}


def problem(status_code: int, detail: str, *, errors: dict | None = None, headers=None):
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_JSON)


def exception_handler(exc, context):
    """DRF's handler (Http404, PermissionDenied and every APIException), then reshaped."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django's 500, and the log
    headers = {k: response[k] for k in KEPT_HEADERS if response.has_header(k)}
    if isinstance(exc, exceptions.ValidationError):
        detail = _("Some fields were not accepted: see errors.")
        return problem(response.status_code, detail, errors=_flatten(exc.detail), headers=headers)
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
    return problem(
        response.status_code, detail or HTTPStatus(response.status_code).phrase, headers=headers
    )


class ProblemSerializer(serializers.Serializer):
    """The shape of every error (for the schema)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


def problem_responses(*codes: int) -> dict:
    """extend_schema `responses` entries for these error codes, as problem details. Every
    operation may also answer 401 (no or a bad token), 403 and 429 (throttled)."""
    every = sorted({*codes, 401, 403, 429})
    return {(code, PROBLEM_JSON): ProblemSerializer for code in every}

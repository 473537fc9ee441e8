"""Errors as RFC 7807 problems, one format for every refusal of every endpoint: DRF's exception
handler, the catch-all 404 of the API, the schema of a problem, and the one-value query check."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from workflows.errors import RuleViolation, WorkflowError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:microgrants:problem:"


def problem(
    status: int,
    code: str,
    detail: object,
    *,
    instance: str = "",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_PREFIX}{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": force_str(detail),
        "code": code,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def field_errors(detail: Any, prefix: str = "") -> list[dict[str, Any]]:
    """DRF's nested error details as a flat list of {field, code, message}; `field` is a dotted
    path (query parameter, body field, list index) or null for errors of the whole request."""
    found: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "" if key in ("non_field_errors", "__all__") else str(key)
            found += field_errors(value, f"{prefix}.{name}" if prefix and name else name or prefix)
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                found += field_errors(value, f"{prefix}.{index}" if prefix else str(index))
            else:
                found += field_errors(value, prefix)
    else:
        found.append(
            {
                "field": prefix or None,
                "code": getattr(detail, "code", None) or "invalid",
                "message": force_str(detail),
            }
        )
    return found


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every refusal as `application/problem+json`.

    Workflow errors keep their own status and code (409 for a conflict, 403 for a forbidden
    transition); anything else unexpected is left to Django (a 500, logged).
    """
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, WorkflowError):
        set_rollback()
        errors = None
        if isinstance(exc, RuleViolation):
            errors = [
                {"field": v.field or None, "code": str(v.code), "message": force_str(v.message)}
                for v in exc.violations
            ]
        body = problem(exc.http_status, exc.code, exc.message, instance=instance, errors=errors)
        return Response(body, status=exc.http_status, content_type=PROBLEM_CONTENT_TYPE)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    status = response.status_code
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        detail: object = _("The request has invalid values; see the errors.")
        code = "invalid"
        if len(errors) == 1 and errors[0]["field"] is None:
            detail = errors[0]["message"]
        body = problem(status, code, detail, instance=instance, errors=errors)
    else:
        code = exc.default_code
        codes = exc.get_codes()
        if isinstance(codes, str):
            code = codes
        body = problem(status, code, exc.detail, instance=instance)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


@csrf_exempt
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any API address that names no endpoint: a problem, not Django's HTML page. Exempt from
    CSRF like the API's views: a token client's POST to a wrong address (e.g. an id that is no
    number) is a 404 problem, not the HTML page of a CSRF failure."""
    body = problem(
        404, "not_found", _("There is no endpoint at this address."), instance=request.path
    )
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)


class ProblemSerializer(serializers.Serializer[dict[str, Any]]):
    """An RFC 7807 problem as this API writes it (for the schema)."""

    type = serializers.CharField(help_text="urn:microgrants:problem:<code>")
    title = serializers.CharField(help_text="the HTTP status phrase")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="what went wrong, in the request's language")
    code = serializers.CharField(help_text="stable machine-readable code")
    instance = serializers.CharField(required=False, help_text="the path requested")  # type: ignore[assignment]
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.DictField(),
        required=False,
        help_text="for 400: one {field, code, message} per invalid value (field null: the request)",
    )


def single_query_value(request: Request, name: str) -> str | None:
    """A query parameter of one value; given twice it is refused (a 400 naming it), where
    `query_params.get` would read the last one and drop the other unseen."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: [_("Give this parameter once.")]})
    return values[0] if values else None

"""What every REST endpoint shares, whatever its app: errors as RFC 7807 problems, keyset
(cursor) pagination over any whitelisted ordering, conditional GET (ETag / Last-Modified), and
the OpenAPI schema class that documents all of it.

Nothing here knows a domain model; the apps' `api.py` modules build on it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from http import HTTPStatus
from typing import Any, cast

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.encoding import force_str
from django.utils.http import http_date
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from workflows.errors import RuleViolation, WorkflowError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:microgrants:problem:"

# --- errors: one format (RFC 7807) for every refusal ------------------------------------------


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


# --- pagination: keyset cursors over a whitelisted ordering that always ends in the pk ---------

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SortKey:
    name: str
    attname: str
    descending: bool
    nullable: bool
    field: models.Field[Any, Any]

    @property
    def label(self) -> str:
        return f"-{self.name}" if self.descending else self.name

    def order(self, *, reverse: bool) -> OrderBy:
        # NULLs always after the values in reading order, on every database. A column without
        # NULLs is ordered plainly, so that an index on it serves either direction.
        descending = self.descending != reverse
        column = F(self.name)
        if not self.nullable:
            return column.desc() if descending else column.asc()
        if reverse:
            return column.desc(nulls_first=True) if descending else column.asc(nulls_first=True)
        return column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})

    def beyond(self, value: Any, *, reverse: bool, nulls: bool = True) -> Q | None:
        """Rows strictly after `value` in reading order (before it when `reverse`); without
        `nulls`, leave out the NULLs that follow a value (the caller reads them apart)."""
        if not reverse:
            if value is None:
                return None  # NULLs come last: nothing after them on this key
            lookup = "lt" if self.descending else "gt"
            after = Q(**{f"{self.name}__{lookup}": value})
            if self.nullable and nulls:
                return after | Q(**{f"{self.name}__isnull": True})
            return after
        if value is None:
            return Q(**{f"{self.name}__isnull": False})
        lookup = "gt" if self.descending else "lt"
        return Q(**{f"{self.name}__{lookup}": value})

    def bound(self, value: Any, *, reverse: bool) -> Q:
        """Redundant with `beyond` on a first key: the value itself and beyond it, as one range
        an index on the key can start from (`beyond` alone is an OR it cannot)."""
        forward_down = self.descending != reverse
        return Q(**{f"{self.name}__{'lte' if forward_down else 'gte'}": value})


def sort_keys(queryset: QuerySet[Any]) -> list[SortKey]:
    """The queryset's ordering as keys on its own model's fields, the pk appended as tie-break."""
    meta = queryset.model._meta
    ordering = list(queryset.query.order_by) or list(meta.ordering)
    keys: list[SortKey] = []
    for item in ordering:
        if isinstance(item, OrderBy) and isinstance(item.expression, F):
            name, descending = str(item.expression.name), item.descending  # type: ignore[attr-defined]
        elif isinstance(item, str) and item != "?":
            name, descending = item.lstrip("-"), item.startswith("-")
        else:
            raise ImproperlyConfigured(f"cannot page by {item!r}: order by model fields only")
        if name == "pk":
            name = meta.pk.name  # type: ignore[union-attr]
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(f"cannot page by {name!r}: not a field of its own") from exc
        if not isinstance(field, models.Field) or field.many_to_many or field.one_to_many:
            raise ImproperlyConfigured(f"cannot page by {name!r}")
        if any(key.name == name for key in keys):
            continue
        keys.append(SortKey(name, field.attname, descending, bool(field.null), field))
        if field.primary_key:
            return keys
    pk = meta.pk
    assert pk is not None
    descending = keys[-1].descending if keys else True
    keys.append(SortKey(pk.name, pk.attname, descending, False, pk))
    return keys


# --- representation shortcuts: what DRF's fields write, for hand-written hot paths -------------

CENT = Decimal("0.01")


def datetime_text(value: datetime | None, zone: tzinfo) -> str | None:
    """What DRF's DateTimeField writes (ISO 8601 in the current time zone, UTC as `Z`), with
    the zone looked up once per page instead of once per value."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return f"{text[:-6]}Z" if text.endswith("+00:00") else text


def money_text(value: Decimal | None) -> str | None:
    """What DRF's DecimalField(decimal_places=2) writes: the amount as a string of cents."""
    return None if value is None else format(value.quantize(CENT), "f")


class OptionalEmailField(serializers.EmailField):
    """A read-only e-mail address that may be missing. A blank column is written as null, never
    as "" (which `format: email` forbids), and the schema says `nullable`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:  # a str, or None for a blank column
        return str(value) if value else None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class KeysetPagination(BasePagination):
    """Cursor pagination that is stable and complete under any whitelisted ordering.

    DRF's CursorPagination positions on the first ordering field only (with an offset for
    ties) and drops rows whose field is NULL. Here the cursor holds the values of every sort
    key of the row it starts after, the pk last, so each page is one indexed range query and
    a walk through all pages returns every row exactly once. Cursors are signed: a client can
    only send back what it was given.
    """

    page_size = 25
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    signing_salt = "microgrants.api.cursor"

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self.requested_page_size(request)
        keys = sort_keys(queryset)
        signature = [key.label for key in keys]
        cursor = self.decode_cursor(request, signature, keys)
        reverse = bool(cursor and cursor[1])
        ordered = queryset.order_by(*(key.order(reverse=reverse) for key in keys))
        page, tail = ordered, None
        if cursor is not None:
            values = cursor[0]
            first = keys[0]
            if values[0] is not None:
                # One index range from the cursor on: `first <= X AND (first < X OR ...)`.
                # The NULLs of a nullable first key follow every value in reading order: they
                # are read apart, only when the range ends before the page is full.
                if first.nullable and not reverse:
                    tail = ordered.filter(**{f"{first.name}__isnull": True})
                condition = self.beyond(keys, values, reverse=reverse, nulls=False)
                page = ordered.filter(first.bound(values[0], reverse=reverse) & condition)
            else:
                page = ordered.filter(self.beyond(keys, values, reverse=reverse))
        rows = list(page[: size + 1])
        if tail is not None and len(rows) <= size:
            rows += list(tail[: size + 1 - len(rows)])
        more = len(rows) > size
        rows = rows[:size]
        if reverse:
            rows.reverse()
        self.keys, self.signature = keys, signature
        self.first = rows[0] if rows else None
        self.last = rows[-1] if rows else None
        self.has_next = (cursor is not None) if reverse else more
        self.has_previous = more if reverse else cursor is not None
        return rows

    def requested_page_size(self, request: Request) -> int:
        raw = single_query_value(request, self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 3) or not (
            1 <= int(raw) <= self.max_page_size
        ):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    @staticmethod
    def beyond(
        keys: Sequence[SortKey], values: Sequence[Any], *, reverse: bool, nulls: bool = True
    ) -> Q:
        """Rows after the cursor's; without `nulls`, not those whose first key is NULL."""
        condition: Q | None = None
        prefix = Q()
        for index, (key, value) in enumerate(zip(keys, values, strict=True)):
            step = key.beyond(value, reverse=reverse, nulls=nulls or index > 0)
            if step is not None:
                term = prefix & step
                condition = term if condition is None else condition | term
            prefix &= key.equal(value)
        return condition if condition is not None else Q(pk__in=[])

    def decode_cursor(
        self, request: Request, signature: list[str], keys: list[SortKey]
    ) -> tuple[list[Any], bool] | None:
        raw = single_query_value(request, self.cursor_query_param)
        if not raw:
            return None
        invalid = exceptions.ValidationError(
            {self.cursor_query_param: [_("This cursor is not valid (any more); start again.")]}
        )
        try:
            data = signing.loads(raw, salt=self.signing_salt)
            if data["o"] != signature or len(data["v"]) != len(keys):
                raise invalid
            values = [
                None if value is None else key.field.to_python(value)
                for key, value in zip(keys, data["v"], strict=True)
            ]
            return values, bool(data["r"])
        except (signing.BadSignature, KeyError, TypeError, ValueError, DjangoValidationError):
            raise invalid from None

    def encode_cursor(self, row: Any, *, reverse: bool) -> str:
        if isinstance(row, dict):  # a page of .values()
            values = [_plain(row[key.attname]) for key in self.keys]
        else:
            values = [_plain(getattr(row, key.attname)) for key in self.keys]
        payload = {"o": self.signature, "v": values, "r": reverse}
        return signing.dumps(payload, salt=self.signing_salt, compress=True)

    def link(self, row: Any, *, reverse: bool) -> str:
        url = self.request.build_absolute_uri()
        return replace_query_param(
            url, self.cursor_query_param, self.encode_cursor(row, reverse=reverse)
        )

    def get_next_link(self) -> str | None:
        if not self.has_next or self.last is None:
            return None
        return self.link(self.last, reverse=False)

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if self.first is None:
            return remove_query_param(self.request.build_absolute_uri(), self.cursor_query_param)
        return self.link(self.first, reverse=True)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {**link, "description": "the next page, null on the last"},
                "previous": {**link, "description": "the page before, null on the first"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# --- conditional GET -----------------------------------------------------------------------------


class ConditionalGetMixin:
    """ETag (a digest of the body sent) and, where a view knows it, Last-Modified; a request
    whose If-None-Match (or, without it, If-Modified-Since) still holds gets 304 and no body.

    The ETag is exact whatever the representation is made of (related rows, the caller's
    scope). A Last-Modified that misses one row the body shows answers a stale 304 to
    If-Modified-Since: a view sets `sends_last_modified` and `self.last_modified` only when
    stored times cover every row of every body it writes, and of a list also the rows that
    leave it (a change of scope, a deletion). No view can today (a programme has no time of its
    last change, and it shapes applications and grants): conditional requests use the ETag.
    """

    sends_last_modified = False  # the schema documents If-Modified-Since where True
    last_modified: datetime | None = None

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if not isinstance(response, Response) or request.method not in ("GET", "HEAD"):
            return response
        patch_vary_headers(response, ("Accept", "Accept-Language", "Authorization", "Cookie"))
        if response.status_code != 200:
            return response
        patch_cache_control(response, private=True, no_cache=True)
        response.render()
        digest = hashlib.sha256(response.content).hexdigest()[:40]
        response["ETag"] = f'"{digest}"'
        timestamp = None
        if self.sends_last_modified and self.last_modified is not None:
            timestamp = int(self.last_modified.timestamp())
            response["Last-Modified"] = http_date(timestamp)
        conditional = get_conditional_response(
            request, etag=response["ETag"], last_modified=timestamp, response=response
        )
        # A 304 is a plain HttpResponseNotModified; Django sends it like any response.
        return cast(Response, conditional or response)

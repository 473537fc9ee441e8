"""Keyset (cursor) pagination that stays stable and complete under any whitelisted ordering (the
ordering always ends in the primary key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from workflows.api.problems import single_query_value

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

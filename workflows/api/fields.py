"""Representation shortcuts: what DRF's fields write, for hand-written hot paths, and a field
for a read-only e-mail address that may be missing."""

from __future__ import annotations

from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from rest_framework import serializers

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

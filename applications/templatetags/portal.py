"""`{% load portal %}`: small template helpers of the applicant portal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.formats import sanitize_separators

from grants.money import format_eur

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key`, for dictionaries keyed by a variable."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def line_amount(row: Any) -> str:
    """A budget row's quantity times its unit cost, as typed (or saved), in euros in the reader's
    language; "" while either is not a number. The page's script keeps it current as one types."""
    try:
        quantity = Decimal(sanitize_separators(str(row["quantity"].value() or "")))
        unit_cost = Decimal(sanitize_separators(str(row["unit_cost"].value() or "")))
    except (InvalidOperation, KeyError, ValueError):
        return ""
    if not (quantity.is_finite() and unit_cost.is_finite()):
        return ""
    return str(format_eur(quantity * unit_cost))

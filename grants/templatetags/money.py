"""`{% load money %}`: amounts in the reader's language (1.234,56 EUR / 1 234,56 EUR)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from grants.money import format_eur, format_percent

register = template.Library()


@register.filter
def eur(value: object) -> str:
    """Format an amount in euros for the active language; empty for no value."""
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if not amount.is_finite():
        return ""
    return str(format_eur(amount))


@register.filter
def percent(value: object) -> str:
    """A fraction as a percentage in the active language (grants.money.format_percent)."""
    if value is None or value == "":
        return ""
    try:
        fraction = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    if not fraction.is_finite():
        return ""
    return str(format_percent(fraction))

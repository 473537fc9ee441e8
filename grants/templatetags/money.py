"""`{% load money %}`: amounts in the reader's language (1.234,56 EUR / 1 234,56 EUR)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from grants.money import format_eur

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
    """A fraction (0.8) as a percentage with one decimal in the active language (80,0 %)."""
    from django.utils.formats import number_format

    if value is None or value == "":
        return ""
    try:
        fraction = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return f"{number_format(fraction * 100, 1, use_l10n=True)} %"

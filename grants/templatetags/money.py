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
    """A fraction as a percentage in the active language: 0.8 -> "80 %", 0.8001 -> "80,01 %".

    Two decimals at most, none when they are zero, so a share just over a cap never reads as
    exactly the cap.
    """
    from django.utils.formats import get_format, number_format

    if value is None or value == "":
        return ""
    try:
        hundredths = (Decimal(str(value)) * 100).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return ""
    text = number_format(hundredths, 2, use_l10n=True)
    mark = str(get_format("DECIMAL_SEPARATOR"))
    if text.endswith(f"{mark}00"):
        text = text[: -len(mark) - 2]
    return f"{text} %"

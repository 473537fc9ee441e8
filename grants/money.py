"""Money is EUR as Decimal with two places; these helpers keep it that way."""

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.formats import get_format, number_format
from django.utils.functional import lazy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Twelve digits with two decimals: up to 9,999,999,999.99 EUR, far beyond any grant.
MAX_DIGITS = 12
MAX_AMOUNT = Decimal("9999999999.99")


def _render(text: Callable[[], str]) -> str:
    return text()


_lazy_text = lazy(_render, str)


def format_eur(amount: Decimal) -> str:
    """An amount for a message, formatted when shown, in the reader's language.

    ``Decimal("6000")`` reads "6,000.00 EUR" in English, "6.000,00 EUR" in German and
    "6 000,00 EUR" in French.
    """
    value = amount.quantize(CENT, context=Context(prec=28))  # whatever the caller's context
    return _lazy_text(lambda: f"{number_format(value, 2, use_l10n=True, force_grouping=True)} EUR")


def format_number(value: Decimal, places: int = 2) -> str:
    """A number (a score) for a message in the reader's language: "77.14" / "77,14"."""
    return _lazy_text(lambda: number_format(value, places, use_l10n=True))


def format_percent(fraction: Decimal) -> str:
    """A fraction as a percentage for a message in the reader's language: 0.8 -> "80 %",
    0.6667 -> "66.67 %" / "66,67 %". Two decimals at most, none when they are zero, so a share
    just over a cap never reads as exactly the cap."""
    hundredths = (fraction * 100).quantize(CENT, context=Context(prec=28))

    def text() -> str:
        number = number_format(hundredths, 2, use_l10n=True)
        mark = str(get_format("DECIMAL_SEPARATOR"))
        if number.endswith(f"{mark}00"):
            number = number[: -len(mark) - 2]
        return f"{number} %"

    return _lazy_text(text)


def money_field(**kwargs: Any) -> models.DecimalField:
    validators = [MinValueValidator(ZERO), MaxValueValidator(MAX_AMOUNT)]
    return models.DecimalField(
        max_digits=MAX_DIGITS, decimal_places=2, validators=validators, **kwargs
    )


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent (for computed amounts such as quantity x unit cost)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def cents_down(value: Decimal) -> Decimal:
    """Round down to the cent (for ceilings: never allow more than the rule permits)."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def parse_amount(value: object, *, label: object) -> Decimal:
    """A user-supplied amount as Decimal, or a readable refusal (negative, >2 decimals, huge)."""
    from django.utils.translation import gettext_lazy as _

    from workflows.errors import WorkflowError

    try:
        amount = Decimal(str(value).strip().replace(",", ".")) if value is not None else None
    except (ArithmeticError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        raise WorkflowError(
            _("%(label)s: please enter an amount in euros, e.g. 1234.56.") % {"label": label},
            code="invalid_amount",
        )
    if amount < 0:
        raise WorkflowError(
            _("%(label)s cannot be negative.") % {"label": label}, code="invalid_amount"
        )
    if amount > MAX_AMOUNT:
        raise WorkflowError(_("%(label)s is too large.") % {"label": label}, code="invalid_amount")
    if amount != amount.quantize(CENT):
        raise WorkflowError(
            _("%(label)s can have at most two decimals (cents).") % {"label": label},
            code="invalid_amount",
        )
    return amount.quantize(CENT)

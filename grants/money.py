"""Money is EUR as Decimal with two places; these helpers keep it that way."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Twelve digits with two decimals: up to 9,999,999,999.99 EUR, far beyond any grant.
MAX_DIGITS = 12
MAX_AMOUNT = Decimal("9999999999.99")


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

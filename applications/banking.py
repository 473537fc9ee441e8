"""IBAN and BIC checks (schwifty), with messages a volunteer understands."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def normalise_iban(value: str) -> str:
    return "".join((value or "").split()).upper()


def validate_iban(value: str) -> None:
    try:
        IBAN(normalise_iban(value))
    except (SchwiftyException, ValueError) as exc:
        raise ValidationError(
            _(
                "This IBAN is not valid. Please check it against your bank statement "
                "(e.g. DE89 3704 0044 0532 0130 00)."
            ),
            code="invalid_iban",
        ) from exc


def validate_bic(value: str) -> None:
    try:
        BIC("".join((value or "").split()).upper())
    except (SchwiftyException, ValueError) as exc:
        raise ValidationError(
            _("This BIC is not valid. It has 8 or 11 characters, e.g. COBADEFFXXX."),
            code="invalid_bic",
        ) from exc


def is_valid_iban(value: str) -> bool:
    try:
        validate_iban(value)
    except ValidationError:
        return False
    return bool(value)

"""Bank accounts: the one IBAN and BIC check of the project (schwifty), SEPA-aware.

The fund pays by SEPA credit transfer, so an account outside the SEPA zone is refused where it
is typed (the organisation's profile, the grant acceptance), not months later by the batch. The
messages are written for a volunteer. Used by the organisation model and forms, the grant
acceptance and the SEPA export alike.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException


def normalise_iban(value: str) -> str:
    """IBAN or BIC without spaces, in capitals."""
    return "".join((value or "").split()).upper()


def validate_iban(value: str) -> None:
    """A valid IBAN of a country in the SEPA zone; ValidationError otherwise."""
    try:
        iban = IBAN(normalise_iban(value))
    except (SchwiftyException, ValueError) as exc:
        raise ValidationError(
            _(
                "This IBAN is not valid. Please check it against your bank statement "
                "(e.g. DE89 3704 0044 0532 0130 00)."
            ),
            code="invalid_iban",
        ) from exc
    if not iban.in_sepa_zone:
        raise ValidationError(
            _(
                "This account is in a country outside the SEPA area, and the fund can only pay "
                "by SEPA transfer. Please give an account in the SEPA area (EU, EEA, "
                "Switzerland, United Kingdom ...)."
            ),
            code="iban_outside_sepa",
        )


def validate_bic(value: str) -> None:
    try:
        BIC(normalise_iban(value))
    except (SchwiftyException, ValueError) as exc:
        raise ValidationError(
            _("This BIC is not valid. It has 8 or 11 characters, e.g. COBADEFFXXX."),
            code="invalid_bic",
        ) from exc


def is_valid_iban(value: str) -> bool:
    """Would `validate_iban` accept it (and is there one at all)?"""
    try:
        validate_iban(value)
    except ValidationError:
        return False
    return bool(value)


def bank_name(value: str) -> str:
    """The bank an IBAN belongs to, when schwifty knows it ("" otherwise)."""
    try:
        bank = IBAN(normalise_iban(value)).bank
    except (SchwiftyException, ValueError):
        return ""
    return str(getattr(bank, "name", "") or "") if bank else ""


def valid_bic(value: str) -> str:
    """The BIC when it is one, else "" (BICFI is optional in SEPA: the IBAN alone routes)."""
    try:
        return str(BIC(normalise_iban(value)))
    except (SchwiftyException, ValueError):
        return ""

"""Form fields for amounts and dates as volunteers type them (4.000,50 or 4 000,50 or 4000.50)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from grants.money import parse_amount
from workflows.errors import InvalidInput, WorkflowError
from workflows.fields import ReplyDateField, as_validation_error
from workflows.text import clean_text

_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_GROUPED = re.compile(r"^\d{1,3}([.,]\d{3})+$")
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%d/%m/%y"]


def normalise_amount(text: str, language: str | None = None) -> str:
    """Turn what was typed into "1234.56": the separators of the user's language, or obvious ones."""
    value = _SPACES.sub("", text.strip()).replace("€", "").replace("EUR", "").replace("eur", "")
    comma_decimal = (language or translation.get_language() or "de")[:2] in {"de", "fr"}
    if "," in value and "." in value:
        decimal_mark = "," if value.rfind(",") > value.rfind(".") else "."
        value = value.replace("." if decimal_mark == "," else ",", "")
        return value.replace(",", ".")
    if _GROUPED.match(value) and (value.count(".") + value.count(",")) >= 1:
        mark = "." if "." in value else ","
        # "4.000" in German and "4,000" in English are thousands, not three decimals.
        if (mark == "." and comma_decimal) or (mark == "," and not comma_decimal):
            return value.replace(mark, "")
    return value.replace(",", ".")


class AmountField(forms.Field):
    """An amount in euros: Decimal with two places, never negative, never absurd."""

    widget = forms.TextInput
    # Longer input is a typing accident (or worse); refused before it is parsed.
    MAX_CHARACTERS = 32

    def __init__(self, *, minimum: Decimal | None = None, **kwargs: Any) -> None:
        self.minimum = minimum
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "maxlength": self.MAX_CHARACTERS}
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return number_format(value, 2, use_l10n=True)
        return value

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        try:
            text = clean_text(str(value), max_length=None)
        except InvalidInput as error:
            raise as_validation_error(error) from error
        if not text:
            return None
        if len(text) > self.MAX_CHARACTERS:
            raise ValidationError(_("Please enter an amount in euros, e.g. 1234.56."))
        try:
            amount = parse_amount(normalise_amount(text), label=self.label or _("The amount"))
        except WorkflowError as error:
            raise ValidationError(str(error.message), code="invalid_amount") from error
        if self.minimum is not None and amount < self.minimum:
            raise ValidationError(
                _("Please enter an amount of at least %(minimum)s EUR.")
                % {"minimum": number_format(self.minimum, 2, use_l10n=True)},
                code="too_small",
            )
        return amount


class DayField(forms.DateField):
    """A date picker where the browser has one; typed dates as 31.12.2026 or 31/12/2026 too."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = DATE_INPUT_FORMATS
    default_error_messages = {
        "invalid": _("Please enter a date such as 31.12.2026."),
    }


class ReplyDayField(DayField, ReplyDateField):
    """A reply deadline typed or picked as a day, held to the step's rule: after today, at most
    a year ahead (`workflows.text.clean_reply_date`)."""

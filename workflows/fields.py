"""Text fields: model fields that refuse NUL bytes at validation, before PostgreSQL would refuse
them with a 500; form fields that hold a step's input to the step's own rules (`workflows.text`),
so a page, the admin and the API (whose transition serializers are built from these forms)
refuse the same input with the same words as the transition method itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models

from workflows.errors import InvalidInput
from workflows.text import LONG_TEXT, clean_reply_date, clean_text


class CleanCharField(models.CharField):
    default_validators = [ProhibitNullCharactersValidator()]


class CleanTextField(models.TextField):
    default_validators = [ProhibitNullCharactersValidator()]


def as_validation_error(error: InvalidInput) -> ValidationError:
    """A step's refusal of one value as the error of the form field that holds it."""
    message: Any = error.message  # a (lazy) string
    return ValidationError(message, code=error.code)


class StepTextField(forms.CharField):
    """Free text for a step (message, reasons, note), cleaned by `workflows.text.clean_text`.

    `max_length` is the cleaner's limit (and the widget's maxlength). Give a required field the
    step's own words for empty text: `error_messages={"required": ...}`.
    """

    def __init__(self, *, max_length: int = LONG_TEXT, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # without max_length: the cleaner says it in its own words
        self.max_length = max_length
        if not self.widget.is_hidden:
            self.widget.attrs.setdefault("maxlength", str(max_length))

    def to_python(self, value: Any) -> str:
        try:
            return clean_text(value, max_length=self.max_length)
        except InvalidInput as error:
            raise as_validation_error(error) from error


class ReplyDateField(forms.DateField):
    """A reply deadline: a date after today and at most a year ahead (`clean_reply_date`)."""

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            clean_reply_date(value)
        except InvalidInput as error:
            raise as_validation_error(error) from error

"""Text fields that refuse NUL bytes at validation, before PostgreSQL would refuse them with a 500."""

from django.core.validators import ProhibitNullCharactersValidator
from django.db import models


class CleanCharField(models.CharField):
    default_validators = [ProhibitNullCharactersValidator()]


class CleanTextField(models.TextField):
    default_validators = [ProhibitNullCharactersValidator()]

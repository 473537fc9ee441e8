"""A toolkit for the API's list filters (django-filter), whatever the app: every value is
validated by its form field first, so a NUL byte, a huge number or a malformed date is a 400
with a message, never a database error; the OpenAPI schema states the same bounds (see
`documented`), so generated clients and schema-driven tests know them.

The fields read exactly what the schema says, no more: Django's number and date fields also
take "1e5", "1_000", "+5", " 5", "5.0", digits of other scripts ("１０００") or "10/25/2006";
here those are a 400 that names the parameter. An empty value is no filter (the schema says
`allowEmptyValue`, see workflows.api.schema). The apps' FilterSets (grants.filters,
applications.filters) are built from these pieces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import django_filters
from django import forms
from django.apps import apps
from django.core.validators import RegexValidator
from django.db.models import Q, QuerySet
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.fields import BaseCSVField
from drf_spectacular.utils import extend_schema_field

# Largest id a BIGINT column holds: anything above is refused before it reaches the database.
MAX_ID = 2**63 - 1
COUNTRY_CODE = RegexValidator(
    r"^[A-Za-z]{2}\Z", _("Give a two-letter country code, e.g. DE or FR.")
)


ONCE = _("Give this parameter once.")
# A whole number as the schema's `integer` is written: ASCII digits, an optional minus.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,20}")
# A date as the schema's `format: date` (RFC 3339 full-date) is written.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _choices(model_label: str, field: str) -> list[tuple[Any, Any]]:
    return list(apps.get_model(model_label)._meta.get_field(field).choices or [])


def choices_of(model_label: str, field: str) -> Any:
    """Choices of a field of a higher app, looked up by name (imports flow the other way) when
    first read: a lazy list, which the schema lists as the parameter's enum (a callable it
    would not call)."""
    return lazy(_choices, list)(model_label, field)


def documented(filter_: django_filters.Filter, schema: dict[str, Any]) -> None:
    """The filter's query parameter in the OpenAPI schema: `schema` (the bounds its form field
    enforces) and the filter's label as the description."""
    label = filter_._label  # type: ignore[attr-defined]
    extend_schema_field({**schema, "description": label} if label else schema)(filter_)


class QueryFilterSet(django_filters.FilterSet):
    """A FilterSet for query strings that copies and validates only the filters the query
    names. django-filter deep-copies every filter and builds and copies a form field of each
    on every request: a third of the Python time of an API list page with two filters.

    Results and errors are the same: a parameter that is absent filters nothing. Unbound (no
    data), the FilterSet keeps every filter, so a page that renders its form shows them all.

    A parameter of one value given twice (`programme=1&programme=2`) is an error: django-filter
    would read the last one and drop the other unseen. Only a multiple choice (`status`)
    repeats.
    """

    base_filters: dict[str, Any]  # set on the class by django-filter's metaclass
    repeated: tuple[str, ...] = ()

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Any] | None = None,
        *,
        request: Any = None,
        prefix: str | None = None,
    ) -> None:
        if data is not None:
            named = self.filters_named_in(data, prefix)
            if len(named) < len(self.base_filters):
                # An attribute of this instance: the class keeps every filter (the schema and
                # other requests read those).
                self.base_filters = named
            if hasattr(data, "getlist"):
                self.repeated = tuple(
                    name
                    for name, filter_ in named.items()
                    if not isinstance(filter_, django_filters.MultipleChoiceFilter)
                    and len(data.getlist(f"{prefix}-{name}" if prefix else name)) > 1
                )
        super().__init__(data, queryset, request=request, prefix=prefix)

    @property
    def errors(self) -> Any:
        errors = self.form.errors
        for name in self.repeated:
            if name not in errors:
                self.form.add_error(name, forms.ValidationError(ONCE, code="repeated"))
        return self.form.errors

    def is_valid(self) -> bool:
        return self.is_bound and not self.errors

    def filters_named_in(self, data: Any, prefix: str | None) -> dict[str, Any]:
        """The filters with a parameter in `data`. A filter with a widget of several inputs
        reads `<name>_<suffix>` (range widgets): those keep it too."""
        keys = list(data.keys())
        named = {}
        for name, filter_ in self.base_filters.items():
            param = f"{prefix}-{name}" if prefix else name
            if any(key == param or key.startswith(f"{param}_") for key in keys):
                named[name] = filter_
        return named


# --- form fields that read what the schema says, and nothing else ---------------------------------


class WholeNumberField(forms.IntegerField):
    """A whole number in ASCII digits (schema: `integer`)."""

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value)
        if not WHOLE_NUMBER.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


class AmountField(forms.DecimalField):
    """An amount in EUR written as the schema's `pattern` says (see MoneyFilter)."""

    def __init__(self, *args: Any, pattern: str, **kwargs: Any) -> None:
        self.pattern = re.compile(pattern)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        if not self.pattern.fullmatch(str(value)):
            raise forms.ValidationError(
                _("Give an amount in EUR: digits, and at most two after a point (e.g. 1500.50)."),
                code="invalid",
            )
        return super().to_python(value)


class IsoDateField(forms.DateField):
    """A date as YYYY-MM-DD (schema: `format: date`)."""

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        text = str(value)
        try:
            if ISO_DATE.fullmatch(text):
                return date.fromisoformat(text)
        except ValueError:
            pass
        raise forms.ValidationError(
            _("Give a date as YYYY-MM-DD, e.g. 2026-03-31."), code="invalid"
        )


# --- filters -------------------------------------------------------------------------------------


class IdFilter(django_filters.Filter):
    """A primary key: a whole number from 1 to the largest BIGINT."""

    field_class = WholeNumberField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        bounds = {"minimum": self.extra["min_value"], "maximum": self.extra["max_value"]}
        documented(self, {"type": "integer", "format": "int64", **bounds})


class SmallNumberFilter(django_filters.Filter):
    """A whole number between `min_value` and `max_value` (a year, a category)."""

    field_class = WholeNumberField

    def __init__(self, *args: Any, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)
        documented(self, {"type": "integer", "minimum": min_value, "maximum": max_value})


class MoneyFilter(django_filters.Filter):
    """An amount in EUR with at most two decimals, within what the money columns hold: ASCII
    digits, a point before the cents, nothing else (no sign, exponent, separator or space)."""

    field_class = AmountField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("decimal_places", 2)  # `max_digits`: the money column's, required
        places = kwargs["decimal_places"]
        whole = kwargs["max_digits"] - places
        kwargs["pattern"] = rf"[0-9]{{1,{whole}}}(\.[0-9]{{1,{places}}})?"
        super().__init__(*args, **kwargs)
        # A string like the amounts in the bodies ("4000.00"): a JSON number would invite
        # exponents and binary fractions that the filter refuses.
        pattern = f"^{self.extra['pattern']}$"
        documented(self, {"type": "string", "format": "decimal", "pattern": pattern})


class DateFilter(django_filters.DateFilter):
    """A day, as YYYY-MM-DD only."""

    field_class = IsoDateField


class ItemsField(BaseCSVField):
    """Comma-separated items (`a,-b`), none of them empty: django-filter lets "a," or ",a"
    pass, where the schema's items are an enum without ""."""

    def clean(self, value: Any) -> Any:
        if value and "" in value:
            raise forms.ValidationError(
                _("Separate the values by single commas, with nothing empty between them."),
                code="invalid",
            )
        return super().clean(value)


class OrderingFilter(django_filters.OrderingFilter):
    """`ordering=a,-b`: every item one of the choices; an empty value is the default order."""

    base_field_class = ItemsField


class CountryFilter(django_filters.CharFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 2)
        kwargs.setdefault("validators", [COUNTRY_CODE])
        kwargs.setdefault("strip", False)  # " DE" is not the schema's two letters
        super().__init__(*args, **kwargs)
        documented(self, {"type": "string", "pattern": "^[A-Za-z]{2}$"})

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return super().filter(qs, value.upper() if value else value)


class StrictBooleanField(forms.NullBooleanField):
    """true/false (or 1/0) from a query string; anything else (" true" too) is an error.
    Django's field reads any other value as "no value", which would silently drop the filter."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        text = "" if value is None else str(value).lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        if text:
            raise forms.ValidationError(_("Give true or false."), code="invalid")
        return None


class BooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter: `true` or `false`; any other value is a 400."""

    field_class = StrictBooleanField


class SearchFilter(django_filters.CharFilter):
    """Free text: every word must occur (case-insensitive) in one of `fields`.

    `withheld` names the fields a funder reads only on some rows, with the condition of those
    rows: a word matches such a field only there (a search must not find what its reader cannot
    read). Staff read, and search, every field; without a request (no reader known) the
    condition holds too.
    """

    def __init__(
        self,
        *args: Any,
        fields: tuple[str, ...],
        withheld: Mapping[str, Q] | None = None,
        reads_everything: Callable[[Any], bool] | None = None,
        **kwargs: Any,
    ) -> None:
        self.search_fields = fields
        self.withheld = dict(withheld or {})
        # Who reads every field (the app's rule, e.g. staff); without it nobody does.
        self.reader_reads_everything = reads_everything
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("label", _("Search"))
        # Counted as sent, as the schema's maxLength is (split() drops the spaces anyway).
        kwargs.setdefault("strip", False)
        super().__init__(*args, **kwargs)
        # A NUL byte is refused (no column holds one); any other text is a search.
        schema = {"type": "string", "maxLength": self.extra["max_length"], "pattern": "^[^\\x00]*$"}
        documented(self, schema)

    def reads_everything(self) -> bool:
        request = getattr(self.parent, "request", None)
        user = getattr(request, "user", None)
        rule = self.reader_reads_everything
        return user is not None and rule is not None and rule(user)

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        withheld = {} if self.reads_everything() else self.withheld
        for word in (value or "").split()[:10]:
            match = Q()
            for name in self.search_fields:
                term = Q(**{f"{name}__icontains": word})
                if name in withheld:
                    term &= withheld[name]
                match |= term
            qs = qs.filter(match)
        return qs


def bounded(label: Any, bound: Any) -> Any:
    """“Amount awarded – at least”, translated when shown (the label is built at import)."""
    return format_lazy("{label} – {bound}", label=label, bound=bound)


def date_range(field: str, label: Any) -> tuple[DateFilter, DateFilter]:
    return (
        DateFilter(field_name=field, lookup_expr="gte", label=bounded(label, _("from"))),
        DateFilter(field_name=field, lookup_expr="lte", label=bounded(label, _("until"))),
    )


def money_range(field: str, label: Any, *, max_digits: int) -> tuple[MoneyFilter, MoneyFilter]:
    return (
        MoneyFilter(
            field_name=field,
            lookup_expr="gte",
            label=bounded(label, _("at least")),
            max_digits=max_digits,
        ),
        MoneyFilter(
            field_name=field,
            lookup_expr="lte",
            label=bounded(label, _("at most")),
            max_digits=max_digits,
        ),
    )


def year_filter(field: str) -> SmallNumberFilter:
    return SmallNumberFilter(
        field_name=f"{field}__year", label=_("Year"), min_value=1900, max_value=2999
    )


def category_filter(field: str) -> SmallNumberFilter:
    return SmallNumberFilter(field_name=field, label=_("Category"), min_value=1, max_value=99)


def status_filter(choices: Any) -> django_filters.MultipleChoiceFilter:
    """One or more statuses. Without DISTINCT (a status is a column of the row itself, it
    never repeats a row): DISTINCT would make an aggregate over the filtered rows (statistics)
    wrap them in a subquery, where the correlated `paid` subquery no longer finds its row."""
    return django_filters.MultipleChoiceFilter(choices=choices, label=_("Status"), distinct=False)

"""Filters of the funder-side lists (django-filter), built from the toolkit of
`workflows.api.filters`: one FilterSet serves the API and could serve the staff pages.

A search matches only what its reader may read: for funders, not the name of an informal group
that did not consent to show it (grants.rules.name_is_public).
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from grants import rules
from grants.models import (
    BudgetAllocation,
    Call,
    Grant,
    GrantStatus,
    Intake,
    Payment,
    PaymentKind,
    PaymentStatus,
    Programme,
)
from grants.money import MAX_DIGITS
from grants.rules import public_name_condition
from organisations.choices import Region
from workflows.api.filters import (
    BooleanFilter,
    CountryFilter,
    DateFilter,
    IdFilter,
    OrderingFilter,
    QueryFilterSet,
    SearchFilter,
    SmallNumberFilter,
    category_filter,
    choices_of,
    date_range,
    money_range,
    status_filter,
    year_filter,
)

# --- programmes and calls --------------------------------------------------------------------------


class ProgrammeFilter(QueryFilterSet):
    active = BooleanFilter(field_name="is_active", label=_("Active"))
    category = category_filter("category")
    intake = django_filters.ChoiceFilter(choices=Intake.choices, label=_("Intake"))
    ordering = OrderingFilter(fields=("category", "code", "id"))

    class Meta:
        model = Programme
        fields: list[str] = []


class CallFilter(QueryFilterSet):
    programme = IdFilter(field_name="programme", label=_("Programme"))
    open_on = DateFilter(
        method="filter_open_on", label=_("Open on"), help_text=_("calls open on this day")
    )
    closes_from, closes_to = date_range("closes_on", _("Closes"))
    ordering = OrderingFilter(fields=("closes_on", "opens_on", "id"))

    class Meta:
        model = Call
        fields: list[str] = []

    def filter_open_on(self, queryset: QuerySet[Call], name: str, value: date) -> QuerySet[Call]:
        # Called with a date only (django-filter skips empty values); the hint types the
        # parameter in the schema.
        return queryset.filter(opens_on__lte=value, closes_on__gte=value)


# --- grants and payments ---------------------------------------------------------------------------


class GrantFilter(QueryFilterSet):
    status = status_filter(GrantStatus.choices)
    programme = IdFilter(field_name="programme", label=_("Programme"))
    category = category_filter("programme__category")
    year = year_filter("offered_at")
    country = CountryFilter(
        field_name="application__organisation__country", label=_("Applicant country")
    )
    region = django_filters.ChoiceFilter(
        field_name="application__organisation__region",
        choices=Region.choices,
        label=_("Applicant region"),
    )
    theme = django_filters.ChoiceFilter(
        field_name="application__theme_rows__theme",
        choices=choices_of("applications.ApplicationTheme", "theme"),
        label=_("Theme"),
    )
    awarded_min, awarded_max = money_range(
        "amount_awarded", _("Amount awarded"), max_digits=MAX_DIGITS
    )
    offered_from, offered_to = date_range("offered_at__date", _("Offered"))
    start_from, start_to = date_range("project_start", _("Project start"))
    q = SearchFilter(
        fields=(
            "application__reference",
            "application__title",
            "application__summary",
            "application__organisation__name",
        ),
        withheld={"application__organisation__name": public_name_condition("application__")},
        reads_everything=rules.sees_internal_api_fields,
    )
    ordering = OrderingFilter(fields=("offered_at", "amount_awarded", "project_start", "id"))

    class Meta:
        model = Grant
        fields: list[str] = []


class PaymentFilter(QueryFilterSet):
    status = status_filter(PaymentStatus.choices)
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices, label=_("Kind"))
    grant = IdFilter(field_name="grant", label=_("Grant"))
    programme = IdFilter(field_name="grant__programme", label=_("Programme"))
    country = CountryFilter(
        field_name="grant__application__organisation__country", label=_("Applicant country")
    )
    amount_min, amount_max = money_range("amount", _("Amount"), max_digits=MAX_DIGITS)
    due_from, due_to = date_range("due_on", _("Due"))
    paid_from, paid_to = date_range("paid_at__date", _("Paid"))
    q = SearchFilter(
        fields=("grant__application__reference", "grant__application__organisation__name"),
        withheld={
            "grant__application__organisation__name": public_name_condition("grant__application__")
        },
        reads_everything=rules.sees_internal_api_fields,
    )
    ordering = OrderingFilter(fields=("due_on", "amount", "paid_at", "id"))

    class Meta:
        model = Payment
        fields: list[str] = []


# --- budgets ----------------------------------------------------------------------------------------


class BudgetFilter(QueryFilterSet):
    programme = IdFilter(field_name="programme", label=_("Programme"))
    year = SmallNumberFilter(field_name="year", label=_("Year"), min_value=1900, max_value=2999)
    released = BooleanFilter(field_name="released", label=_("Released"))
    ordering = OrderingFilter(fields=("year", "id"))

    class Meta:
        model = BudgetAllocation
        fields: list[str] = []

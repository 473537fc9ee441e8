"""Filters of application lists (django-filter): the API's, and any staff list that wants them.

Every value passes its form field first (see workflows.api.filters): bad input is a 400, not a 500,
and what the schema forbids is refused. The search matches an informal group's name only for
readers who may read it (staff; funders when the group consented).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationStatus, Theme
from grants import rules
from grants.money import MAX_DIGITS
from grants.rules import public_name_condition
from organisations.choices import Region
from workflows.api.filters import (
    CountryFilter,
    IdFilter,
    OrderingFilter,
    QueryFilterSet,
    SearchFilter,
    category_filter,
    date_range,
    money_range,
    status_filter,
    year_filter,
)

LANGUAGES = [("de", _("German")), ("fr", _("French")), ("en", _("English"))]


class ApplicationFilter(QueryFilterSet):
    status = status_filter(ApplicationStatus.choices)
    programme = IdFilter(field_name="programme", label=_("Programme"))
    category = category_filter("programme__category")
    call = IdFilter(field_name="call", label=_("Call"))
    year = year_filter("submitted_at")
    country = CountryFilter(field_name="organisation__country", label=_("Applicant country"))
    region = django_filters.ChoiceFilter(
        field_name="organisation__region", choices=Region.choices, label=_("Applicant region")
    )
    # One row per (application, theme): the join never repeats an application.
    theme = django_filters.ChoiceFilter(
        field_name="theme_rows__theme", choices=Theme.choices, label=_("Theme")
    )
    language = django_filters.ChoiceFilter(choices=LANGUAGES, label=_("Language"))
    requested_min, requested_max = money_range(
        "requested_amount", _("Amount requested"), max_digits=MAX_DIGITS
    )
    awarded_min, awarded_max = money_range(
        "awarded_amount", _("Amount awarded"), max_digits=MAX_DIGITS
    )
    submitted_from, submitted_to = date_range("submitted_at__date", _("Submitted"))
    start_from, start_to = date_range("start_date", _("Project start"))
    q = SearchFilter(
        fields=("reference", "title", "summary", "organisation__name"),
        withheld={"organisation__name": public_name_condition()},
        reads_everything=rules.sees_internal_api_fields,
    )
    ordering = OrderingFilter(
        fields=(
            "submitted_at",
            "requested_amount",
            "awarded_amount",
            "start_date",
            "reference",
            "id",
        )
    )

    class Meta:
        model = Application
        fields: list[str] = []


class StatisticsFilter(ApplicationFilter):
    """The same filters without an ordering: statistics are grouped, not listed."""

    ordering = None  # type: ignore[assignment]

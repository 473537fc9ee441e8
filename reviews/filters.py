"""The queue filters (django-filter): one FilterSet for the staff pages and, later, the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import Theme
from grants.models import Programme
from reviews.models import ReviewTask
from workflows import clock

COUNTRIES = [("DE", _("Germany")), ("FR", _("France"))]
LANGUAGES = [("de", _("German")), ("fr", _("French")), ("en", _("English"))]


class TaskFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=Programme.objects.order_by("fund", "category")
    )
    category = django_filters.NumberFilter(
        label=_("Category"), field_name="programme__category", min_value=1, max_value=99
    )
    language = django_filters.ChoiceFilter(label=_("Language"), choices=LANGUAGES)
    country = django_filters.ChoiceFilter(
        label=_("Applicant country"), field_name="applicant_country", choices=COUNTRIES
    )
    theme = django_filters.ChoiceFilter(
        label=_("Theme"), choices=Theme.choices, method="with_theme"
    )
    waiting_days = django_filters.NumberFilter(
        label=_("Waiting at least (days)"), method="waiting_at_least", min_value=0, max_value=3650
    )
    due_by = django_filters.DateFilter(label=_("Due by"), field_name="due_on", lookup_expr="lte")
    unclaimed = django_filters.BooleanFilter(
        label=_("Only unclaimed"),
        method="only_unclaimed",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = ReviewTask
        fields: list[str] = []

    def with_theme(self, queryset: QuerySet[ReviewTask], name: str, value: Any) -> QuerySet[ReviewTask]:  # fmt: skip
        # Themes are a JSON list of codes; the quoted code is unique within it.
        return queryset.filter(application__themes__icontains=f'"{value}"') if value else queryset

    def waiting_at_least(self, queryset: QuerySet[ReviewTask], name: str, value: Any) -> QuerySet[ReviewTask]:  # fmt: skip
        if value is None:
            return queryset
        return queryset.filter(created_at__lte=clock.now() - timedelta(days=int(value)))

    def only_unclaimed(self, queryset: QuerySet[ReviewTask], name: str, value: Any) -> QuerySet[ReviewTask]:  # fmt: skip
        return queryset.filter(status="open") if value else queryset

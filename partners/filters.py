"""The filters of the public list of partner posts (django-filter). Each list filter looks the
code up in the post's facet rows (`PostFacet`), so one query answers however many are chosen."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import Theme
from organisations.choices import Region
from partners.choices import FacetKind, PostFormat, TargetGroup
from partners.models import PartnerPost, PostFacet


def _facet(kind: str) -> Any:
    def method(queryset: QuerySet[PartnerPost], name: str, value: str) -> QuerySet[PartnerPost]:
        if not value:
            return queryset
        rows = PostFacet.objects.filter(post=OuterRef("pk"), kind=kind, code=value)
        return queryset.filter(Exists(rows))

    return method


class PostFilter(django_filters.FilterSet):
    country = django_filters.ChoiceFilter(
        field_name="country", choices=[], label=_("Partner country sought")
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices, label=_("Region"), method=_facet(FacetKind.REGION)
    )
    theme = django_filters.ChoiceFilter(
        choices=Theme.choices, label=_("Theme"), method=_facet(FacetKind.THEME)
    )
    format = django_filters.ChoiceFilter(
        choices=PostFormat.choices, label=_("Format"), method=_facet(FacetKind.FORMAT)
    )
    target_group = django_filters.ChoiceFilter(
        choices=TargetGroup.choices, label=_("Target group"), method=_facet(FacetKind.TARGET_GROUP)
    )
    language = django_filters.ChoiceFilter(
        choices=settings.LANGUAGES, label=_("Language"), method=_facet(FacetKind.LANGUAGE)
    )

    class Meta:
        model = PartnerPost
        fields: list[str] = []

    def __init__(self, *args: Any, countries: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["country"].extra["choices"] = countries
        self.form.fields["country"].choices = [("", "---------"), *countries]

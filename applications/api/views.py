"""The application endpoints: lists and records in the caller's scope, and the transitions of
the application's table for staff.

No Last-Modified: a body shows rows without a time of their last change (the programme's
category), and a list also loses rows without any (a change of the token's programmes); an
If-Modified-Since would get a stale 304. The ETag is exact.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections
from django.db.models import F, OuterRef, QuerySet
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from applications.api.serializers import (
    FUNDER_ANNOTATIONS,
    FUNDER_COLUMNS,
    FUNDER_ORGANISATION,
    PAGE_EXTRAS,
    ApplicationSerializer,
    StaffApplicationSerializer,
)
from applications.filters import ApplicationFilter
from applications.models import (
    Application,
    Partner,
)
from applications.transitions import APPLICATION_TRANSITIONS
from grants import rules
from grants.api.views import ApiReadViewSet
from workflows.api.transitions import TransitionViewSetMixin, transition_schema


def applications_for(user: Any) -> QuerySet[Application]:
    """What the caller may read (the rule set: no drafts of others, the token's programmes,
    no conflicts)."""
    return Application.objects.visible_to(user)


# --- the endpoints --------------------------------------------------------------------------------


# What a GET answers: the funder's field set or the staff's, by the caller's role. Both are
# exact (no other property, see workflows.api.schema), so a body matches one of them only.
READ_AS = PolymorphicProxySerializer(
    component_name="ApplicationAsRead",
    serializers=[ApplicationSerializer, StaffApplicationSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(
        responses=READ_AS,
        summary="Applications",
        description="Funders read the public field set (no personal data); staff read more. "
        "Conditional requests use the `ETag`: no `Last-Modified` is sent, since no stored time "
        "covers every row an application's body shows (its programme's category, for one).",
    ),
    retrieve=extend_schema(responses=READ_AS, summary="One application"),
)
@transition_schema(record="application", answer=StaffApplicationSerializer)
class ApplicationViewSet(TransitionViewSetMixin, ApiReadViewSet[Application]):
    funder_rows = False  # set by get_queryset for a funder's list
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    # Staff run the transitions of the application's table (services, and forms as the input).
    transition_specs = APPLICATION_TRANSITIONS

    def get_queryset(self) -> QuerySet[Application]:
        applications = applications_for(self.request.user)
        if self.action != "list" or rules.sees_internal_api_fields(self.request.user):
            return (
                applications.select_related("organisation", "programme", "grant")
                .prefetch_related("partners")
                .order_by("-submitted_at", "-id")
            )
        # A funder's page: the columns the serializer writes, the programme's category and the
        # grant's id as values (no rows of theirs), the partners' countries only.
        self.funder_rows = True  # list() reads the page as .values()
        annotations: dict[str, Any] = {
            "category_value": F("programme__category"),
            "grant_pk": F("grant__id"),
            **{f"organisation_{name}": F(f"organisation__{name}") for name in FUNDER_ORGANISATION},
        }
        if connections[applications.db].vendor == "postgresql":
            # The partners' countries as an array column of the page's query; on other
            # databases list() reads them in a query of its own.
            countries = (
                Partner.objects.filter(application=OuterRef("pk"))
                .values("country")
                .distinct()
                .order_by("country")
            )
            annotations["partner_country_list"] = ArraySubquery(countries)
        return applications.annotate(**annotations).order_by("-submitted_at", "-id")

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if rules.sees_internal_api_fields(self.request.user):
            return StaffApplicationSerializer
        return ApplicationSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.funder_rows:
            # A funder's page as plain rows (no model instances): the serializer reads them.
            read_along = [n for n in PAGE_EXTRAS if n in queryset.query.annotations]
            queryset = queryset.values(*FUNDER_COLUMNS, *FUNDER_ANNOTATIONS, *read_along)
        page: Any = self.paginate_queryset(queryset)
        assert page is not None  # always paginated (KeysetPagination)
        if page and self.funder_rows and "partner_country_list" not in page[0]:
            countries: dict[int, set[str]] = {row["id"]: set() for row in page}
            pairs = Partner.objects.filter(application_id__in=list(countries)).values_list(
                "application_id", "country"
            )
            for application_id, country in pairs:
                countries[application_id].add(country)
            for row in page:
                row["partner_country_list"] = sorted(countries[row["id"]])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

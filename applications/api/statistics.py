"""Statistics of the applications in the caller's scope: one grouped query, the aggregation of
`applications.statistics` (which the public figures page reads too)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from applications.api.views import applications_for
from applications.filters import StatisticsFilter
from applications.models import Application, ApplicationStatus, Theme
from applications.statistics import GROUPS, statistics
from grants.api.auth import HasApiAccess
from organisations.choices import Region
from workflows.api.conditional import ConditionalGetMixin
from workflows.api.problems import single_query_value


def parse_group_by(raw: str) -> list[str]:
    """`programme,year`: names of GROUPS, each once, as the schema's array says (no spaces, no
    empty item); an empty value groups nothing."""
    names = raw.split(",") if raw else []
    unknown = [name for name in names if name not in GROUPS]
    if unknown or len(set(names)) != len(names):
        raise exceptions.ValidationError(
            {
                "group_by": [
                    _("Group by one or more of %(keys)s, each once.") % {"keys": ", ".join(GROUPS)}
                ]
            }
        )
    return names


class StatisticsRowSerializer(serializers.Serializer[dict[str, Any]]):
    """One group: its keys (only those asked for) and its figures."""

    programme = serializers.IntegerField(required=False, allow_null=True)
    year = serializers.IntegerField(required=False, allow_null=True, help_text="of submission")
    status = serializers.ChoiceField(ApplicationStatus.choices, required=False)
    country = serializers.CharField(required=False)
    region = serializers.ChoiceField(Region.choices, required=False, allow_null=True)
    theme = serializers.ChoiceField(Theme.choices, required=False, allow_null=True)
    funder = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="the org-id of a funder of the grants' budgets (the fund's own identifier "
        "where it finances a budget alone); null: applications without a grant",
    )
    funder_name = serializers.CharField(
        required=False, allow_null=True, help_text="the funder's name in the reader's language"
    )
    count = serializers.IntegerField(help_text="applications (per theme: those with the theme)")
    requested = serializers.DecimalField(max_digits=14, decimal_places=2)
    awarded = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="payments made on the grants"
    )

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        return {
            name: None if instance[name] is None else field.to_representation(instance[name])
            for name, field in self.fields.items()
            if name in instance
        }


class StatisticsSerializer(serializers.Serializer[dict[str, Any]]):
    group_by = serializers.ListField(child=serializers.ChoiceField(list(GROUPS)))
    results = StatisticsRowSerializer(many=True)


class StatisticsView(ConditionalGetMixin, GenericAPIView[Application]):
    """Counts and sums (requested, awarded, paid) of the applications the caller may read."""

    permission_classes = [HasApiAccess]
    filter_backends = [DjangoFilterBackend]
    filterset_class = StatisticsFilter
    validates_query = True
    pagination_class = None

    def get_queryset(self) -> QuerySet[Application]:
        return applications_for(self.request.user)

    @extend_schema(
        summary="Statistics: counts and sums grouped by programme, year, status, country, "
        "region, theme, funder",
        description="One row per combination of the `group_by` keys (none: one row of totals). "
        "The filters of the application list apply. `year` is the year of submission; "
        "`paid` sums the payments made on the applications' grants. Grouped by `funder`, an "
        "application counts under each funder of its grant's budget and its amounts are split "
        "by their shares: each co-funder's part rounded down to the cent, the lead funder's "
        "the rest, grant by grant (so the funders' rows add up to the totals).",
        parameters=[
            OpenApiParameter(
                "group_by",
                {
                    "type": "array",
                    "items": {"type": "string", "enum": list(GROUPS)},
                    "uniqueItems": True,
                },
                style="form",
                explode=False,
                description=f"Comma-separated, each at most once: {', '.join(GROUPS)}",
            )
        ],
        responses=StatisticsSerializer,
        filters=True,
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        group_by = parse_group_by(single_query_value(request, "group_by") or "")
        applications = self.filter_queryset(self.get_queryset())
        rows = statistics(applications, group_by)
        data = StatisticsSerializer({"group_by": group_by, "results": rows}).data
        return Response(data)

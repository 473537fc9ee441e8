"""Statistics of the applications in the caller's scope: one grouped query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, NullIf
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

from applications.api.serializers import MONEY
from applications.api.views import applications_for
from applications.filters import StatisticsFilter
from applications.models import Application, ApplicationStatus, Theme
from grants.api.auth import HasApiAccess
from grants.models import LedgerEntry, LedgerKind
from organisations.choices import Region
from workflows.api.conditional import ConditionalGetMixin
from workflows.api.problems import single_query_value


def paid_of_grant() -> Subquery:
    """Payments made on the application's grant, as a subquery: joining the ledger would repeat
    the application's row once per entry and multiply its requested amount."""
    entries = (
        LedgerEntry.objects.filter(grant__application=OuterRef("pk"), kind=LedgerKind.PAY)
        .order_by()
        .values("grant")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Subquery(entries, output_field=MONEY)


# group key -> expression. Theme joins the theme rows: an application with two themes counts
# once under each (and is not joined at all unless grouped by theme).
GROUPS: dict[str, Any] = {
    "programme": F("programme_id"),
    "year": ExtractYear("submitted_at"),
    "status": F("status"),
    "country": F("organisation__country"),
    # No region is null, as no theme is (a blank enum value would be one more spelling of none).
    "region": NullIf(F("organisation__region"), Value("")),
    "theme": F("theme_rows__theme"),
}


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


def statistics(applications: QuerySet[Application], group_by: list[str]) -> list[dict[str, Any]]:
    """Counts and sums of the applications per group: one aggregate query."""
    totals = {
        "count": Count("pk"),
        "requested": Coalesce(Sum("requested_amount"), Decimal(0), output_field=MONEY),
        "awarded": Coalesce(Sum("awarded_amount"), Decimal(0), output_field=MONEY),
        "paid": Coalesce(Sum(paid_of_grant()), Decimal(0), output_field=MONEY),
    }
    applications = applications.order_by()  # an ordering would join the GROUP BY
    if not group_by:
        return [dict(applications.aggregate(**totals))]
    keys = {f"group_{name}": GROUPS[name] for name in group_by}
    grouped: Any = applications.values(**keys).annotate(**totals).order_by(*keys)
    rows: list[dict[str, Any]] = list(grouped)
    return [
        {**{name: row[f"group_{name}"] for name in group_by}, **{k: row[k] for k in totals}}
        for row in rows
    ]


class StatisticsRowSerializer(serializers.Serializer[dict[str, Any]]):
    """One group: its keys (only those asked for) and its figures."""

    programme = serializers.IntegerField(required=False, allow_null=True)
    year = serializers.IntegerField(required=False, allow_null=True, help_text="of submission")
    status = serializers.ChoiceField(ApplicationStatus.choices, required=False)
    country = serializers.CharField(required=False)
    region = serializers.ChoiceField(Region.choices, required=False, allow_null=True)
    theme = serializers.ChoiceField(Theme.choices, required=False, allow_null=True)
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
        "region, theme",
        description="One row per combination of the `group_by` keys (none: one row of totals). "
        "The filters of the application list apply. `year` is the year of submission; "
        "`paid` sums the payments made on the applications' grants.",
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

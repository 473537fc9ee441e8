"""Applications and statistics in the REST API.

Funders read a field set without personal data (no e-mails, bank data, internal notes or names of
private persons); staff read the working fields too. Statistics are one grouped query.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, ExtractYear
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from applications.admin import APPLICATION_TRANSITION_SPECS
from applications.filters import ApplicationFilter, StatisticsFilter
from applications.models import Application, ApplicationStatus, Region, Theme
from applications.services import APPLICATION_TRANSITIONS, run_application_transition
from grants import rules
from grants.api.auth import HasApiAccess, programme_scope
from grants.api.serializers import GranteeSerializer, StaffGranteeSerializer
from grants.api.views import ApiReadViewSet, in_scope
from grants.models import LedgerEntry, LedgerKind
from workflows.api import ConditionalGetMixin
from workflows.api.transitions import TransitionViewSetMixin, transition_schema

MONEY = models.DecimalField(max_digits=14, decimal_places=2)
CENT = Decimal("0.01")

# --- serializers ----------------------------------------------------------------------------------


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    """The funder's field set."""

    category = serializers.IntegerField(
        source="programme.category", read_only=True, allow_null=True
    )
    organisation = GranteeSerializer(read_only=True)
    themes = serializers.SerializerMethodField()
    partner_countries = serializers.SerializerMethodField()
    grant = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "title",
            "summary",
            "status",
            "language",
            "programme",
            "category",
            "call",
            "themes",
            "places",
            "requested_amount",
            "awarded_amount",
            "start_date",
            "end_date",
            "submitted_at",
            "decided_at",
            "organisation",
            "partner_countries",
            "grant",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(Theme.choices)))
    def get_themes(self, application: Application) -> list[str]:
        return sorted(application.theme_codes())

    def get_partner_countries(self, application: Application) -> list[str]:
        return sorted({partner.country for partner in application.partners.all()})

    @extend_schema_field({"type": "integer", "nullable": True, "description": "the grant's id"})
    def get_grant(self, application: Application) -> int | None:
        grant = getattr(application, "grant", None)
        return grant.pk if grant is not None else None


class PartnerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    contact_email = serializers.EmailField(read_only=True)


class StaffApplicationSerializer(ApplicationSerializer):
    """Staff also read the description, the review outcome, notes and the contacts."""

    organisation = StaffGranteeSerializer(read_only=True)  # type: ignore[assignment]
    partners = PartnerSerializer(many=True, read_only=True)

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "description",
            "project_format",
            "participants_expected",
            "partners",
            "score",
            "change_request_message",
            "reply_deadline",
            "decision_note",
            "updated_at",
        ]
        read_only_fields = fields


# --- selectors ------------------------------------------------------------------------------------


def applications_for(user: Any, scope: Collection[int] | None) -> QuerySet[Application]:
    """What the caller may read (no drafts of others), within the token's programmes."""
    return in_scope(Application.objects.visible_to(user), scope)


def last_change(applications: QuerySet[Application]) -> datetime | None:
    """The latest change of any of these applications or their organisations: everything the
    representation shows is theirs (themes and partners change with the application)."""
    times = applications.order_by().aggregate(
        application=Max("updated_at"), organisation=Max("organisation__updated_at")
    )
    known = [t for t in times.values() if t is not None]
    return max(known) if known else None


# --- the endpoints --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Applications",
        description="Funders read the public field set (no personal data); staff read more. "
        "`Last-Modified` covers every application the caller may read.",
    ),
    retrieve=extend_schema(summary="One application"),
)
@transition_schema(record="application", answer=StaffApplicationSerializer)
class ApplicationViewSet(TransitionViewSetMixin, ApiReadViewSet[Application]):
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    # Staff run the transitions with the admin's data and the applications' services.
    transition_specs = APPLICATION_TRANSITION_SPECS
    transition_services = APPLICATION_TRANSITIONS

    def run_transition(self, obj: Any, name: str, *, by: Any, **data: Any) -> Application:
        return run_application_transition(obj, name, by=by, **data)

    def get_queryset(self) -> QuerySet[Application]:
        return (
            applications_for(self.request.user, programme_scope(self.request))
            .select_related("organisation", "programme", "grant")
            .prefetch_related("partners")
            .order_by("-submitted_at", "-id")
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if rules.sees_internal_api_fields(self.request.user):
            return StaffApplicationSerializer
        return ApplicationSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.last_modified = last_change(applications_for(request.user, programme_scope(request)))
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        application: Application = self.get_object()
        self.last_modified = max(application.updated_at, application.organisation.updated_at)
        return Response(self.get_serializer(application).data)


# --- statistics -----------------------------------------------------------------------------------


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
    "region": F("organisation__region"),
    "theme": F("theme_rows__theme"),
}


def parse_group_by(raw: str) -> list[str]:
    names = [name.strip() for name in raw.split(",") if name.strip()] if raw else []
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
    region = serializers.ChoiceField(Region.choices, required=False, allow_blank=True)
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
        return applications_for(self.request.user, programme_scope(self.request))

    @extend_schema(
        summary="Statistics: counts and sums grouped by programme, year, status, country, "
        "region, theme",
        description="One row per combination of the `group_by` keys (none: one row of totals). "
        "The filters of the application list apply. `year` is the year of submission; "
        "`paid` sums the payments made on the applications' grants.",
        parameters=[
            OpenApiParameter(
                "group_by",
                OpenApiTypes.STR,
                description=f"Comma-separated, each at most once: {', '.join(GROUPS)}",
            )
        ],
        responses=StatisticsSerializer,
        filters=True,
        tags=["stats"],
    )
    def get(self, request: Request) -> Response:
        group_by = parse_group_by(request.query_params.get("group_by", ""))
        applications = self.filter_queryset(self.get_queryset())
        rows = statistics(applications, group_by)
        data = StatisticsSerializer({"group_by": group_by, "results": rows}).data
        return Response(data)

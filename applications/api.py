"""Applications and statistics in the REST API.

Funders read a field set without personal data (no e-mails, bank data, internal notes or names of
private persons: an informal group reads "informal group in <region>" unless it consented to show
its name); staff read the working fields too. Statistics are one grouped query.

No Last-Modified: a body shows rows without a time of their last change (the programme's
category), and a list also loses rows without any (a change of the token's programmes); an
If-Modified-Since would get a stale 304. The ETag is exact.
"""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, models
from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, ExtractYear, NullIf
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from applications.filters import ApplicationFilter, StatisticsFilter
from applications.models import (
    Application,
    ApplicationStatus,
    Partner,
    Region,
    Theme,
    theme_codes_of,
)
from applications.transitions import APPLICATION_TRANSITIONS
from grants import rules
from grants.api.auth import HasApiAccess
from grants.api.serializers import GranteeSerializer, StaffGranteeSerializer
from grants.api.views import ApiReadViewSet
from grants.models import LedgerEntry, LedgerKind
from grants.open_data import public_name
from workflows.api.conditional import ConditionalGetMixin
from workflows.api.fields import OptionalEmailField, datetime_text, money_text
from workflows.api.problems import single_query_value
from workflows.api.transitions import TransitionViewSetMixin, transition_schema

MONEY = models.DecimalField(max_digits=14, decimal_places=2)
# What a funder's list page reads of the application and its organisation (see get_queryset).
# The declarations are not shown: they say whether an informal group's name may be.
FUNDER_COLUMNS = (
    "id", "reference", "title", "summary", "status", "language", "programme_id", "call_id",
    "themes", "places", "requested_amount", "awarded_amount", "start_date", "end_date",
    "submitted_at", "decided_at", "organisation_id", "declarations",
)  # fmt: skip
FUNDER_ORGANISATION = ("name", "legal_form", "country", "region", "city")
FUNDER_ANNOTATIONS = (
    "category_value",
    "grant_pk",
    *(f"organisation_{n}" for n in FUNDER_ORGANISATION),
)
# A column a funder's page may carry besides: the partners' countries.
PAGE_EXTRAS = ("partner_country_list",)

# --- serializers ----------------------------------------------------------------------------------

_UNSET = object()


class ApplicationSerializer(serializers.ModelSerializer[Application]):
    """The funder's field set."""

    category = serializers.IntegerField(
        source="programme.category", read_only=True, allow_null=True
    )
    organisation = GranteeSerializer(source="*", read_only=True)
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
        if hasattr(application, "partner_country_list"):  # set by the list
            countries: list[str] = application.partner_country_list
            return countries
        return sorted({partner.country for partner in application.partners.all()})

    @extend_schema_field({"type": "integer", "nullable": True, "description": "the grant's id"})
    def get_grant(self, application: Application) -> int | None:
        if hasattr(application, "grant_pk"):  # annotated by the list's queryset
            grant_pk: int | None = application.grant_pk
            return grant_pk
        grant = getattr(application, "grant", None)
        return grant.pk if grant is not None else None

    @cached_property
    def output_zone(self) -> tzinfo:
        """The time zone the times are written in (DRF's: the current one), read once."""
        return timezone.get_current_timezone()

    def to_representation(self, instance: Application) -> dict[str, Any]:
        """What DRF's field machinery writes for these fields, read straight off the attributes
        (a list page writes 100 of them; the generic path costs several times the query).
        tests/api/test_fields.py compares it with the generic output."""
        a: Any = instance
        if isinstance(instance, dict):  # a row of the funder's list (ApplicationViewSet.list)
            a = SimpleNamespace(**instance)
            themes = sorted(theme_codes_of(a.themes))
        else:
            themes = sorted(instance.theme_codes())
        if hasattr(a, "organisation_legal_form"):  # the list's columns of the organisation
            row = SimpleNamespace(
                id=a.organisation_id,
                **{name: getattr(a, f"organisation_{name}") for name in FUNDER_ORGANISATION},
            )
        else:
            row = a.organisation
        organisation = {
            "id": row.id,
            "name": public_name(
                row.name,
                legal_form=row.legal_form,
                declarations=a.declarations,
                country=row.country,
                region=row.region,
            ),
            "legal_form": row.legal_form,
            "country": row.country,
            "region": row.region,
            "city": row.city,
        }
        category: Any = getattr(a, "category_value", _UNSET)
        if category is _UNSET:
            programme = a.programme
            category = programme.category if programme is not None else None
        start, end = a.start_date, a.end_date
        zone = self.output_zone
        return {
            "id": a.id,
            "reference": a.reference,
            "title": a.title,
            "summary": a.summary,
            "status": a.status,
            "language": a.language,
            "programme": a.programme_id,
            "category": None if category is None else int(category),
            "call": a.call_id,
            "themes": themes,
            "places": a.places,
            "requested_amount": money_text(a.requested_amount),
            "awarded_amount": money_text(a.awarded_amount),
            "start_date": None if start is None else start.isoformat(),
            "end_date": None if end is None else end.isoformat(),
            "submitted_at": datetime_text(a.submitted_at, zone),
            "decided_at": datetime_text(a.decided_at, zone),
            "organisation": organisation,
            "partner_countries": self.get_partner_countries(a),
            "grant": self.get_grant(a),
        }


class PartnerSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    contact_email = OptionalEmailField()


class StaffApplicationSerializer(ApplicationSerializer):
    """Staff also read the description, the review outcome, notes and the contacts."""

    organisation = StaffGranteeSerializer(source="*", read_only=True)  # type: ignore[assignment]
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

    def to_representation(self, instance: Application) -> dict[str, Any]:
        # The generic path: staff read few pages and many more fields.
        return serializers.ModelSerializer.to_representation(self, instance)


# --- selectors ------------------------------------------------------------------------------------


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

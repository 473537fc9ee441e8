"""Read endpoints of the funder side: programmes, calls, grants, payments, the 360Giving export.

Every queryset is the caller's: what their role may see (grants.rules), within their token's
programmes. Outside it a record does not exist (404), it is never "forbidden".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from grants import filters, rules
from grants.api import serializers
from grants.api.auth import HasApiAccess, MayReadBudgets, MayReadPayments, programme_scope
from grants.cofunding import funder_figures
from grants.models import (
    BudgetAllocation,
    Call,
    Grant,
    LedgerKind,
    Payment,
    Programme,
    grant_ledger_total,
)
from grants.transitions import GRANT_TRANSITIONS
from workflows.api.conditional import ConditionalGetMixin
from workflows.api.pagination import KeysetPagination
from workflows.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer
from workflows.api.transitions import TransitionViewSetMixin, transition_schema

M = TypeVar("M", bound=models.Model)


def in_scope(
    queryset: QuerySet[M], scope: Collection[int] | None, field: str = "programme"
) -> QuerySet[M]:
    """Only rows of the programmes in `scope` (None: every programme)."""
    return queryset if scope is None else queryset.filter(**{f"{field}__in": scope})


class ApiReadViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet[M]):
    """List and detail, read-only, cursor-paged, filtered, with ETags; ids are whole numbers
    (anything else in the path is a 404 from the router, never a database error)."""

    permission_classes = [HasApiAccess]
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    lookup_value_regex = r"[0-9]{1,18}"


# --- selectors: what the caller may read --------------------------------------------------------


def programmes_for(scope: Collection[int] | None) -> QuerySet[Programme]:
    return in_scope(Programme.objects.select_related("fund"), scope, "pk").order_by(
        "category", "id"
    )


def calls_for(scope: Collection[int] | None) -> QuerySet[Call]:
    return in_scope(Call.objects.all(), scope).order_by("closes_on", "id")


def grants_for(user: Any) -> QuerySet[Grant]:
    return (
        Grant.objects.visible_to(user)
        .select_related("application__organisation", "programme")
        .annotate(
            paid=grant_ledger_total(LedgerKind.PAY), repaid=grant_ledger_total(LedgerKind.REPAY)
        )
        .order_by("-offered_at", "-id")
    )


def payments_for(user: Any) -> QuerySet[Payment]:
    return (
        Payment.objects.visible_to(user)
        .select_related("grant__application", "grant", "batch")
        .order_by("due_on", "id")
    )


# --- the endpoints --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Programmes (funding categories) and their policy"),
    retrieve=extend_schema(summary="One programme"),
)
class ProgrammeViewSet(ApiReadViewSet[Programme]):
    serializer_class = serializers.ProgrammeSerializer
    filterset_class = filters.ProgrammeFilter

    def get_queryset(self) -> QuerySet[Programme]:
        return programmes_for(programme_scope(self.request))


@extend_schema_view(
    list=extend_schema(summary="Calls for proposals (category 4 deadlines)"),
    retrieve=extend_schema(summary="One call"),
)
class CallViewSet(ApiReadViewSet[Call]):
    serializer_class = serializers.CallSerializer
    filterset_class = filters.CallFilter

    def get_queryset(self) -> QuerySet[Call]:
        return calls_for(programme_scope(self.request))


# What a GET answers: the funder's field set or the staff's, by the caller's role (each exact:
# a body matches one of them only).
GRANT_AS_READ = PolymorphicProxySerializer(
    component_name="GrantAsRead",
    serializers=[serializers.GrantSerializer, serializers.StaffGrantSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(
        responses=GRANT_AS_READ,
        summary="Grants",
        description="Funders read the public field set; staff also the conditions and figures.",
    ),
    retrieve=extend_schema(responses=GRANT_AS_READ, summary="One grant"),
)
@transition_schema(record="grant", answer=serializers.StaffGrantSerializer)
class GrantViewSet(TransitionViewSetMixin, ApiReadViewSet[Grant]):
    serializer_class = serializers.GrantSerializer
    filterset_class = filters.GrantFilter
    # Staff run the transitions of the grant's table (services, and forms as the input).
    transition_specs = GRANT_TRANSITIONS

    def get_queryset(self) -> QuerySet[Grant]:
        return grants_for(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if rules.sees_internal_api_fields(self.request.user):
            return serializers.StaffGrantSerializer
        return serializers.GrantSerializer


@extend_schema_view(
    list=extend_schema(summary="Payments (finance officers and administrators)"),
    retrieve=extend_schema(summary="One payment"),
)
class PaymentViewSet(ApiReadViewSet[Payment]):
    serializer_class = serializers.PaymentSerializer
    filterset_class = filters.PaymentFilter
    permission_classes = [HasApiAccess, MayReadPayments]

    def get_queryset(self) -> QuerySet[Payment]:
        return payments_for(self.request.user)


def budgets_for(user: Any) -> QuerySet[BudgetAllocation]:
    return (
        BudgetAllocation.objects.visible_to(user)
        .select_related("programme__fund")
        .with_balances()
        .order_by("-year", "id")
    )


@extend_schema_view(
    list=extend_schema(
        summary="Budgets per programme and year, with each funder's part (managers, finance "
        "officers and administrators)",
        description="The ledger's balances of each yearly budget, and per funder (the "
        "co-funders of the budget, the lead funder first, or the fund alone) its share and its "
        "parts: each grant's figures split by the shares, every co-funder's part rounded down "
        "to the cent and the lead funder's the rest, so the funders' parts add up to the "
        "budget's figures.",
    ),
    retrieve=extend_schema(summary="One budget"),
)
class BudgetViewSet(ApiReadViewSet[BudgetAllocation]):
    serializer_class = serializers.BudgetSerializer
    filterset_class = filters.BudgetFilter
    permission_classes = [HasApiAccess, MayReadBudgets]

    def get_queryset(self) -> QuerySet[BudgetAllocation]:
        return budgets_for(self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> BaseSerializer[Any]:
        """The funders' figures of the budgets shown (the page, or the one), read at once."""
        shown = args[0] if args else None
        if shown is not None:
            budgets = list(shown) if kwargs.get("many") else [shown]
            balances = {
                budget.pk: {key: getattr(budget, key) for key in ("committed", "paid", "repaid")}
                for budget in budgets
            }
            context = dict(self.get_serializer_context())
            context["funder_figures"] = funder_figures(budgets, balances=balances)
            kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)


# --- 360Giving export (grants.open_data writes the documents) --------------------------------------


class _AnyAccept(BaseContentNegotiation):
    """The file's format is in its address; the Accept header does not change it."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class _OpenDataView(APIView):
    permission_classes = [HasApiAccess]
    content_negotiation_class = _AnyAccept
    content_type = "application/json"
    filename = "360giving.json"

    # The 360Giving schema wants at least one grant in a package; a CSV may have none.
    needs_a_grant = False

    def chunks(self, open_data: Any, grants: QuerySet[Grant]) -> Any:
        raise NotImplementedError

    def get(self, request: Request) -> StreamingHttpResponse:
        from grants import open_data  # written beside this API, imported when first used

        grants = open_data.publishable_grants(programme_scope(request))
        if self.needs_a_grant and not grants.exists():
            raise NotFound(open_data.NO_PUBLISHED_GRANT, code="no_published_grants")
        response = StreamingHttpResponse(
            self.chunks(open_data, grants), content_type=self.content_type
        )
        response["Content-Disposition"] = f'inline; filename="{self.filename}"'
        response["Cache-Control"] = "private, no-cache"
        return response


class OpenDataJsonView(_OpenDataView):
    needs_a_grant = True

    @extend_schema(
        summary="360Giving data package (JSON) of the published grants",
        description="Awarded grants whose applicants consented to publication, within the "
        "token's programmes; streamed. A package holds at least one grant (the 360Giving "
        "schema's `minItems: 1`): with no published grant in scope the answer is 404 with the "
        "problem code `no_published_grants`.",
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT),
            (404, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description="No published grant in the token's programmes."
            ),
        },
        tags=["open-data"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)

    def chunks(self, open_data: Any, grants: QuerySet[Grant]) -> Any:
        return open_data.package_chunks(grants)


class OpenDataCsvView(_OpenDataView):
    content_type = "text/csv; charset=utf-8"
    filename = "360giving.csv"

    @extend_schema(
        summary="360Giving grants, flattened (CSV)",
        description="The same grants as the JSON package, one row each; streamed.",
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
        tags=["open-data"],
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        return super().get(request)

    def chunks(self, open_data: Any, grants: QuerySet[Grant]) -> Any:
        return open_data.csv_chunks(grants)

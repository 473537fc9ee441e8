"""The API's read endpoint of amendments (`/api/v1/amendments/`): requests for change that were
sent, with what they change and the decision. Whoever sees the grant sees them
(`Amendment.objects.visible_to`: staff in their scope, funders through a token within its
programmes); drafts never. Funders read the public field set (the changes and the outcome),
staff also the grantee's explanation, the fund's note, the budget lines and partners asked
for, and the commitment the decision moved."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.serializers import BaseSerializer

from amendments import plan, rules
from amendments.models import Amendment, AmendmentStatus
from grants.api.views import ApiReadViewSet
from workflows.api.filters import (
    IdFilter,
    OrderingFilter,
    QueryFilterSet,
    date_range,
    status_filter,
)


class AmendmentSerializer(serializers.ModelSerializer[Amendment]):
    reference = serializers.CharField(source="grant.application.reference", read_only=True)
    programme = serializers.IntegerField(source="grant.programme_id", read_only=True)
    changes = serializers.SerializerMethodField(
        help_text="what the request changes: dates, budget, partners, raise, reduction"
    )
    start_date_before = serializers.SerializerMethodField()
    end_date_before = serializers.SerializerMethodField()
    amount_before = serializers.SerializerMethodField()

    class Meta:
        model = Amendment
        fields = [
            "id",
            "grant",
            "reference",
            "programme",
            "number",
            "status",
            "changes",
            "start_date_before",
            "start_date",
            "end_date_before",
            "end_date",
            "amount_before",
            "amount",
            "submitted_at",
            "decided_at",
        ]
        read_only_fields = fields

    def _changes(self, amendment: Amendment) -> plan.Changes:
        # Each field of the changes reads the same comparison: made once per amendment.
        cached: plan.Changes | None = getattr(amendment, "_changes", None)
        if cached is None:
            cached = plan.changes_of(amendment)
            amendment._changes = cached  # type: ignore[attr-defined]
        return cached

    def get_changes(self, amendment: Amendment) -> list[str]:
        return [str(kind) for kind in self._changes(amendment).kinds]

    def get_start_date_before(self, amendment: Amendment) -> str:
        return str(self._changes(amendment).before["start_date"])

    def get_end_date_before(self, amendment: Amendment) -> str:
        return str(self._changes(amendment).before["end_date"])

    def get_amount_before(self, amendment: Amendment) -> str:
        return str(self._changes(amendment).before["amount"])


class StaffAmendmentSerializer(AmendmentSerializer):
    class Meta(AmendmentSerializer.Meta):
        fields = [
            *AmendmentSerializer.Meta.fields,
            "reason",
            "decision_note",
            "budget_lines",
            "partners",
            "commitment_change",
        ]
        read_only_fields = fields


class AmendmentFilter(QueryFilterSet):
    # (a draft is never listed: the queryset leaves drafts out)
    status = status_filter(AmendmentStatus.choices)
    grant = IdFilter(field_name="grant", label=_("Grant"))
    programme = IdFilter(field_name="grant__programme", label=_("Programme"))
    submitted_from, submitted_to = date_range("submitted_at__date", _("Sent"))
    ordering = OrderingFilter(fields=("submitted_at", "decided_at", "id"))

    class Meta:
        model = Amendment
        fields: list[str] = []


AMENDMENT_AS_READ = PolymorphicProxySerializer(
    component_name="AmendmentAsRead",
    serializers=[AmendmentSerializer, StaffAmendmentSerializer],
    resource_type_field_name=None,
)


@extend_schema_view(
    list=extend_schema(
        responses=AMENDMENT_AS_READ,
        summary="Amendments (changes after the award)",
        description="Requests sent by grantees and their decisions. Funders read the public "
        "field set; staff also the explanation, the note, the budget lines and partners.",
    ),
    retrieve=extend_schema(responses=AMENDMENT_AS_READ, summary="One amendment"),
)
class AmendmentViewSet(ApiReadViewSet[Amendment]):
    serializer_class = AmendmentSerializer
    filterset_class = AmendmentFilter

    def get_queryset(self) -> QuerySet[Amendment]:
        return (
            Amendment.objects.visible_to(self.request.user)
            .exclude(status=AmendmentStatus.DRAFT)
            .select_related("grant__application")
            .order_by("-id")
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if rules.sees_working_fields(self.request.user):
            return StaffAmendmentSerializer
        return AmendmentSerializer

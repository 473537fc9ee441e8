"""How the funder-side records read in the API. Funders get the public field set; staff more.

Nothing here names a person: no e-mail, no bank data, no names of group members, no one who
accepted or decided (those are in the staff pages).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grants.models import Call, Grant, Payment, Programme


class GranteeSerializer(serializers.Serializer[Any]):
    """The recipient organisation as a funder may see it. An informal group is private persons:
    its name is withheld (null)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()
    legal_form = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True, help_text="ISO 3166-2, e.g. DE-NW; may be empty")
    city = serializers.CharField(read_only=True)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_name(self, organisation: Any) -> str | None:
        return None if organisation.legal_form == "informal_group" else str(organisation.name)


class StaffGranteeSerializer(GranteeSerializer):
    """What staff see of the recipient (addresses, contacts); still no bank data."""

    name = serializers.CharField(read_only=True)  # type: ignore[assignment]
    street = serializers.CharField(read_only=True)
    postcode = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    registration_id = serializers.CharField(read_only=True)


class ProgrammeSerializer(serializers.ModelSerializer[Programme]):
    fund = serializers.CharField(source="fund.short_name", read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "fund",
            "code",
            "name",
            "category",
            "is_active",
            "min_amount",
            "max_amount",
            "max_share",
            "intake",
            "lead_time_days",
            "reviews_required",
            "minimum_score",
            "offer_acceptance_days",
            "report_days_after_end",
            "languages",
            "requires_cross_border_partner",
        ]
        read_only_fields = fields


class CallSerializer(serializers.ModelSerializer[Call]):
    class Meta:
        model = Call
        fields = ["id", "programme", "title", "opens_on", "closes_on"]
        read_only_fields = fields


class GrantSerializer(serializers.ModelSerializer[Grant]):
    reference = serializers.CharField(source="application.reference", read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    category = serializers.IntegerField(source="programme.category", read_only=True)
    organisation = GranteeSerializer(source="application.organisation", read_only=True)
    paid = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="sum of the payments made"
    )
    repaid = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="sum of the repayments received"
    )

    class Meta:
        model = Grant
        fields = [
            "id",
            "application",
            "reference",
            "title",
            "programme",
            "category",
            "status",
            "amount_awarded",
            "final_amount",
            "paid",
            "repaid",
            "project_start",
            "project_end",
            "offered_at",
            "accepted_at",
            "report_due_on",
            "report_submitted_at",
            "closed_at",
            "organisation",
        ]
        read_only_fields = fields


class StaffGrantSerializer(GrantSerializer):
    organisation = StaffGranteeSerializer(source="application.organisation", read_only=True)

    class Meta(GrantSerializer.Meta):
        fields = [
            *GrantSerializer.Meta.fields,
            "conditions",
            "offer_expires_on",
            "ended_reason",
            "actual_expenses",
            "actual_eligible_expenses",
            "actual_other_income",
        ]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    reference = serializers.CharField(source="grant.application.reference", read_only=True)
    programme = serializers.IntegerField(source="grant.programme_id", read_only=True)
    end_to_end_id = serializers.CharField(read_only=True)
    batch = serializers.CharField(
        source="batch.message_id",
        read_only=True,
        allow_null=True,
        help_text="message id of the SEPA batch it was (last) exported in",
    )

    class Meta:
        model = Payment
        fields = [
            "id",
            "grant",
            "reference",
            "programme",
            "kind",
            "trigger",
            "sequence",
            "amount",
            "due_on",
            "status",
            "end_to_end_id",
            "created_at",
            "approved_at",
            "paid_at",
            "batch",
            "failure_reason",
        ]
        read_only_fields = fields

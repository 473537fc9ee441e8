"""How the funder-side records read in the API. Funders get the public field set; staff more.

Nothing a funder reads names a person: no e-mail, no bank data, no names of group members or,
without its consent, of an informal group, no one who accepted or decided (those are in the
staff pages). Staff read the contacts too: an e-mail that may be missing is null, never ""
(which the schema's `format: email` forbids).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from grants.cofunding import FunderFigures
from grants.models import BudgetAllocation, Call, Grant, Payment, Programme
from grants.open_data import Publisher, public_name
from workflows.api.fields import OptionalEmailField


class GranteeSerializer(serializers.Serializer[Any]):
    """The applicant of an application (the serializer reads the application: whether an
    informal group's name may be shown is its declaration) as a funder may see it. An informal
    group is private persons: without its consent its name reads “informal group in <region>”."""

    id = serializers.IntegerField(source="organisation.id", read_only=True)
    name = serializers.SerializerMethodField()
    legal_form = serializers.CharField(source="organisation.legal_form", read_only=True)
    country = serializers.CharField(source="organisation.country", read_only=True)
    region = serializers.CharField(
        source="organisation.region",
        read_only=True,
        help_text="ISO 3166-2, e.g. DE-NW; may be empty",
    )
    city = serializers.CharField(source="organisation.city", read_only=True)

    @extend_schema_field(
        {
            "type": "string",
            "description": "an informal group's only with its consent, otherwise "
            "“informal group in <region or country>” in the language of the request",
        }
    )
    def get_name(self, application: Any) -> str:
        organisation = application.organisation
        return public_name(
            organisation.name,
            legal_form=organisation.legal_form,
            declarations=application.declarations,
            country=organisation.country,
            region=organisation.region,
        )


class StaffGranteeSerializer(GranteeSerializer):
    """What staff see of the applicant (names, addresses, contacts); still no bank data."""

    name = serializers.CharField(source="organisation.name", read_only=True)  # type: ignore[assignment]
    street = serializers.CharField(source="organisation.street", read_only=True)
    postcode = serializers.CharField(source="organisation.postcode", read_only=True)
    email = OptionalEmailField(source="organisation.email")
    registration_id = serializers.CharField(source="organisation.registration_id", read_only=True)


# A name is written once per language (grants/translation.py). `name` (a call's `title`) is the
# one in the reader's language (Accept-Language), else German, French, English, whichever is
# written first; name_de, name_fr, name_en are each language's own, null where none is written.
READER_LANGUAGE = "in the reader's language (Accept-Language), else the first written of German, French, English"  # fmt: skip


def own_language(field: str) -> dict[str, dict[str, str]]:
    return {
        f"{field}_{code}": {"help_text": f"in {name} only (null where none is written)"}
        for code, name in (("de", "German"), ("fr", "French"), ("en", "English"))
    }


class ProgrammeSerializer(serializers.ModelSerializer[Programme]):
    fund = serializers.CharField(
        source="fund.short_name", read_only=True, help_text=f"short name, {READER_LANGUAGE}"
    )

    class Meta:
        model = Programme
        fields = [
            "id",
            "fund",
            "code",
            "name",
            "name_de",
            "name_fr",
            "name_en",
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
        extra_kwargs = {"name": {"help_text": READER_LANGUAGE}, **own_language("name")}


class CallSerializer(serializers.ModelSerializer[Call]):
    class Meta:
        model = Call
        fields = ["id", "programme", "title", "title_de", "title_fr", "title_en", "opens_on", "closes_on"]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {"title": {"help_text": READER_LANGUAGE}, **own_language("title")}


class GrantSerializer(serializers.ModelSerializer[Grant]):
    reference = serializers.CharField(source="application.reference", read_only=True)
    title = serializers.CharField(source="application.title", read_only=True)
    category = serializers.IntegerField(source="programme.category", read_only=True)
    organisation = GranteeSerializer(source="application", read_only=True)
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
    organisation = StaffGranteeSerializer(source="application", read_only=True)

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


# --- budgets and their funders ------------------------------------------------------------------


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, **kwargs)


class FunderFiguresSerializer(serializers.Serializer[FunderFigures]):
    """One funder's part of a budget: a co-funder's, or the fund's own for a budget without
    co-funders (its 360Giving identifier, no country)."""

    funder = serializers.SerializerMethodField(help_text="the funder's org-id")
    name = serializers.CharField(source="financier.name", help_text="in the reader's language")
    country = serializers.SerializerMethodField()
    share = serializers.DecimalField(source="financier.percent", max_digits=5, decimal_places=2, read_only=True, help_text="in percent")  # fmt: skip
    lead = serializers.BooleanField(
        source="financier.lead",
        help_text="the lead funder takes the cents that rounding leaves of each grant",
    )
    allocated = _money()
    committed = _money()
    paid = _money()
    repaid = _money()

    def get_funder(self, figures: FunderFigures) -> str:
        financier = figures.financier
        if financier.funder is not None:
            return financier.funder.identifier
        return Publisher.from_settings().funder(financier.fund.reference_prefix)

    @extend_schema_field({"type": "string", "nullable": True, "description": "ISO code"})
    def get_country(self, figures: FunderFigures) -> str | None:
        funder = figures.financier.funder
        return funder.country if funder is not None else None


class BudgetSerializer(serializers.ModelSerializer[BudgetAllocation]):
    """A programme's budget of one year with its ledger's balances and each funder's part of
    them (`funders`, from the view's context)."""

    allocated = _money(source="amount")
    committed = _money()
    paid = _money()
    repaid = _money()
    remaining = _money()
    funders = serializers.SerializerMethodField()

    class Meta:
        model = BudgetAllocation
        fields = [
            "id",
            "programme",
            "year",
            "released",
            "allocated",
            "committed",
            "paid",
            "repaid",
            "remaining",
            "funders",
        ]
        read_only_fields = fields

    @extend_schema_field(FunderFiguresSerializer(many=True))
    def get_funders(self, budget: BudgetAllocation) -> list[dict[str, Any]]:
        figures = self.context["funder_figures"][budget.pk]
        return list(FunderFiguresSerializer(figures, many=True, context=self.context).data)

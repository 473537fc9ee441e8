"""The applications as the API writes them: funders read a field set without personal data (no
e-mails, bank data, internal notes or names of private persons: an informal group reads
"informal group in <region>" unless it consented to show its name); staff read the working
fields too."""

from __future__ import annotations

from datetime import tzinfo
from types import SimpleNamespace
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.utils import (
    extend_schema_field,
)
from rest_framework import serializers

from applications.models import (
    Application,
    Theme,
    theme_codes_of,
)
from grants.api.serializers import GranteeSerializer, StaffGranteeSerializer
from grants.open_data import public_name
from workflows.api.fields import OptionalEmailField, datetime_text, money_text

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

"""What the finance pages read: payments due (with their filters), batches, open claims."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from grants.models import (
    Payment,
    PaymentBatch,
    PaymentStatus,
    Programme,
    RepaymentClaim,
    RepaymentStatus,
)

COUNTRIES = [("DE", _("Germany")), ("FR", _("France"))]


class PaymentFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"),
        field_name="grant__programme",
        queryset=Programme.objects.order_by("fund", "category"),
    )
    due_by = django_filters.DateFilter(
        label=_("Due by"),
        field_name="due_on",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    amount_from = django_filters.NumberFilter(
        label=_("Amount from (EUR)"), field_name="amount", lookup_expr="gte", min_value=0
    )
    amount_to = django_filters.NumberFilter(
        label=_("Amount to (EUR)"), field_name="amount", lookup_expr="lte", min_value=0
    )
    country = django_filters.ChoiceFilter(
        label=_("Applicant country"),
        field_name="grant__application__organisation__country",
        choices=COUNTRIES,
    )

    class Meta:
        model = Payment
        fields: list[str] = []


def payments_due(user: Any) -> QuerySet[Payment]:
    """Scheduled and approved payments not yet sent that `user` may see, earliest due first,
    with what a row shows."""
    return (
        Payment.objects.visible_to(user)
        .filter(status__in=[PaymentStatus.SCHEDULED, PaymentStatus.APPROVED])
        .select_related(
            "grant__application__organisation", "grant__programme", "approved_by", "batch"
        )
        .order_by("due_on", "pk")
    )


def batches(user: Any) -> QuerySet[PaymentBatch]:
    return PaymentBatch.objects.visible_to(user).select_related("created_by", "exported_by")


def batch_payments(batch: PaymentBatch) -> QuerySet[Payment]:
    return batch.payments.select_related(
        "grant__application__organisation", "approved_by"
    ).order_by("pk")


def open_repayment_claims(user: Any) -> QuerySet[RepaymentClaim]:
    return (
        RepaymentClaim.objects.visible_to(user)
        .filter(status=RepaymentStatus.OPEN)
        .select_related("grant__application__organisation", "grant__programme")
        .order_by("due_on", "pk")
    )

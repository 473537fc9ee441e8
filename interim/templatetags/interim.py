"""`{% interim_report_panel grant %}`: the grant page's part about the interim report (when it is
due, its status, the instalment it released, the link to write or read it);
`{% interim_report_summary grant %}`: the interim report beside the final report. Rendered by
this app, so that the applicant side's and the review workspace's pages need no import of it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import template

from grants.models import Payment, PaymentTrigger
from interim import rules, selectors, services
from interim.models import InterimReport, InterimStatus

register = template.Library()


@register.inclusion_tag("interim/_grant_panel.html", takes_context=True)
def interim_report_panel(context: dict[str, Any], grant: Any) -> dict[str, Any]:
    return {"grant": grant, "panel": selectors.panel_for(grant, context["request"].user)}


@dataclass(frozen=True)
class Summary:
    report: InterimReport
    spent: Decimal
    payment: Payment | None


@register.inclusion_tag("interim/_summary.html", takes_context=True)
def interim_report_summary(context: dict[str, Any], grant: Any) -> dict[str, Any]:
    """The grant's interim report, once sent, for a reader of its final report."""
    if grant.interim_report_due_on is None:
        return {"summary": None}  # none was owed (a report sent keeps its due date)
    user = context["request"].user
    report = services.existing_report(grant)
    if report is None or report.status == InterimStatus.DRAFT or not rules.may_read(grant, user):
        return {"summary": None}
    payment = (
        Payment.objects.filter(grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)
        .order_by("sequence")
        .first()
    )
    return {"summary": Summary(report, services.spent_so_far(report), payment)}

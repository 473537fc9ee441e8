"""The amendment letter (Änderungsbescheid / avenant à la convention): what changes in the grant
agreement, the payment plan that follows, the reporting duty with its new deadline.

Rendered by the applications app's document machinery (`applications.documents`: bilingual
parts, the print stylesheet, storage with its SHA-256 and the audit row of the approval); this
module builds the context of the kind `amendment`, registered when the app is ready.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models.functions import Cast

from amendments import plan
from amendments.models import Amendment
from applications.documents import DocumentError, common_context
from applications.models import Application, DocumentKind
from grants.models import Grant, PaymentStatus, RepaymentClaim
from grants.money import ZERO
from grants.services import SENT_PAYMENT_STATES
from workflows.models import TransitionLog


@dataclass(frozen=True)
class PlannedPayment:
    """One line of the payment plan after the amendment."""

    label: Any
    amount: Decimal
    status: Any


def amendment_of(log: TransitionLog | None) -> Amendment:
    """The approved amendment whose audit row caused the letter."""
    if log is None or log.transition != "approve" or log.content_type.model != "amendment":
        raise DocumentError("An amendment letter needs the audit row of the approval.")
    return Amendment.objects.select_related("grant__programme").get(pk=log.object_id)


def payment_plan(grant: Grant) -> tuple[list[PlannedPayment], Decimal, Decimal]:
    """The payments made and planned (none cancelled), what they add up to, and what remains
    for the final settlement (up to the amount awarded)."""
    rows = []
    total = ZERO
    for payment in grant.payments.exclude(status=PaymentStatus.CANCELLED).order_by("sequence"):
        total += payment.amount
        status = payment.get_status_display() if payment.status not in SENT_PAYMENT_STATES else None
        rows.append(PlannedPayment(payment.get_kind_display(), payment.amount, status))
    return rows, total, max(ZERO, grant.amount_awarded - total)


def letter_causes(
    applications: Any, *, since: Any = None, missing_only: bool = False
) -> list[tuple[int, int, int]]:
    """The approvals of amendments of `applications`' grants, oldest first, as (application id,
    audit row id, grant id): the causes of amendment letters (`generate_documents`)."""
    amendments = Amendment.objects.filter(grant__application__in=applications)
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Amendment),
        transition="approve",
        object_id__in=amendments.annotate(text_id=Cast("pk", CharField())).values("text_id"),
    )
    if since is not None:
        logs = logs.filter(created_at__gte=since)
    if missing_only:
        logs = logs.exclude(documents__kind=DocumentKind.AMENDMENT)
    rows = list(logs.order_by("id").values_list("pk", "object_id"))
    owners = dict(
        amendments.filter(pk__in=[int(o) for _pk, o in rows]).values_list(
            "pk", "grant__application_id"
        )
    )
    grants = dict(amendments.values_list("pk", "grant_id"))
    return [(owners[int(o)], pk, grants[int(o)]) for pk, o in rows]


def amendment_context(
    application: Application,
    *,
    grant: Grant | None,
    log: TransitionLog | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The letter's context: the changes (period, amount, budget by category, partners), the
    payment plan after them (what was paid stays paid), a repayment claim when the new amount is
    below what was paid, and the final report's new deadline."""
    amendment = amendment_of(log)
    grant = grant or amendment.grant
    changes = plan.changes_between(amendment.previous, plan.proposed_plan(amendment))
    payments, planned_total, at_settlement = payment_plan(grant)
    report_days = grant.programme.report_days_after_end
    claim: RepaymentClaim | None = amendment.repayment_claim
    return {
        **common_context(application, DocumentKind.AMENDMENT, log=log, language=language),
        "grant": grant,
        "amendment": amendment,
        "changes": changes,
        "expense_changes": [c for c in changes.categories if c.side == plan.EXPENSE],
        "income_changes": [c for c in changes.categories if c.side == plan.INCOME],
        "eligible_before": plan.eligible_expenses(changes.before["budget_lines"]),
        "eligible_after": plan.eligible_expenses(changes.after["budget_lines"]),
        "payments": payments,
        "planned_total": planned_total,
        "at_settlement": at_settlement,
        "repayment_claim": claim,
        "report_days": report_days,
        "report_due_on": grant.project_end + timedelta(days=report_days),
        "share_percent": (grant.max_share * 100).quantize(Decimal("1")),
        "conditions": amendment.decision_note,
    }

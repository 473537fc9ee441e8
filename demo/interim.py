"""Interim reports as a grantee writes them and a reviewer checks them, through the real services:
for the demo data (`seed_demo` shows a category-3 grant whose interim report was accepted and
released its tranche), the tests and the benchmarks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from demo import builders as demo
from grants import services as grant_services
from grants.models import Grant, GrantStatus, PaymentStatus
from grants.money import cents
from interim import rules as interim_rules
from interim import services
from interim.models import InterimReport, InterimStatus
from reviews import interim_checks
from reviews import services as review_services
from workflows import clock

PROGRESS = (
    "Das erste Treffen in Lyon hat stattgefunden: 28 Teilnehmende, zwei Workshops zur "
    "Stadtgeschichte. Der Gegenbesuch in Köln ist für den Herbst gebucht. / La première rencontre "
    "à Lyon a eu lieu ; la visite retour à Cologne est réservée."
)


def write_interim_report(
    grant: Grant,
    *,
    by: Any,
    progress: str = PROGRESS,
    spent: dict[str, Decimal] | None = None,
    send: bool = True,
) -> InterimReport:
    """The grantee's interim report: the progress text and, unless `spent` says otherwise, half
    of each planned expense category spent; sent unless `send` is false."""
    report = services.interim_report_for(grant, by=by)
    planned = services.planned_expenses(grant)
    amounts = spent if spent is not None else {c: cents(a / 2) for c, a in planned.items()}
    report = services.save_interim_report(
        report,
        by=by,
        progress=progress,
        spending=[
            {"category": category, "amount": amount, "comment": ""}
            for category, amount in amounts.items()
        ],
    )
    return services.submit_interim_report(report, by=by) if send else report


def accept_through_the_queue(report: InterimReport, *, reviewer: Any) -> InterimReport:
    """The reviewer accepts the report from its task (opened as the side effect would)."""
    task = review_services.open_interim_check(report)
    interim_checks.accept_interim_report(task, by=reviewer)
    return InterimReport.objects.get(pk=report.pk)


def seed_interim_report(cast: demo.Cast, members: dict[int, Any]) -> Grant | None:
    """Once per database: of the seeded grants that owe an interim report, the one furthest into
    its project (`seed_demo` plans one of category 3 halfway through today) gets its advance
    paid, its interim report sent by a member and accepted from the queue, and the tranche it
    releases scheduled for finance. None when the demo has an accepted one already, or no grant
    owes one (`members`: an applicant per organisation id)."""
    if InterimReport.objects.filter(status=InterimStatus.ACCEPTED).exists():
        return None
    grant = (
        Grant.objects.filter(
            status=GrantStatus.ACCEPTED,
            interim_report_due_on__isnull=False,
            interim_report__isnull=True,
            application__organisation_id__in=list(members),
            project_start__lte=clock.today(),
        )
        .select_related("application")
        .order_by("project_start", "pk")
        .first()
    )
    if grant is None:
        return None
    for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
        grant_services.record_payment_paid(payment, by=cast.finance)
    report = write_interim_report(grant, by=members[grant.application.organisation_id])
    reviewer = next(
        r for r in (cast.reviewer2, cast.reviewer) if interim_rules.can_accept(report, r)
    )
    accept_through_the_queue(report, reviewer=reviewer)
    return grant

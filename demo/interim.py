"""Interim reports as a grantee writes them and a reviewer checks them, through the real services:
for the demo data (`seed_demo` shows a category-3 grant whose interim report was accepted and
released its tranche), the tests and the benchmarks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from demo import builders as demo
from demo.reviews import ReviewSteps
from grants import services as grant_services
from grants.models import Grant, PaymentStatus, Programme
from grants.money import cents
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
# A category-3 project of the demo (an interim report halfway, a tranche that waits for it).
DEMO_AMOUNT = Decimal("12000.00")
DEMO_TITLE = "Stadtgeschichte erzählen / Raconter l'histoire de la ville"


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


def seed_interim_report(cast: demo.Cast) -> Grant | None:
    """Once per database: a category-3 project of the cast's organisation that runs now, its
    advance paid, its interim report sent and accepted, and the tranche it released scheduled
    for finance. None when the demo has one already (or no programme reports halfway)."""
    if InterimReport.objects.filter(status=InterimStatus.ACCEPTED).exists():
        return None
    programme = Programme.objects.filter(fund=cast.fund, code="cat-3").first()
    if programme is None or programme.interim_report == "none":
        return None
    # Submitted early enough for the project to run today, halfway through.
    submitted_on = clock.today() - timedelta(days=demo.LEAD_DAYS + demo.PROJECT_DAYS // 2)
    application = demo.drive(
        cast,
        "approved",
        "accepted",
        submitted_on=submitted_on,
        requested=DEMO_AMOUNT,
        title=DEMO_TITLE,
        steps=ReviewSteps(cast),
    )
    grant = Grant.objects.get(application=application)
    for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
        grant_services.record_payment_paid(payment, by=cast.finance)
    report = write_interim_report(grant, by=cast.applicant)
    accept_through_the_queue(report, reviewer=cast.reviewer2)
    return grant

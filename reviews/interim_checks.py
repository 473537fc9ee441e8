"""The interim report check: a reviewer accepts the grantee's interim report (which releases the
payment plan's tranche that waits for it) or asks for changes.

Each outcome is one transaction: the report's audited transition (`interim.services`) and the
task marked done. A report sent again opens a new round through the side effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from grants import services as grant_services
from grants.models import Grant, Payment
from interim import rules as interim_rules
from interim import services as interim_services
from interim.models import InterimReport, InterimStatus
from interim.services import SpendingRow
from reviews import rules, services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from reviews.report_checks import ACCEPTED, CHANGES_REQUESTED
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.roles import Role, has_role


class PayerMayNotAccept(TransitionForbidden):
    """Four-eyes with the payer: who recorded a payment of the grant does not accept the report
    that releases another."""

    code = "four_eyes_payer"

    def default_message(self) -> object:
        return _(
            "You recorded a payment of this grant, so someone else must accept its interim report."
        )


@transaction.atomic
def accept_interim_report(task: ReviewTask, *, by: Any, note: str = "") -> ReviewTask:
    """Accept the interim report: the tranche that waits for it is scheduled for payment, and
    the task is completed; returns the completed task."""
    locked, report = _take(task, by=by)
    if interim_rules.recorded_a_payment(report, by):
        raise PayerMayNotAccept()
    interim_services.accept_interim_report(report, by=by, note=note)
    return services.complete_task(locked, by=by, outcome=ACCEPTED)


@transaction.atomic
def request_interim_changes(
    task: ReviewTask, *, by: Any, message: str, reply_by: date, note: str = ""
) -> ReviewTask:
    """Send the interim report back to the grantee with a message and a reply date, and complete
    the task; returns the completed task."""
    locked, report = _take(task, by=by)
    interim_services.request_interim_changes(
        report, by=by, message=message, reply_by=reply_by, note=note
    )
    return services.complete_task(locked, by=by, outcome=CHANGES_REQUESTED)


def _take(task: ReviewTask, *, by: Any) -> tuple[ReviewTask, InterimReport]:
    """The task locked and held by `by` (claimed now if it was open), with the interim report
    waiting for the check; otherwise a refusal that says why."""
    if not has_role(by, Role.REVIEWER):
        raise TransitionForbidden()
    locked = (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("application__organisation", "grant")
        .get(pk=task.pk)
    )
    report = (
        InterimReport.objects.filter(grant_id=locked.grant_id).select_related("grant").first()
        if locked.grant_id is not None
        else None
    )
    if locked.kind != TaskKind.INTERIM_CHECK or report is None:
        raise WorkflowError(
            _("This task is not the check of an interim report."), code="wrong_task"
        )
    if locked.status == TaskStatus.DONE:
        raise WorkflowError(_("This interim report check has already been completed."), code="task_done")  # fmt: skip
    if locked.status == TaskStatus.CANCELLED:
        raise WorkflowError(
            _("This interim report check was closed: the report is no longer waiting for it."),
            code="task_cancelled",
        )
    if report.status != InterimStatus.SUBMITTED:
        raise WorkflowError(
            _("The interim report is not waiting for a check (its status: %(status)s).")
            % {"status": report.get_status_display()},
            code="interim_not_submitted",
        )
    if not rules.may_work_on(locked, by):
        raise TransitionForbidden()
    if locked.status == TaskStatus.OPEN:
        return services.claim(locked, by=by), report
    if locked.assignee_id != by.pk:
        raise TransitionForbidden(_("This interim report check is claimed by someone else."))
    return locked, report


# --- reads for the page --------------------------------------------------------------------------


@dataclass(frozen=True)
class InterimCheckDetails:
    """Everything the interim check page shows, read with a fixed number of queries."""

    task: ReviewTask
    grant: Grant
    report: InterimReport | None
    rows: list[SpendingRow]
    spent: Decimal
    payments: list[Payment]
    tranche: Decimal  # what accepting now would release

    @property
    def waiting(self) -> bool:
        return self.report is not None and self.report.status == InterimStatus.SUBMITTED

    def paid_by(self, user: Any) -> bool:
        """`user` recorded one of the grant's payments (four-eyes: they may not accept)."""
        pk = getattr(user, "pk", None)
        return pk is not None and any(p.recorded_paid_by_id == pk for p in self.payments)


def interim_check_task(pk: int, user: Any) -> ReviewTask | None:
    """The interim check task `pk` with what its page shows, if `user` may see it
    (reviews.rules.tasks_visible_to)."""
    return (
        ReviewTask.objects.visible_to(user)
        .filter(pk=pk, kind=TaskKind.INTERIM_CHECK, grant__isnull=False)
        .select_related("application__organisation", "programme", "assignee", "grant__programme")
        .first()
    )


def interim_check_details(task: ReviewTask) -> InterimCheckDetails:
    """The grant, its interim report with its lines, plan beside spending, the payments and the
    tranche an acceptance releases."""
    grant = task.grant
    assert grant is not None
    grant.application = task.application
    prefetch_related_objects([task.application], "budget_lines")  # the plan, read once
    report = interim_services.existing_report(grant)
    if report is not None and report.status == InterimStatus.DRAFT:
        report = None  # a draft is its organisation's alone
    payments = list(
        Payment.objects.filter(grant=grant).select_related("recorded_paid_by").order_by("sequence")
    )
    waiting = report is not None and report.status == InterimStatus.SUBMITTED
    return InterimCheckDetails(
        task=task,
        grant=grant,
        report=report,
        rows=interim_services.spending_rows(report, grant) if report is not None else [],
        spent=interim_services.spent_so_far(report) if report is not None else Decimal("0.00"),
        payments=payments,
        tranche=grant_services.interim_tranche_due(grant) if waiting else Decimal("0.00"),
    )

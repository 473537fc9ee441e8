"""The report check: a reviewer accepts the grantee's final report or asks for changes.

Each outcome is one transaction: the grant's audited transition (acceptance settles the grant:
final entitlement, balance payment or repayment claim, release of the unneeded budget) and the
task marked done. A report sent again opens a new round through the existing side effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext_lazy as _

from applications import reporting
from applications.models import BudgetLine, Report
from applications.reporting import CategoryFigures, ReportFigures, Settlement
from grants import rules as grant_rules
from grants import services as grant_services
from grants.models import Grant, GrantStatus, Payment
from grants.money import ZERO
from grants.services import SENT_PAYMENT_STATES
from reviews import rules, services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.roles import Role, has_role

ACCEPTED = "accepted"
CHANGES_REQUESTED = "changes_requested"


class PayerMayNotAccept(TransitionForbidden):
    """Four-eyes with the payer: who recorded a payment of the grant does not accept its report."""

    code = "four_eyes_payer"

    def default_message(self) -> object:
        return _("You recorded a payment of this grant, so someone else must accept its report.")


def recorded_a_payment(grant: Grant, user: Any) -> bool:
    """`user` is a reviewer the grant's rule refuses: they recorded one of its payments."""
    return has_role(user, Role.REVIEWER) and not grant_rules.can_accept_report(grant, user)


@transaction.atomic
def accept_report(task: ReviewTask, *, by: Any, note: str = "") -> ReviewTask:
    """Accept the final report: settles the grant (balance payment or repayment claim,
    unneeded budget released) and completes the task; returns the completed task."""
    locked = _take(task, by=by)
    assert locked.grant is not None  # _take refuses a task without a grant
    if recorded_a_payment(locked.grant, by):
        raise PayerMayNotAccept()
    grant_services.accept_report(locked.grant, by=by, note=note)
    return services.complete_task(locked, by=by, outcome=ACCEPTED)


@transaction.atomic
def request_report_changes(
    task: ReviewTask, *, by: Any, message: str, reply_by: date, note: str = ""
) -> ReviewTask:
    """Send the report back to the grantee with a message and a reply date (the grant is due for
    its report again) and complete the task; returns the completed task."""
    locked = _take(task, by=by)
    assert locked.grant is not None
    grant_services.request_report_changes(
        locked.grant, by=by, message=message, reply_by=reply_by, note=note
    )
    return services.complete_task(locked, by=by, outcome=CHANGES_REQUESTED)


def _take(task: ReviewTask, *, by: Any) -> ReviewTask:
    """The task locked and held by `by` (claimed now if it was open), its grant waiting for the
    check; otherwise a refusal that says why."""
    if not has_role(by, Role.REVIEWER):
        raise TransitionForbidden()
    locked = (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("application__organisation", "grant")
        .get(pk=task.pk)
    )
    if locked.kind != TaskKind.REPORT_CHECK or locked.grant is None:
        raise WorkflowError(_("This task is not the check of a final report."), code="wrong_task")
    if locked.status == TaskStatus.DONE:
        raise WorkflowError(_("This report check has already been completed."), code="task_done")
    if locked.status == TaskStatus.CANCELLED:
        raise WorkflowError(
            _("This report check was closed: the report is no longer waiting for it."),
            code="task_cancelled",
        )
    if locked.grant.status != GrantStatus.REPORT_SUBMITTED:
        raise WorkflowError(
            _("The report is not waiting for a check (status of the grant: %(status)s).")
            % {"status": locked.grant.get_status_display()},
            code="report_not_submitted",
        )
    if not rules.may_work_on(locked, by):
        raise TransitionForbidden()
    if locked.status == TaskStatus.OPEN:
        return services.claim(locked, by=by)
    if locked.assignee_id != by.pk:
        raise TransitionForbidden(_("This report check is claimed by someone else."))
    return locked


# --- reads for the page --------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckedCategory:
    """One category of the report beside the plan, with the grantee's comment on it."""

    figures: CategoryFigures
    comment: str

    @property
    def receipts_mismatch(self) -> bool:
        return self.figures.side == BudgetLine.Side.EXPENSE and self.figures.unreceipted != 0

    @property
    def receipts_gap(self) -> Decimal:
        return abs(self.figures.unreceipted)


@dataclass(frozen=True)
class ReportCheckDetails:
    """Everything the report check page shows, read with a fixed number of queries."""

    task: ReviewTask
    grant: Grant
    report: Report | None
    figures: ReportFigures | None
    expenses: list[CheckedCategory]
    income: list[CheckedCategory]
    participants: list[tuple[str, int | None]]
    payments: list[Payment]
    settlement: Settlement

    @property
    def mismatches(self) -> int:
        return sum(1 for row in self.expenses if row.receipts_mismatch)

    def paid_by(self, user: Any) -> bool:
        """`user` recorded one of the grant's payments (four-eyes: they may not accept)."""
        pk = getattr(user, "pk", None)
        return pk is not None and any(p.recorded_paid_by_id == pk for p in self.payments)


def report_check_task(pk: int, user: Any) -> ReviewTask | None:
    """The report check task `pk` with what its page shows of the application and grant, if
    `user` may see it (reviews.rules.tasks_visible_to)."""
    return (
        ReviewTask.objects.visible_to(user)
        .filter(pk=pk, kind=TaskKind.REPORT_CHECK, grant__isnull=False)
        .select_related("application__organisation", "programme", "assignee", "grant")
        .first()
    )


def report_check_details(task: ReviewTask) -> ReportCheckDetails:
    """The grant, its report with lines and receipts, plan vs actual, payments and balance."""
    grant = task.grant
    assert grant is not None
    grant.application = task.application
    prefetch_related_objects([task.application], "budget_lines")  # the plan, read once
    report = reporting.existing_report(grant)
    payments = list(
        Payment.objects.filter(grant=grant).select_related("recorded_paid_by").order_by("sequence")
    )
    paid = sum((p.amount for p in payments if p.status in SENT_PAYMENT_STATES), ZERO)
    if report is None:  # only the totals were submitted (API or admin): the grant's own figures
        return ReportCheckDetails(
            task=task,
            grant=grant,
            report=None,
            figures=None,
            expenses=[],
            income=[],
            participants=[],
            payments=payments,
            settlement=Settlement(entitlement=grant.entitlement(), paid=paid),
        )
    numbers = reporting.figures(report)
    comments = {(line.side, line.category): line.comment for line in report.lines.all()}

    def checked(rows: list[CategoryFigures]) -> list[CheckedCategory]:
        return [CheckedCategory(row, comments.get((row.side, row.category), "")) for row in rows]

    return ReportCheckDetails(
        task=task,
        grant=grant,
        report=report,
        figures=numbers,
        expenses=checked(numbers.expenses),
        income=checked(numbers.income),
        participants=[row for row in reporting.participants_rows(report) if row[1] is not None],
        payments=payments,
        settlement=Settlement(entitlement=numbers.entitlement, paid=numbers.paid),
    )

"""Writes of interim reports: the grantee's draft (created on first use, saved as typed, sent),
the reviewer's check (accept, which releases the payment plan's tranche that waits for it, or
ask for changes) and the system's closing of a report the grant's settlement made moot. Every
status change goes through `workflows.perform()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from applications.models import Application, ExpenseCategory
from applications.reporting import CATEGORY_LABELS, planned_by_category
from grants import services as grant_services
from grants.models import Grant, GrantStatus, Payment
from grants.money import ZERO, cents, parse_amount
from interim import rules
from interim.models import (
    COMMENT_TEXT,
    PROGRESS_MISSING,
    PROGRESS_TEXT,
    InterimReport,
    InterimSpending,
    InterimStatus,
)
from workflows import perform
from workflows.engine import starting_step
from workflows.errors import InvalidInput, TransitionConflict, TransitionForbidden, WorkflowError
from workflows.text import clean_text

EXPENSE = "expense"
Errors = dict[str, list[Any]]

NO_INTERIM_REPORT = _(
    "This grant has no interim report: its programme asks for none, or the project is too "
    "short for one. The final report covers the whole project."
)


class InterimNotEditable(WorkflowError):
    code = "interim_not_editable"
    http_status = 409


# --- who may change it now, in words -------------------------------------------------------------


def check_editable(grant: Grant, by: Any, report: InterimReport | None = None) -> None:
    """Refuse, saying why, unless `by` may write and send the grant's interim report now: a
    member of the grantee organisation, while the project runs and the report waits for them
    (not started, a draft, or sent back for changes)."""
    if not rules.may_write(grant, by):
        raise TransitionForbidden()
    if grant.interim_report_due_on is None:
        raise InterimNotEditable(NO_INTERIM_REPORT)
    if grant.status == GrantStatus.OFFERED:
        raise InterimNotEditable(_("The interim report can be written once the grant is accepted."))
    if grant.status != GrantStatus.ACCEPTED:
        raise InterimNotEditable(
            _(
                "The project has ended: the final report covers all of it, so the interim "
                "report can no longer be written or sent."
            )
        )
    status = report.status if report is not None else _status_of(grant)
    if status == InterimStatus.SUBMITTED:
        raise InterimNotEditable(
            _("The interim report has been sent and is being checked; it cannot be changed.")
        )
    if status == InterimStatus.ACCEPTED:
        raise InterimNotEditable(
            _("The interim report has been accepted; it can no longer be changed.")
        )
    if status == InterimStatus.CLOSED:
        raise InterimNotEditable(_("The interim report has been closed; it cannot be changed."))


def may_edit(grant: Grant, user: Any) -> bool:
    try:
        check_editable(grant, user)
    except WorkflowError:
        return False
    return True


def _status_of(grant: Grant) -> str | None:
    return InterimReport.objects.filter(grant_id=grant.pk).values_list("status", flat=True).first()


def check_documents_may_change(application: Application, user: Any) -> None:
    """The rule of the interim report's documents (`applications.attachments`): as the report,
    said as a refusal."""
    grant = (
        Grant.objects.filter(application_id=application.pk)
        .select_related("application__organisation", "programme")
        .first()
    )
    if grant is None:
        raise TransitionForbidden(NO_INTERIM_REPORT, code="interim_not_editable")
    try:
        check_editable(grant, user)
    except InterimNotEditable as refusal:
        raise TransitionForbidden(refusal.message, code=refusal.code) from None


# --- reads ---------------------------------------------------------------------------------------


def existing_report(grant: Grant) -> InterimReport | None:
    """The grant's interim report with its lines, or None."""
    report = InterimReport.objects.filter(grant=grant).prefetch_related("spending").first()
    if report is not None:
        report.grant = grant  # the caller's copy, with what it has read already
    return report


def planned_expenses(grant: Grant) -> dict[str, Decimal]:
    """The plan's expenses per category (the application carries the plan in force)."""
    return {
        category: amount
        for (side, category), amount in planned_by_category(grant.application).items()
        if side == EXPENSE
    }


def spent_so_far(report: InterimReport) -> Decimal:
    """What the report says was spent so far, in all categories."""
    return cents(sum((line.amount for line in report.spending.all()), ZERO))


@dataclass(frozen=True)
class SpendingRow:
    """One expense category: planned, spent so far, what is left, the grantee's comment."""

    category: str
    label: Any
    planned: Decimal
    spent: Decimal
    comment: str

    @property
    def left(self) -> Decimal:
        return self.planned - self.spent


def spending_rows(report: InterimReport | None, grant: Grant) -> list[SpendingRow]:
    """Plan beside spending so far, in the categories' order: the plan's, then any added."""
    planned = planned_expenses(grant)
    lines = {line.category: line for line in report.spending.all()} if report else {}
    order = {category: i for i, category in enumerate(ExpenseCategory.values)}
    categories = sorted(set(planned) | set(lines), key=lambda c: order.get(c, 99))
    return [
        SpendingRow(
            category=category,
            label=CATEGORY_LABELS.get((EXPENSE, category), category),
            planned=planned.get(category, ZERO),
            spent=lines[category].amount if category in lines else ZERO,
            comment=lines[category].comment if category in lines else "",
        )
        for category in categories
    ]


def submission_problems(report: InterimReport) -> Errors:
    """What keeps the report from being sent, by field."""
    if not (report.progress or "").strip():
        return {"progress": [PROGRESS_MISSING]}
    return {}


# --- the grantee's draft -------------------------------------------------------------------------


def interim_report_for(grant: Grant, *, by: Any) -> InterimReport:
    """The grant's interim report; the grantee's first use creates the draft, with a line per
    expense category of the plan."""
    report = existing_report(grant)
    if report is not None:
        if not rules.may_read(grant, by) or not rules.sees_draft(report, by):
            raise TransitionForbidden()
        return report
    check_editable(grant, by)
    with transaction.atomic():
        try:
            with transaction.atomic():
                report = InterimReport.objects.create(grant=grant, created_by=by)
        except IntegrityError:  # a second tab created it a moment ago
            found = existing_report(grant)
            assert found is not None
            return found
        InterimSpending.objects.bulk_create(
            InterimSpending(report=report, category=category)
            for category in planned_expenses(grant)
        )
    return existing_report(grant) or report


def _lock(report: InterimReport) -> InterimReport:
    """The report's row, locked, with a fresh grant (its status decides what is allowed)."""
    return (
        InterimReport.objects.select_related("grant__application__organisation", "grant__programme")
        .select_for_update(of=("self",))
        .get(pk=report.pk)
    )


@dataclass(frozen=True)
class CleanReport:
    progress: str
    spending: list[dict[str, Any]]


def clean_input(*, progress: Any, spending: Any) -> CleanReport:
    """The typed report, cleaned; or ValidationError naming each field at fault (`progress`,
    `spending.<row>.<field>`)."""
    errors: Errors = {}
    text = ""
    try:
        text = clean_text(progress, field="progress", max_length=PROGRESS_TEXT)
    except InvalidInput as error:
        errors["progress"] = [error.message]
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, row in enumerate(spending or []):
        key = f"spending.{index}"
        category = row.get("category")
        if category not in ExpenseCategory.values:
            errors[f"{key}.category"] = [_("Please choose an expense category of the budget.")]
            continue
        if category in seen:
            errors[f"{key}.category"] = [_("This category is listed twice.")]
            continue
        seen.add(category)
        amount: Decimal | None = ZERO
        raw = row.get("amount")
        if raw is not None and str(raw).strip():
            try:
                amount = parse_amount(raw, label=_("The amount spent so far"))
            except WorkflowError as error:
                errors[f"{key}.amount"] = [error.message]
                amount = None
        comment = ""
        try:
            comment = clean_text(row.get("comment"), field="comment", max_length=COMMENT_TEXT)
        except InvalidInput as error:
            errors[f"{key}.comment"] = [error.message]
        if amount is not None:
            rows.append({"category": category, "amount": amount, "comment": comment})
    if errors:
        raise ValidationError(errors)
    return CleanReport(progress=text, spending=rows)


@transaction.atomic
def save_interim_report(
    report: InterimReport, *, by: Any, progress: str, spending: Sequence[Mapping[str, Any]]
) -> InterimReport:
    """Save the draft as typed, all or nothing: every value is checked first (ValidationError
    by field). Lines replace the saved ones; the plan's categories stay, an added one left
    empty goes."""
    locked = _lock(report)
    check_editable(locked.grant, by, locked)
    clean = clean_input(progress=progress, spending=spending)
    locked.progress = clean.progress
    try:
        locked.save(update_fields=["progress", "updated_at"])
    except ConcurrentTransition as exc:
        raise TransitionConflict() from exc
    planned = set(planned_expenses(locked.grant))
    existing = {line.category: line for line in locked.spending.all()}
    changed, new = [], []
    for row in clean.spending:
        if row["category"] not in planned and not row["amount"] and not row["comment"]:
            continue  # an added category left empty goes (below, if it was saved)
        line = existing.pop(row["category"], None)
        if line is None:
            new.append(InterimSpending(report=locked, **row))
            continue
        line.amount, line.comment = row["amount"], row["comment"]
        changed.append(line)
    if changed:
        InterimSpending.objects.bulk_update(changed, ["amount", "comment"])
    InterimSpending.objects.bulk_create(new)
    dropped = [line.pk for category, line in existing.items() if category not in planned]
    if dropped:
        InterimSpending.objects.filter(pk__in=dropped).delete()
    return locked


@transaction.atomic
def submit_interim_report(report: InterimReport, *, by: Any, note: str = "") -> InterimReport:
    """Send the report to the fund (again, after a request for changes); its check opens in the
    review workspace after the commit. ValidationError (by field) while something is missing."""
    locked = _lock(report)
    check_editable(locked.grant, by, locked)
    problems = submission_problems(locked)
    if problems:
        raise ValidationError(problems)
    step = "resubmit" if locked.status == InterimStatus.CHANGES_REQUESTED else "submit"
    return perform(locked, step, by=by, note=note, spent=str(spent_so_far(locked)))


# --- the reviewer's check ------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    report: InterimReport
    payment: Payment | None  # the instalment released, if the plan has one due


@transaction.atomic
def accept_interim_report(report: InterimReport, *, by: Any, note: str = "") -> Accepted:
    """Accept the report and release the payment plan's tranche that waits for it (once: the
    report is accepted once, under the grant's lock).

    Locks in the order the other writers of the grant's money take them: the grant, its
    payments, then (through perform) the report and the audit chain."""
    grant = (
        Grant.objects.select_for_update(of=("self",))
        .select_related("programme")
        .get(pk=report.grant_id)
    )
    grant_services.lock_payments(grant)
    current = InterimReport.objects.get(pk=report.pk)
    starting_step(current, "accept")  # refused in words before anything is computed
    tranche = grant_services.interim_tranche_due(grant)
    accepted = perform(current, "accept", by=by, note=note, tranche=str(tranche))
    payment = grant_services.release_interim_tranche(grant, by=by)
    return Accepted(accepted, payment)


def request_interim_changes(
    report: InterimReport, *, by: Any, message: str, reply_by: date, note: str = ""
) -> InterimReport:
    """Send the report back to the grantee with what to change and by when."""
    return perform(report, "request_changes", by=by, note=note, message=message, reply_by=reply_by)


def close_interim_report(report: InterimReport, *, by: Any = None) -> InterimReport:
    """System: the grant was settled, revoked or cancelled before the report was accepted."""
    return perform(report, "close", by=by)

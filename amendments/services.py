"""Writes of amendments: the grantee's draft, its sending and withdrawal, the manager's decision
and what an approval changes (the grant's amount and period, its payment plan and budget
commitment, the application's plan). Every status change goes through `workflows.perform()`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from amendments import plan, rules
from amendments.models import WHY_TEXT, Amendment, AmendmentStatus, grant_is_running
from applications import rules as application_rules
from applications.models import Application, BudgetLine, Partner
from grants import services as grant_services
from grants.models import Grant, GrantStatus
from grants.money import parse_amount
from workflows import clock, perform
from workflows.engine import starting_step
from workflows.errors import (
    RuleViolation,
    TransitionConflict,
    TransitionForbidden,
    TransitionNotAllowed,
    WorkflowError,
)
from workflows.roles import Role, has_role
from workflows.text import clean_text

NOT_RUNNING = _(
    "Changes can only be asked for while the project runs (grant accepted); this grant is "
    "%(status)s."
)


class FourEyesRefusal(TransitionForbidden):
    code = "four_eyes"


def _not_running(grant: Grant) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        NOT_RUNNING % {"status": grant.get_status_display()}, code="grant_not_running"
    )


# --- the grantee's draft -------------------------------------------------------------------------


@transaction.atomic
def start_amendment(grant: Grant, *, by: Any) -> Amendment:
    """The grant's open request (a draft or one waiting for a decision), or a new draft holding
    the grant's plan as it stands (period, amount, budget lines, partners)."""
    if not rules.may_ask(grant, by):
        raise TransitionForbidden()
    locked = (
        Grant.objects.select_for_update(no_key=True, of=("self",))
        .select_related("application")
        .get(pk=grant.pk)
    )
    existing = locked.amendments.filter(status__in=["draft", "submitted"]).first()
    if existing is not None:
        return existing
    if locked.status != GrantStatus.ACCEPTED:
        raise _not_running(locked)
    current = plan.current_plan(locked)
    number = (locked.amendments.aggregate(last=models.Max("number"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            return Amendment.objects.create(
                grant=locked,
                number=number,
                start_date=locked.project_start,
                end_date=locked.project_end,
                amount=locked.amount_awarded,
                budget_lines=current["budget_lines"],
                partners=current["partners"],
                created_by=by,
            )
    except IntegrityError:  # a second tab started one a moment ago
        found = locked.amendments.filter(status__in=["draft", "submitted"]).first()
        if found is None:
            raise
        return found


def _check_rows(model: type, rows: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    """Each row as the application's own model would store it (the same checks), or the
    ValidationError of the first row that does not fit, naming it."""
    cleaned = []
    for index, row in enumerate(rows):
        obj = model(**row)
        try:
            obj.full_clean(exclude=["application"])
        except ValidationError as error:
            raise ValidationError({f"{prefix}.{index}": error.messages}) from error
        cleaned.append(plan.line_record(obj) if model is BudgetLine else plan.partner_record(obj))
    return cleaned


@transaction.atomic
def save_amendment(
    amendment: Amendment,
    *,
    by: Any,
    start_date: date,
    end_date: date,
    amount: Decimal,
    budget_lines: list[dict[str, Any]],
    partners: list[dict[str, Any]],
    reason: str = "",
) -> Amendment:
    """Save the draft as typed: all values are checked first; on any error nothing is written
    (ValidationError by field, or a WorkflowError)."""
    locked = Amendment.objects.select_for_update().select_related("grant__application").get(pk=amendment.pk)  # fmt: skip
    if not rules.is_grantee(locked, by):
        raise TransitionForbidden()
    if locked.status != AmendmentStatus.DRAFT:
        raise WorkflowError(
            _("This request has been sent and can no longer be changed (status: %(status)s).")
            % {"status": locked.get_status_display()},
            code="not_editable",
        )
    errors: dict[str, list[Any]] = {}
    if not isinstance(start_date, date) or not isinstance(end_date, date):
        errors["start_date"] = [_("Please enter both the start and the end date of the project.")]
    elif end_date < start_date:
        errors["end_date"] = [_("The project cannot end before it starts. Please check the dates.")]
    try:
        value = parse_amount(amount, label=_("The amount"))
    except WorkflowError as error:
        errors["amount"] = [error.message]
    else:
        if value <= 0:
            errors["amount"] = [_("The amount must be more than 0.")]
    try:
        text = clean_text(reason, field="reason", max_length=WHY_TEXT)
    except WorkflowError as error:
        errors["reason"] = [error.message]
    if errors:
        raise ValidationError(errors)
    lines = _check_rows(BudgetLine, budget_lines, "budget_lines")
    people = _check_rows(Partner, partners, "partners")
    locked.start_date, locked.end_date, locked.amount = start_date, end_date, value
    locked.budget_lines, locked.partners, locked.reason = lines, people, text
    try:
        locked.save(
            update_fields=[
                "start_date",
                "end_date",
                "amount",
                "budget_lines",
                "partners",
                "reason",
                "updated_at",
            ]
        )
    except ConcurrentTransition as exc:
        raise TransitionConflict() from exc
    return locked


@transaction.atomic
def submit_amendment(amendment: Amendment, *, by: Any, note: str = "") -> Amendment:
    """Send the request to the fund: who, then status, then the grant, then the rules; the
    plan before it is frozen and the changes kept in the audit row. The project does not end
    (and its report is not due) while the request waits."""
    locked = Amendment.objects.select_for_update().select_related("grant__application__organisation", "grant__programme").get(pk=amendment.pk)  # fmt: skip
    if not rules.is_grantee(locked, by):
        raise TransitionForbidden()
    starting_step(locked, "submit")
    grant = locked.grant
    if not grant_is_running(locked):
        raise _not_running(grant)
    violations = plan.problems(locked, grant, on=clock.today())
    if violations:
        raise RuleViolation(violations)
    before = plan.current_plan(grant)
    Amendment.objects.filter(pk=locked.pk).update(previous=before)
    changes = plan.changes_between(before, plan.proposed_plan(locked))
    return perform(locked, "submit", by=by, note=note, changes=changes.as_record())


def withdraw_amendment(
    amendment: Amendment, *, by: Any, reason: str = "", note: str = ""
) -> Amendment:
    """The grantee takes the request back (a draft, or one still waiting for the decision)."""
    return perform(amendment, "withdraw", by=by, note=note, reason=reason)


# --- the manager's decision ----------------------------------------------------------------------


def check_decider(amendment: Amendment, by: Any) -> None:
    """Refuse, in words, anybody who may not decide this request: role, scope and conflicts,
    then four-eyes. The transition asks the same rule again under the lock (`can_decide`)."""
    if not has_role(by, Role.MANAGER):
        raise TransitionForbidden(_("Only programme managers decide requested changes."))
    application = amendment.grant.application
    if not application_rules.may_manage(application, by):
        raise TransitionForbidden(
            _(
                "You may not decide this request (a conflict of interest, or outside the "
                "programmes of this access)."
            )
        )
    if application_rules.has_reviewed(application, by):
        raise FourEyesRefusal(
            _("You reviewed this application, so someone else must decide its changes.")
        )
    if rules.asked_by(amendment, by):
        raise FourEyesRefusal(_("You asked for this change, so someone else must decide it."))


def _fresh(amendment: Amendment) -> Amendment:
    return Amendment.objects.select_related(
        "grant__application__organisation", "grant__programme"
    ).get(pk=amendment.pk)


@transaction.atomic
def approve_amendment(
    amendment: Amendment, *, by: Any, conditions: str = "", note: str = ""
) -> Amendment:
    """Approve: the grant takes the new period and amount, the application the new plan; the
    payment plan is computed again without taking back what was paid (money paid beyond the
    new amount is claimed back); a rise commits more budget under the allocation's lock and is
    refused when the budget cannot bear it, a reduction releases money. The amendment letter
    and the e-mail to the grantee follow after the commit.

    Locks in the order the other writers take them: the grant, its payments, then (through
    perform) the request and the audit chain, then the budget."""
    # FOR NO KEY UPDATE: rows that point at the grant (finance booking a payment in the ledger
    # while it waits for our lock on its payment) may still be written; FOR UPDATE would make
    # the two wait for each other.
    grant = (
        Grant.objects.select_for_update(no_key=True, of=("self",))
        .select_related("application__organisation", "programme")
        .get(pk=amendment.grant_id)
    )
    payments = grant_services.lock_payments(grant)
    # The request's plan no longer changes once sent; its status is checked again under its
    # lock by perform(). The grant is the locked copy.
    current = amendment
    current.grant = grant
    check_decider(current, by)
    starting_step(current, "approve")
    if grant.status != GrantStatus.ACCEPTED:
        raise _not_running(grant)
    sent_on = timezone.localdate(current.submitted_at) if current.submitted_at else clock.today()
    before = plan.plan_before_decision(current, grant)
    violations = plan.problems(current, grant, on=sent_on, before=before)
    if violations:
        raise RuleViolation(violations)
    changes = plan.changes_between(before, plan.proposed_plan(current))
    # A rise the budget cannot bear is refused under the allocation's lock (BudgetRefusal, with
    # what is left), which rolls all of this back.
    money = grant_services.plan_amended_money(grant, current.amount, payments=payments)
    approved = perform(
        current,
        "approve",
        by=by,
        note=note,
        changes=changes.as_record(),
        money=money.as_record(),
        previous=before,
        conditions=conditions,
    )
    done = grant_services.amend_grant(
        grant,
        by=by,
        number=approved.number,
        money=money,
        project_start=approved.start_date,
        project_end=approved.end_date,
    )
    _rewrite_application_plan(grant.application, approved, changes)
    if done.repayment is not None:
        Amendment.objects.filter(pk=approved.pk).update(repayment_claim=done.repayment)
        approved.repayment_claim = done.repayment
    return approved


def _rewrite_application_plan(
    application: Application, amendment: Amendment, changes: plan.Changes
) -> None:
    """The application carries the plan in force: the final report compares the actual figures
    with it, the open figures and the API read its period and amount. The plan as first
    submitted stays in `submitted_content`, the one before each amendment in its `previous`."""
    # (The grant's save has told the public pages' cache already; no status changes here.)
    Application.objects.filter(pk=application.pk).update(
        start_date=amendment.start_date,
        end_date=amendment.end_date,
        awarded_amount=amendment.amount,
        updated_at=clock.now(),
    )
    if changes.budget:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(
                application=application,
                side=line["side"],
                category=line["category"],
                purpose=line["purpose"],
                quantity=Decimal(line["quantity"]),
                unit_cost=Decimal(line["unit_cost"]),
                eligible=line["eligible"],
                position=position,
            )
            for position, line in enumerate(changes.after["budget_lines"])
        )
    if changes.partners:
        application.partners.all().delete()
        Partner.objects.bulk_create(
            Partner(application=application, **partner) for partner in changes.after["partners"]
        )


@transaction.atomic
def reject_amendment(amendment: Amendment, *, by: Any, reasons: str, note: str = "") -> Amendment:
    """Reject with the reasons the grantee reads; the grant's plan stays as it was."""
    current = _fresh(amendment)
    check_decider(current, by)
    return perform(current, "reject", by=by, note=note, reasons=reasons)

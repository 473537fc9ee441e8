"""Changes after the award: a grantee asks, a manager decides, and the grant, its payments, the
budget, the application's plan, the final report and the audit log follow."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation

from amendments import services
from amendments.models import Amendment, AmendmentStatus
from amendments.transitions import run_amendment_transition
from applications import reporting
from applications.models import BudgetLine, Document, DocumentKind
from applications.selectors import timeline_for_applicant
from demo import builders as demo
from demo.amendments import request_change
from grants import services as grant_services
from grants.models import (
    BudgetAllocation,
    Grant,
    GrantStatus,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
    RepaymentCause,
    RepaymentClaim,
    planned_amount,
)
from grants.services import BudgetRefusal, grant_commitment
from workflows import clock
from workflows.audit import verify_chain
from workflows.errors import RuleViolation, TransitionForbidden, TransitionNotAllowed, WorkflowError
from workflows.models import TransitionLog
from workflows.roles import Role

RAISED = Decimal("4400.00")


@pytest.fixture(autouse=True)
def in_english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def grant(cast: demo.Cast, drive: Any) -> Grant:
    """An accepted grant of 4,000 EUR (advance of 3,000 scheduled, not paid)."""
    return Grant.objects.get(application=drive("approved", "accepted"))


def paid_advance(grant: Grant, cast: demo.Cast) -> None:
    for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
        grant_services.record_payment_paid(payment, by=cast.finance)


def world_of(grant: Grant) -> dict[str, Any]:
    """Everything a refused step must leave as it was."""
    application = grant.application
    return {
        "grant": Grant.objects.filter(pk=grant.pk).values().get(),
        "application": type(application)
        .objects.filter(pk=application.pk)
        .values("start_date", "end_date", "awarded_amount")
        .get(),
        "lines": list(
            BudgetLine.objects.filter(application=application).values_list(
                "category", "quantity", "unit_cost"
            )
        ),
        "ledger": list(LedgerEntry.objects.values_list("pk", "kind", "amount")),
        "payments": list(Payment.objects.values_list("pk", "status", "amount")),
        "claims": list(RepaymentClaim.objects.values_list("pk", "amount")),
        "amendments": list(Amendment.objects.values_list("pk", "status")),
        "log": TransitionLog.objects.count(),
    }


# --- the story ------------------------------------------------------------------------------------


def test_a_rise_with_a_budget_shift_commits_more_and_replans_the_unpaid_advance(
    cast, grant, committed
):
    amendment = request_change(grant, by=cast.applicant, amount=RAISED, shift=Decimal("500.00"))
    assert amendment.status == AmendmentStatus.SUBMITTED
    assert amendment.previous["amount"] == "4000.00"

    with committed():
        approved = services.approve_amendment(amendment, by=cast.manager, conditions="Belege der Herberge beifügen.")  # fmt: skip

    grant.refresh_from_db()
    assert approved.status == AmendmentStatus.APPROVED
    assert grant.amount_awarded == RAISED
    # The budget: 400 more committed, noted as a value the ledger renders in words.
    entry = LedgerEntry.objects.get(grant=grant, note="amendment:1")
    assert (entry.kind, entry.amount) == (LedgerKind.COMMIT, Decimal("400.00"))
    assert entry.description() == "amendment no. 1"
    assert grant_commitment(grant) == RAISED
    # The advance not paid yet stays; a payment of the difference joins it (75 % of 4,400).
    payments = list(grant.payments.order_by("sequence").values_list("status", "amount"))
    assert payments == [("scheduled", Decimal("3000.00")), ("scheduled", Decimal("300.00"))]
    # The application carries the plan in force: amount, budget lines by category.
    application = grant.application
    application.refresh_from_db()
    assert application.awarded_amount == RAISED
    assert reporting.planned_by_category(application)[("expense", "stay")] == Decimal("500.00")
    # Everything is in the audit chain: sent, approved (with the changes and the money).
    rows = TransitionLog.objects.for_object(approved).values_list("transition", flat=True)
    assert list(rows) == ["submit", "approve"]
    approval = TransitionLog.objects.for_object(approved).get(transition="approve")
    assert approval.payload["changes"]["amount"] == ["4000.00", "4400.00"]
    assert approval.payload["money"]["commitment"] == "400.00"
    assert approval.payload["previous"]["amount"] == "4000.00"
    assert verify_chain().ok
    # The amendment letter and the e-mail to the grantee.
    letter = Document.objects.get(kind=DocumentKind.AMENDMENT)
    assert (letter.grant_id, letter.log_id) == (grant.pk, approval.pk)
    decided = [
        m for m in mail.outbox if "Change no. 1" in m.subject or "Änderung Nr. 1" in m.subject
    ]
    assert decided, [m.subject for m in mail.outbox]


def test_the_grantees_history_shows_each_step_of_the_request(cast, grant):
    amendment = request_change(grant, by=cast.applicant, end=grant.project_end + timedelta(days=7))
    services.reject_amendment(
        amendment, by=cast.manager, reasons="Der Zeitraum ist schon verlängert."
    )

    labels = [entry.label for entry in timeline_for_applicant(grant.application)]

    assert "Change no. 1 requested" in labels
    assert "Change no. 1 rejected" in labels
    notes = [entry.note for entry in timeline_for_applicant(grant.application)]
    assert "Der Zeitraum ist schon verlängert." in notes


def test_a_reduction_releases_money_and_lowers_the_unpaid_advance(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("3000.00"))

    services.approve_amendment(amendment, by=cast.manager)

    grant.refresh_from_db()
    release = LedgerEntry.objects.get(grant=grant, kind=LedgerKind.RELEASE)
    assert release.amount == Decimal("1000.00")
    assert release.description() == "released (amendment no. 1)"
    assert grant_commitment(grant) == Decimal("3000.00")
    # The unpaid advance of 3,000 is superseded (its audit row names the change) by 2,250.
    superseded = grant.payments.get(sequence=1)
    assert superseded.status == PaymentStatus.CANCELLED
    row = TransitionLog.objects.for_object(superseded).last()
    assert (row.transition, row.payload, row.actor_id) == ("supersede", {"amendment": 1}, cast.manager.pk)  # fmt: skip
    assert grant.payments.get(status=PaymentStatus.SCHEDULED).amount == Decimal("2250.00")
    assert not RepaymentClaim.objects.filter(grant=grant).exists()


def test_a_reduction_below_what_was_paid_becomes_a_repayment_claim(cast, grant):
    paid_advance(grant, cast)  # 3,000 EUR paid
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("2000.00"))

    approved = services.approve_amendment(amendment, by=cast.manager)

    grant.refresh_from_db()
    claim = RepaymentClaim.objects.get(grant=grant)
    assert (claim.amount, claim.cause, claim.status) == (Decimal("1000.00"), RepaymentCause.AMENDMENT, "open")  # fmt: skip
    assert (
        claim.description() == "amount lowered by an amendment to 2,000.00 EUR, paid 3,000.00 EUR"
    )
    assert approved.repayment_claim == claim
    # Nothing paid is taken back, nothing more is scheduled.
    assert list(grant.payments.values_list("status", flat=True)) == ["paid"]
    # The budget keeps the money that is out until it is back.
    assert grant_commitment(grant) == Decimal("3000.00")
    grant_services.record_repayment_received(claim, by=cast.finance)
    assert grant_commitment(grant) == Decimal("2000.00")
    assert grant.commitment_target(planned_amount(grant)) == Decimal("2000.00")


def test_the_settlement_after_a_claimed_reduction_does_not_claim_twice(cast, grant):
    paid_advance(grant, cast)
    services.approve_amendment(request_change(grant, by=cast.applicant, amount=Decimal("2000.00")), by=cast.manager)  # fmt: skip
    grant.refresh_from_db()
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        grant = grant_services.end_project(grant)
    with clock.travel_to(grant.project_end + timedelta(days=10)):
        grant = demo.submit_demo_report(grant, by=cast.applicant, requested=Decimal("2000.00"))
        grant = grant_services.accept_report(grant, by=cast.reviewer)

    assert grant.final_amount == Decimal("2000.00")
    # 3,000 were paid, 1,000 claimed back by the amendment: the grantee keeps 2,000, the
    # entitlement: nothing more to pay, nothing more to claim.
    assert RepaymentClaim.objects.filter(grant=grant).count() == 1
    assert not grant.payments.filter(kind="balance").exists()


def test_the_final_report_after_an_amendment_uses_the_new_plan(cast, grant):
    new_end = grant.project_end + timedelta(days=14)
    amendment = request_change(grant, by=cast.applicant, end=new_end, shift=Decimal("800.00"))
    services.approve_amendment(amendment, by=cast.manager)
    grant.refresh_from_db()
    assert grant.project_end == new_end

    # The old end has passed: nothing ends.
    with clock.travel_to(new_end - timedelta(days=3)), pytest.raises(TransitionNotAllowed):
        grant_services.end_project(grant)
    with clock.travel_to(new_end + timedelta(days=1)):
        grant = grant_services.end_project(grant)
        report = reporting.report_for(grant, by=cast.applicant)

    assert grant.status == GrantStatus.REPORT_DUE
    assert grant.report_due_on == new_end + timedelta(days=grant.programme.report_days_after_end)
    numbers = reporting.figures(report)
    planned = {(row.side, row.category): row.planned for row in numbers.rows}
    assert planned[("expense", "stay")] == Decimal("800.00")
    assert planned[("expense", "travel")] == Decimal("4200.00")
    # The report starts with a line per category of the plan in force.
    assert set(report.lines.values_list("category", flat=True)) == {"travel", "stay", "own_funds"}


def test_the_entitlement_follows_the_amended_amount(cast, grant):
    services.approve_amendment(request_change(grant, by=cast.applicant, amount=Decimal("3000.00")), by=cast.manager)  # fmt: skip
    grant.refresh_from_db()
    grant.actual_expenses = grant.actual_eligible_expenses = Decimal("10000.00")
    grant.actual_other_income = Decimal("0.00")

    assert grant.entitlement() == Decimal("3000.00")


def test_the_project_does_not_end_while_a_request_waits(cast, grant):
    request_change(grant, by=cast.applicant, end=grant.project_end + timedelta(days=7))

    later = grant.project_end + timedelta(days=2)
    with clock.travel_to(later), pytest.raises(TransitionNotAllowed) as refused:
        grant_services.end_project(grant)

    assert "waits for a decision" in str(refused.value)


# --- who decides: four-eyes -----------------------------------------------------------------------


def test_a_manager_who_reviewed_the_application_may_not_decide_its_change(cast, drive):
    manager2 = demo.make_user("manager2", Role.MANAGER, Role.REVIEWER)
    from dataclasses import replace

    with_two_hats = replace(cast, reviewer=manager2)
    application = demo.drive(with_two_hats, "approved", "accepted")
    grant = Grant.objects.get(application=application)
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    before = world_of(grant)

    with pytest.raises(TransitionForbidden) as refused:
        services.approve_amendment(amendment, by=manager2)

    assert refused.value.code == "four_eyes"
    assert "reviewed this application" in str(refused.value)
    assert world_of(grant) == before
    services.approve_amendment(amendment, by=cast.manager)  # another manager may


def test_nobody_but_a_manager_decides(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    before = world_of(grant)
    for who in (cast.applicant, cast.reviewer, cast.finance, cast.admin, cast.funder, None):
        with pytest.raises(WorkflowError):
            services.approve_amendment(amendment, by=who)
        with pytest.raises(WorkflowError):
            run_amendment_transition(amendment, "reject", by=who, reasons="Nein")
    assert world_of(grant) == before


def test_only_the_grantees_members_ask_send_and_withdraw(cast, grant, other_applicant):
    for who in (other_applicant, cast.manager, cast.admin):
        with pytest.raises(TransitionForbidden):
            services.start_amendment(grant, by=who)
    amendment = request_change(grant, by=cast.applicant, amount=RAISED, send=False)
    for who in (other_applicant, cast.manager):
        with pytest.raises(TransitionForbidden):
            services.submit_amendment(amendment, by=who)
        with pytest.raises(WorkflowError):
            services.withdraw_amendment(amendment, by=who)
    withdrawn = services.withdraw_amendment(amendment, by=cast.applicant, reason="Doch nicht nötig")
    assert withdrawn.status == AmendmentStatus.WITHDRAWN


# --- bad input: a clear message, nothing changed ------------------------------------------------------


@pytest.mark.parametrize("state", ["settled", "closed", "cancelled", "offered", "report_due"])
def test_a_grant_that_is_not_running_cannot_be_amended(cast, drive, state):
    grant = Grant.objects.get(application=drive("approved", state))
    before = world_of(grant)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.start_amendment(grant, by=cast.applicant)

    assert "while the project runs" in str(refused.value)
    assert world_of(grant) == before


def test_a_request_cannot_be_approved_once_the_grant_was_cancelled(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    grant_services.cancel_grant(grant, by=cast.manager, reason="Projekt abgesagt")
    grant.refresh_from_db()
    before = world_of(grant)

    with pytest.raises(TransitionNotAllowed) as refused:
        services.approve_amendment(amendment, by=cast.manager)

    assert "cancelled" in str(refused.value)
    assert world_of(grant) == before
    services.reject_amendment(amendment, by=cast.manager, reasons="Das Projekt ist abgesagt.")


def test_an_end_before_the_start_is_refused_and_nothing_is_saved(cast, grant):
    amendment = services.start_amendment(grant, by=cast.applicant)
    before = world_of(grant)
    saved = Amendment.objects.filter(pk=amendment.pk).values().get()

    with pytest.raises(ValidationError) as refused:
        services.save_amendment(
            amendment,
            by=cast.applicant,
            start_date=grant.project_start,
            end_date=grant.project_start - timedelta(days=1),
            amount=grant.amount_awarded,
            budget_lines=amendment.budget_lines,
            partners=amendment.partners,
            reason="Verschoben",
        )

    assert "cannot end before it starts" in str(refused.value.message_dict["end_date"])
    assert Amendment.objects.filter(pk=amendment.pk).values().get() == saved
    assert world_of(grant) == before


def test_a_shift_to_ineligible_costs_that_breaks_the_share_rule_is_refused(cast, grant):
    amendment = services.start_amendment(grant, by=cast.applicant)
    lines = [dict(line) for line in amendment.budget_lines]
    # 500 of the 5,000 travel costs go to gifts, which are not eligible, and the own funds
    # shrink with them: the plan balances, but the grant of 4,000 is 89 % of the eligible 4,500.
    assert [(line["category"], line["unit_cost"]) for line in lines] == [("travel", "5000.00"), ("own_funds", "1000.00")]  # fmt: skip
    lines[0] = {**lines[0], "unit_cost": "4500.00"}
    lines[1] = {**lines[1], "unit_cost": "500.00"}
    lines.append({"side": "expense", "category": "material", "purpose": "Geschenke", "quantity": "1.00", "unit_cost": "500.00", "eligible": False})  # fmt: skip
    services.save_amendment(amendment, by=cast.applicant, start_date=amendment.start_date, end_date=amendment.end_date, amount=amendment.amount, budget_lines=lines, partners=amendment.partners, reason="Geschenke für die Gastfamilien")  # fmt: skip
    before = world_of(grant)

    with pytest.raises(RuleViolation) as refused:
        services.submit_amendment(amendment, by=cast.applicant)

    assert [v.code for v in refused.value.violations] == ["share_exceeded"]
    assert "more than 80" in str(refused.value)
    assert world_of(grant) == before
    assert Amendment.objects.get(pk=amendment.pk).status == AmendmentStatus.DRAFT


def test_a_request_that_changes_nothing_or_gives_no_reason_is_not_sent(cast, grant):
    amendment = services.start_amendment(grant, by=cast.applicant)
    with pytest.raises(RuleViolation) as nothing:
        services.submit_amendment(amendment, by=cast.applicant)
    assert nothing.value.violations[0].code == "nothing_changed"
    request_change(grant, by=cast.applicant, amount=RAISED, reason="", send=False)
    with pytest.raises(WorkflowError) as no_reason:
        services.submit_amendment(amendment, by=cast.applicant)
    assert no_reason.value.code == "why_missing"
    assert Amendment.objects.get(pk=amendment.pk).status == AmendmentStatus.DRAFT


def test_a_start_before_the_award_is_refused(cast, grant):
    earlier = grant.offered_at.date() - timedelta(days=1)
    with pytest.raises(RuleViolation) as refused:
        request_change(grant, by=cast.applicant, start=earlier)
    assert refused.value.violations[0].code == "start_before_award"


def test_a_rise_beyond_the_programmes_maximum_is_refused(cast, grant):
    with pytest.raises(RuleViolation) as refused:
        request_change(grant, by=cast.applicant, amount=Decimal("5000.01"))
    assert "amount_above_maximum" in [v.code for v in refused.value.violations]


def test_a_rise_the_budget_cannot_bear_is_refused_with_what_is_left(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    allocation = grant.allocation
    left = Decimal("150.00")
    BudgetAllocation.objects.filter(pk=allocation.pk).update(
        amount=allocation.balances()["committed"] + left
    )
    before = world_of(grant)

    with pytest.raises(BudgetRefusal) as refused:
        services.approve_amendment(amendment, by=cast.manager)

    assert "raises the grant by 400.00 EUR but only 150.00 EUR are left" in str(refused.value)
    assert world_of(grant) == before
    assert Amendment.objects.get(pk=amendment.pk).status == AmendmentStatus.SUBMITTED


def test_the_amount_does_not_change_while_a_payment_is_at_the_bank(cast, grant):
    from grants import finance

    advance = finance.approve_payment(grant.payments.get(), by=cast.finance)
    batch = finance.create_batch([advance], by=cast.finance, execution_date=clock.today())
    finance.export_batch(batch, by=cast.finance)
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    before = world_of(grant)

    with pytest.raises(RuleViolation) as refused:
        services.approve_amendment(amendment, by=cast.manager)

    assert refused.value.code == "payment_in_flight"
    assert world_of(grant) == before


def test_one_request_at_a_time(cast, grant):
    first = services.start_amendment(grant, by=cast.applicant)
    assert services.start_amendment(grant, by=cast.applicant) == first
    services.withdraw_amendment(first, by=cast.applicant)
    second = services.start_amendment(grant, by=cast.applicant)
    assert (second.number, second.status) == (2, AmendmentStatus.DRAFT)


def test_a_sent_request_cannot_be_edited(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=RAISED)
    with pytest.raises(WorkflowError) as refused:
        services.save_amendment(amendment, by=cast.applicant, start_date=amendment.start_date, end_date=amendment.end_date, amount=Decimal("4500.00"), budget_lines=amendment.budget_lines, partners=amendment.partners)  # fmt: skip
    assert refused.value.code == "not_editable"

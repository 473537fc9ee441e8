"""Writes on the funder side: the fund's identity, references, budget bookings, grants and their
transitions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from grants import rules
from grants.funders import AllocationShare, Funder, check_shares, current_shares
from grants.identity import letters_key
from grants.models import (
    INTERIM_ACCEPTED,
    INTERIM_NOT_SENT,
    PAYABLE_PAYMENT_STATES,
    REPLANNABLE_PAYMENT_STATES,
    SENT_PAYMENT_STATES,
    BudgetAllocation,
    Fund,
    Grant,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentKind,
    PaymentStatus,
    PaymentTrigger,
    Programme,
    ReferenceCounter,
    RepaymentCause,
    RepaymentClaim,
    RepaymentStatus,
    amendment_note,
    claimed_by_amendments,
    interim_report_status,
    planned_amount,
)
from grants.money import ZERO, cents, format_eur
from workflows import clock, effects, perform
from workflows.errors import RuleViolation, TransitionForbidden, TransitionNotAllowed

# Days a grantee has to repay a claim.
REPAYMENT_DAYS = 30


class BudgetRefusal(RuleViolation):
    code = "budget_refused"


@transaction.atomic
def save_fund(fund: Fund) -> int:
    """Save the fund (its identity as the admin edited it); if it may issue letters now, the
    letters that waited for its identity are issued after the commit. Returns how many."""
    fund.save()
    return resume_letters(fund)


def resume_letters(fund: Fund) -> int:
    """The letters that waited for `fund`'s identity run again after the commit, once nothing
    is missing (`Fund.letter_gaps`); returns how many (0 while something is still missing)."""
    if not fund.ready_for_letters:
        return 0
    return effects.resume(letters_key(fund))


def next_reference(fund: Fund, year: int) -> str:
    """Hand out the next reference (BF-2026-00042); gapless because it rolls back with the caller."""
    return reserve_references(fund, year, 1)[0]


def reserve_references(fund: Fund, year: int, count: int) -> list[str]:
    """The next `count` references of the fund's year, in order, under the counter's row lock."""
    counter, _created = ReferenceCounter.objects.select_for_update().get_or_create(
        fund=fund, year=year
    )
    ReferenceCounter.objects.filter(pk=counter.pk).update(
        last_number=models.F("last_number") + count
    )
    counter.refresh_from_db(fields=["last_number"])
    first = counter.last_number - count + 1
    return [
        f"{fund.reference_prefix}-{year}-{n:05d}" for n in range(first, counter.last_number + 1)
    ]


def allocation_for(programme: Programme, year: int) -> BudgetAllocation | None:
    return BudgetAllocation.objects.filter(programme=programme, year=year).first()


@transaction.atomic
def set_cofunders(
    allocation: BudgetAllocation, shares: Sequence[tuple[Funder, Decimal]], *, by: Any
) -> list[AllocationShare]:
    """Name the co-funders of a yearly budget with their shares in percent, the lead funder
    first (none: the fund alone finances it). Under the budget's lock, so that no commitment
    is booked between the check and the write; refused once money is booked on it, or when
    the shares do not make a whole (`grants.funders.check_shares`). Administrators only."""
    if not rules.may_change_policy(by):
        raise TransitionForbidden()
    locked = BudgetAllocation.objects.select_for_update().get(pk=allocation.pk)
    wanted = [(funder.pk, Decimal(percent)) for funder, percent in shares]
    try:
        check_shares(locked, wanted)
    except ValidationError as error:
        raise RuleViolation([], error.messages[0]) from None
    if wanted != current_shares(locked):
        AllocationShare.objects.filter(allocation=locked).delete()
        for funder, percent in shares:
            AllocationShare.objects.create(allocation=locked, funder=funder, percent=percent)
    return list(AllocationShare.objects.filter(allocation=locked).order_by("pk"))


def commit_budget(
    allocation: BudgetAllocation,
    *,
    grant: Grant,
    amount: Decimal,
    by: Any,
    amendment: int | None = None,
) -> LedgerEntry:
    """Book a commitment under a row lock; refused when the released budget does not cover it.

    `amendment` is the number of the grant's amendment that commits more (its note, its words)."""
    locked = BudgetAllocation.objects.select_for_update(no_key=True).get(pk=allocation.pk)
    if not locked.released:
        raise BudgetRefusal(
            [],
            _(
                "The %(year)s budget of “%(programme)s” has not been released yet; approvals "
                "wait until it is (you can put the application on the waiting list)."
            )
            % {"year": locked.year, "programme": locked.programme},
        )
    remaining = locked.balances()["remaining"]
    if amount > remaining:
        refusal = budget_refusal_words(amendment)
        raise BudgetRefusal(
            [],
            refusal
            % {
                "amount": format_eur(amount),
                "remaining": format_eur(remaining),
                "year": locked.year,
                "programme": locked.programme,
            },
        )
    return LedgerEntry.objects.create(
        allocation=locked,
        grant=grant,
        kind=LedgerKind.COMMIT,
        amount=amount,
        created_by=by,
        note=amendment_note(amendment) if amendment is not None else "",
    )


def budget_refusal_words(amendment: int | None = None) -> Any:
    """The sentence that refuses a commitment the budget cannot bear (%(amount)s, %(remaining)s,
    %(year)s, %(programme)s): an approval's, or an amendment's that raises the amount."""
    if amendment is None:
        return _(
            "This approval needs %(amount)s but only %(remaining)s are left in the "
            "%(year)s budget of “%(programme)s”."
        )
    return _(
        "This change raises the grant by %(amount)s but only %(remaining)s are left in the "
        "%(year)s budget of “%(programme)s”."
    )


def grant_commitment(grant: Grant) -> Decimal:
    sums = grant.ledger_entries.aggregate(
        commit=Coalesce(
            Sum("amount", filter=Q(kind=LedgerKind.COMMIT)),
            ZERO,
            output_field=models.DecimalField(),
        ),
        release=Coalesce(
            Sum("amount", filter=Q(kind=LedgerKind.RELEASE)),
            ZERO,
            output_field=models.DecimalField(),
        ),
    )
    return sums["commit"] - sums["release"]


def release_unneeded_budget(grant: Grant, *, by: Any) -> Decimal:
    """Release what the grant no longer needs (decline, lapse, cancellation, settlement)."""
    surplus = grant_commitment(grant) - grant.commitment_target(planned_amount(grant))
    if surplus > 0:
        LedgerEntry.objects.create(
            allocation_id=grant.allocation_id,
            grant=grant,
            kind=LedgerKind.RELEASE,
            amount=surplus,
            created_by=by,
            note=grant.status,  # a value, rendered by LedgerEntry.description
        )
        return surplus
    return ZERO


def offer_grant(
    application: Any, *, programme: Programme, amount: Decimal, conditions: str, by: Any
) -> Grant:
    """Create the offered Grant for an approved application and commit its budget."""
    today = clock.today()
    allocation = allocation_for(programme, today.year)
    if allocation is None:
        raise BudgetRefusal(
            [],
            _("There is no %(year)s budget for “%(programme)s” yet.")
            % {"year": today.year, "programme": programme},
        )
    grant = Grant.objects.create(
        application=application,
        programme=programme,
        allocation=allocation,
        amount_awarded=amount,
        max_share=programme.max_share,
        conditions=conditions,
        project_start=application.start_date,
        project_end=application.end_date,
        offer_expires_on=today + timedelta(days=programme.offer_acceptance_days),
    )
    commit_budget(allocation, grant=grant, amount=amount, by=by)
    return grant


def _schedule_tranches(grant: Grant, trigger: str, *, due_on: date) -> list[Payment]:
    """Create the payments of the plan's tranches for `trigger` (e.g. 75 % at acceptance)."""
    percents = grant.programme.tranches(trigger)
    if not percents:
        return []
    next_sequence = (grant.payments.aggregate(m=models.Max("sequence"))["m"] or 0) + 1
    created = []
    for offset, percent in enumerate(percents):
        amount = cents(grant.amount_awarded * percent / 100)
        if amount <= 0:
            continue
        created.append(
            Payment.objects.create(
                grant=grant,
                kind=PaymentKind.ADVANCE
                if trigger == PaymentTrigger.ACCEPTANCE
                else PaymentKind.INSTALMENT,
                trigger=trigger,
                sequence=next_sequence + offset,
                amount=amount,
                due_on=due_on,
            )
        )
    return created


def _settle_money(grant: Grant, *, by: Any, due_on: date) -> None:
    """Unsent payments are cancelled; what was sent is compared with the final entitlement."""
    unsent = grant.payments.filter(status__in=[PaymentStatus.SCHEDULED, PaymentStatus.APPROVED])
    for payment in unsent.order_by("pk"):
        perform(payment, "cancel", by=by)
    sent = grant.payments.filter(status__in=SENT_PAYMENT_STATES).aggregate(
        total=Coalesce(Sum("amount"), ZERO, output_field=models.DecimalField())
    )["total"]
    # What an amendment already claimed back is not the grantee's to keep, nor claimed twice.
    sent -= claimed_by_amendments(grant)
    balance = (grant.final_amount or ZERO) - sent
    if balance > 0:
        sequence = (grant.payments.aggregate(m=models.Max("sequence"))["m"] or 0) + 1
        Payment.objects.create(
            grant=grant,
            kind=PaymentKind.BALANCE,
            trigger=PaymentTrigger.REPORT_ACCEPTED,
            sequence=sequence,
            amount=balance,
            due_on=due_on,
        )
    elif balance < 0:
        RepaymentClaim.objects.create(
            grant=grant,
            amount=-balance,
            due_on=due_on + timedelta(days=REPAYMENT_DAYS),
            entitlement=grant.final_amount or ZERO,
            paid=sent,
        )


def _settle(grant: Grant, *, by: Any) -> Grant:
    """After a grant's final amount is fixed: balance payment or claim, then release the rest."""
    _settle_money(grant, by=by, due_on=clock.today())
    release_unneeded_budget(grant, by=by)
    return grant


def released_by_plan(grant: Grant, amount: Decimal, *, interim_accepted: bool) -> Decimal:
    """What the payment plan has released of `amount` so far: its tranches at acceptance, and
    those that wait for the interim report once it is accepted (each tranche in cents)."""
    percents = grant.programme.tranches(PaymentTrigger.ACCEPTANCE)
    if interim_accepted:
        percents += grant.programme.tranches(PaymentTrigger.INTERIM_REPORT_ACCEPTED)
    return min(amount, sum((cents(amount * percent / 100) for percent in percents), ZERO))


def interim_tranche_due(grant: Grant) -> Decimal:
    """What accepting the grant's interim report releases now (writes nothing): the plan's
    tranches that wait for it, so far as they bring what the grantee has received or has on its
    way up to the share the plan then releases (a grant whose amount an amendment lowered may
    hold it already: then nothing). Nothing for a plan without such a tranche, or once the
    interim instalment exists."""
    if not grant.programme.tranches(PaymentTrigger.INTERIM_REPORT_ACCEPTED):
        return ZERO
    if grant.payments.filter(trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED).exists():
        return ZERO
    due = released_by_plan(grant, grant.amount_awarded, interim_accepted=True)
    return max(ZERO, due - planned_amount(grant))


def release_interim_tranche(grant: Grant, *, by: Any) -> Payment | None:
    """Schedule the instalment the accepted interim report releases (`interim_tranche_due`),
    due today, for finance to approve and pay. The caller holds the grant's and its payments'
    locks (as an amendment's decision does) and has just accepted the interim report through
    `perform()`; a second call finds the instalment and adds none."""
    amount = interim_tranche_due(grant)
    if amount <= 0:
        return None
    sequence = (grant.payments.aggregate(m=models.Max("sequence"))["m"] or 0) + 1
    return Payment.objects.create(
        grant=grant,
        kind=PaymentKind.INSTALMENT,
        trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED,
        sequence=sequence,
        amount=amount,
        due_on=clock.today(),
    )


# --- grant transitions: one service each -------------------------------------------------------


@transaction.atomic
def accept_offer(grant: Grant, *, by: Any, full_name: str, consent: bool, note: str = "") -> Grant:
    """Record the acceptance; schedules the advance payment(s) of the payment plan."""
    grant = perform(grant, "accept", by=by, note=note, full_name=full_name, consent=consent)
    _schedule_tranches(grant, PaymentTrigger.ACCEPTANCE, due_on=clock.today())
    return grant


@transaction.atomic
def decline_offer(grant: Grant, *, by: Any, reason: str = "", note: str = "") -> Grant:
    """Decline the offer; releases the commitment."""
    grant = perform(grant, "decline", by=by, note=note, reason=reason)
    release_unneeded_budget(grant, by=by)
    return grant


@transaction.atomic
def lapse_offer(grant: Grant, *, by: Any = None, note: str = "") -> Grant:
    """Scheduler: the acceptance deadline passed; releases the commitment."""
    grant = perform(grant, "lapse", by=by, note=note)
    release_unneeded_budget(grant, by=by)
    return grant


def end_project(grant: Grant, *, by: Any = None, note: str = "") -> Grant:
    """Scheduler: the project ended; the report deadline is set."""
    return perform(grant, "end_project", by=by, note=note)


def submit_report_figures(
    grant: Grant,
    *,
    by: Any,
    actual_expenses: Decimal,
    actual_eligible_expenses: Decimal,
    actual_other_income: Decimal,
    note: str = "",
) -> Grant:
    """Submit the final report's totals (the report itself is kept by the applications app)."""
    return perform(
        grant,
        "submit_report",
        by=by,
        note=note,
        actual_expenses=actual_expenses,
        actual_eligible_expenses=actual_eligible_expenses,
        actual_other_income=actual_other_income,
    )


def request_report_changes(
    grant: Grant, *, by: Any, message: str, reply_by: date, note: str = ""
) -> Grant:
    return perform(
        grant, "request_report_changes", by=by, note=note, message=message, reply_by=reply_by
    )


@transaction.atomic
def accept_report(grant: Grant, *, by: Any, note: str = "") -> Grant:
    """Settle: final entitlement; balance payment or repayment claim; releases the rest."""
    return _settle(perform(grant, "accept_report", by=by, note=note), by=by)


@transaction.atomic
def revoke_grant(grant: Grant, *, by: Any, reason: str, note: str = "") -> Grant:
    """Revoke after an overdue report; claims back what was paid; releases the rest."""
    return _settle(perform(grant, "revoke", by=by, note=note, reason=reason), by=by)


@transaction.atomic
def cancel_grant(grant: Grant, *, by: Any, reason: str, note: str = "") -> Grant:
    """The project did not happen; claims back what was paid; releases the rest."""
    return _settle(perform(grant, "cancel", by=by, note=note, reason=reason), by=by)


def close_grant(grant: Grant, *, by: Any = None, note: str = "") -> Grant:
    return perform(grant, "close", by=by, note=note)


@transaction.atomic
def record_repayment_received(claim: RepaymentClaim, *, by: Any) -> RepaymentClaim:
    """Record money paid back by the grantee (through `perform()`, with its audit row); books
    it and releases the commitment it frees. Recorded twice, it is booked once."""
    if not rules.is_finance(claim, by):
        raise TransitionForbidden()
    try:
        locked = perform(claim, "receive", by=by)
    except TransitionNotAllowed:
        current = RepaymentClaim.objects.get(pk=claim.pk)
        if current.status == RepaymentStatus.RECEIVED:
            return current  # someone recorded it first (or this is a second click)
        raise RuleViolation(
            [], _("Only an open repayment claim can be recorded as received.")
        ) from None
    LedgerEntry.objects.create(
        allocation_id=locked.grant.allocation_id,
        grant=locked.grant,
        kind=LedgerKind.REPAY,
        amount=locked.amount,
        created_by=by,
        note=str(locked.pk),  # a value, rendered by LedgerEntry.description
    )
    release_unneeded_budget(locked.grant, by=by)
    return locked


@transaction.atomic
def record_payment_paid(payment: Payment, *, by: Any) -> Payment:
    """Record that the bank executed a payment (scheduled, approved or exported; a paid one is
    returned unchanged) through `perform()` (who, when, in the audit); books it in the ledger and
    emits "grants.payment_paid"
    (the payment advice and the e-mail to the grantee, after the commit)."""
    if not rules.is_finance(payment, by):
        raise TransitionForbidden()  # also for a payment already paid
    locked = Payment.objects.select_for_update().get(pk=payment.pk)
    if locked.status == PaymentStatus.PAID:
        return locked
    if locked.status not in PAYABLE_PAYMENT_STATES:
        raise RuleViolation(
            [], _("A cancelled or failed payment cannot be recorded as paid; schedule it again.")
        )
    locked = perform(locked, "pay", by=by)
    LedgerEntry.objects.create(
        allocation_id=locked.grant.allocation_id,
        grant=locked.grant,
        kind=LedgerKind.PAY,
        amount=locked.amount,
        created_by=by,
        note=locked.end_to_end_id,
    )
    # The payment advice and the e-mail to the grantee (registered by the applications app).
    effects.emit("grants.payment_paid", payment_id=locked.pk)
    return locked


# --- amendments: the grant's amount and period changed after the award ------------------------
# The amendments app (above) decides a grantee's request; what it means for the money is here.


class PaymentInFlight(RuleViolation):
    code = "payment_in_flight"


@dataclass(frozen=True)
class MoneyPlan:
    """What an amendment's new amount means for a grant's money, computed before anything is
    written (and kept in the decision's audit row): the unsent payments of the old plan that a
    payment of the new one replaces, that payment, the money sent beyond the new amount that is
    claimed back, and the commitment to book (positive) or release (negative)."""

    amount: Decimal
    supersede: tuple[int, ...] = ()
    new_payment: Decimal = ZERO
    repayment: Decimal = ZERO
    kept: Decimal = ZERO  # what the grantee keeps of the money sent (the claim's "paid")
    commitment: Decimal = ZERO
    next_sequence: int = 1  # of the grant's next payment

    def as_record(self) -> dict[str, Any]:
        """For the audit row: amounts as text, the superseded payments by id."""
        return {
            "amount": str(self.amount),
            "superseded_payments": list(self.supersede),
            "new_payment": str(self.new_payment),
            "repayment": str(self.repayment),
            "commitment": str(self.commitment),
        }


@dataclass(frozen=True)
class AmendedMoney:
    """What an approved amendment did to the money: the payments replaced and scheduled, the
    repayment claim."""

    superseded: list[Payment]
    scheduled: list[Payment]
    repayment: RepaymentClaim | None


def lock_payments(grant: Grant) -> list[Payment]:
    """The grant's payments, locked, in a fixed order. Taken before the audit chain's lock (as
    finance does when it records a payment), so that the two never wait for each other."""
    return list(Payment.objects.select_for_update().filter(grant=grant).order_by("pk"))


def check_money_can_change(grant: Grant) -> None:
    """Refuse to change the amount while a payment is at the bank: whether it arrives or comes
    back decides what the new plan must still pay."""
    exported = grant.payments.filter(status=PaymentStatus.EXPORTED).order_by("sequence").first()
    if exported is not None:
        raise PaymentInFlight(
            [],
            _(
                "A payment of this grant (%(reference)s) is with the bank. The amount can change "
                "once finance has recorded it as paid or returned."
            )
            % {"reference": exported.end_to_end_id},
        )


def budget_left(grant: Grant) -> Decimal:
    """What the grant's budget has left now (read without a lock: for a message before the
    decision; the booking itself checks again under the lock)."""
    return grant.allocation.balances()["remaining"]


def plan_amended_money(
    grant: Grant, amount: Decimal, *, payments: list[Payment] | None = None
) -> MoneyPlan:
    """The payment plan for `amount`, without taking back what was paid: the acceptance
    tranches of the programme's plan less what the grantee keeps of the money sent. A rise adds
    a payment of the difference beside the unsent ones; a cut supersedes the unsent ones (and
    any sent back by the bank) by one of the new plan; what was sent beyond the new amount is
    claimed back. Writes nothing; an unchanged amount moves nothing. `payments` are the grant's
    (locked by the caller), read if not given. PaymentInFlight while a payment is at the bank."""
    if amount == grant.amount_awarded:
        return MoneyPlan(amount=amount)
    if payments is None:
        payments = list(grant.payments.order_by("sequence"))
    exported = next((p for p in payments if p.status == PaymentStatus.EXPORTED), None)
    if exported is not None:
        check_money_can_change(grant)
    # A grant has a few ledger entries and claims: read as rows, summed here (two plain
    # queries cost less than one with four correlated subqueries to build).
    booked = dict.fromkeys(LedgerKind.values, ZERO)
    for kind, value in grant.ledger_entries.values_list("kind", "amount"):
        booked[kind] += value
    claims = {"claimed": ZERO, "received": ZERO}
    for cause, status, value in grant.repayment_claims.values_list("cause", "status", "amount"):
        if cause == RepaymentCause.AMENDMENT and status != RepaymentStatus.WAIVED:
            claims["claimed"] += value
        if status == RepaymentStatus.RECEIVED:
            claims["received"] += value
    sent = sum((p.amount for p in payments if p.status in SENT_PAYMENT_STATES), ZERO)
    kept = sent - claims["claimed"]
    # The amended plan pays what the plan has released so far at the new amount: the advance,
    # and the interim report's tranche once it was accepted.
    advance = released_by_plan(
        grant, amount, interim_accepted=interim_report_status(grant) == INTERIM_ACCEPTED
    )
    wanted = max(ZERO, min(advance, amount) - kept)  # still to pay before the settlement
    unsent = [p for p in payments if p.status in REPLANNABLE_PAYMENT_STATES]
    waiting = sum((p.amount for p in unsent if p.status != PaymentStatus.FAILED), ZERO)
    replaced: list[Payment] = []
    if wanted >= waiting and not any(p.status == PaymentStatus.FAILED for p in unsent):
        wanted -= waiting  # the unsent payments stay; one more for the difference
    else:
        replaced = unsent
    # Money paid or on its way, less what came back (planned_amount), after the change.
    gone = (PaymentStatus.CANCELLED, PaymentStatus.FAILED)
    planned = sum((p.amount for p in payments if p.status not in gone), ZERO) - claims["received"]
    planned -= sum((p.amount for p in replaced if p.status not in gone), ZERO)
    planned += wanted
    target = max(amount, planned)  # a live grant's commitment target (Grant.commitment_target)
    return MoneyPlan(
        amount=amount,
        supersede=tuple(p.pk for p in replaced),
        new_payment=wanted,
        repayment=max(ZERO, kept - amount),
        kept=kept,
        commitment=target - (booked[LedgerKind.COMMIT] - booked[LedgerKind.RELEASE]),
        next_sequence=max((p.sequence for p in payments), default=0) + 1,
    )


def amend_grant(
    grant: Grant,
    *,
    by: Any,
    number: int,
    money: MoneyPlan,
    project_start: date,
    project_end: date,
) -> AmendedMoney:
    """Give an accepted grant, locked by the caller with its payments (`lock_payments`), the
    amount and period of its approved amendment `number`, and carry out its `money` plan
    (`plan_amended_money`): unsent payments superseded (audit rows) by one of the new plan, a
    repayment claim for money sent beyond the new amount, and the commitment following the
    amount under the allocation's lock: a rise the budget cannot bear is refused
    (BudgetRefusal), a reduction releases money. Raise inside the caller's transaction."""
    moved = (project_start, project_end) != (grant.project_start, grant.project_end)
    grant.amount_awarded = money.amount
    grant.project_start, grant.project_end = project_start, project_end
    fields = ["amount_awarded", "project_start", "project_end"]
    if moved and interim_report_status(grant) in (None, INTERIM_NOT_SENT):
        # The interim report not sent yet is due when the new period says.
        grant.interim_report_due_on = grant.programme.interim_report_due(
            project_start, project_end, not_before=clock.today()
        )
        fields.append("interim_report_due_on")
    grant.save(update_fields=fields)
    superseded = (
        [
            perform(payment, "supersede", by=by, amendment=number)
            for payment in Payment.objects.filter(pk__in=money.supersede).order_by("pk")
        ]
        if money.supersede
        else []
    )
    scheduled = []
    if money.new_payment > 0:
        scheduled.append(
            Payment.objects.create(
                grant=grant,
                kind=PaymentKind.ADVANCE,
                trigger=PaymentTrigger.ACCEPTANCE,
                sequence=money.next_sequence,
                amount=money.new_payment,
                due_on=clock.today(),
            )
        )
    repayment = None
    if money.repayment > 0:
        repayment = RepaymentClaim.objects.create(
            grant=grant,
            amount=money.repayment,
            due_on=clock.today() + timedelta(days=REPAYMENT_DAYS),
            entitlement=money.amount,
            paid=money.kept,
            cause=RepaymentCause.AMENDMENT,
        )
    _book_commitment(grant, money.commitment, by=by, number=number)
    return AmendedMoney(superseded, scheduled, repayment)


def _book_commitment(grant: Grant, difference: Decimal, *, by: Any, number: int) -> None:
    """Commit (under the allocation's lock) or release the difference the plan computed
    between what the grant must keep committed now and what it has committed (the grant and
    its payments were locked since: nothing else has changed them)."""
    if difference > 0:
        # commit_budget reads the allocation again under its lock: its id is all it needs.
        allocation = BudgetAllocation(pk=grant.allocation_id)
        commit_budget(allocation, grant=grant, amount=difference, by=by, amendment=number)
    elif difference < 0:
        LedgerEntry.objects.create(
            allocation_id=grant.allocation_id,
            grant=grant,
            kind=LedgerKind.RELEASE,
            amount=-difference,
            created_by=by,
            note=amendment_note(number),
        )

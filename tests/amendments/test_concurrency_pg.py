"""Amendments racing other writers on PostgreSQL with real threads: rises against approvals on
one budget never overcommit it, a cut races finance recording the advance without a deadlock,
and two managers deciding one request decide it once. Skipped on SQLite (one writer at a time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from amendments import services
from amendments.models import Amendment, AmendmentStatus
from applications import services as application_services
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from demo.amendments import request_change
from grants.models import (
    BudgetAllocation,
    Grant,
    LedgerEntry,
    Payment,
    PaymentStatus,
    RepaymentClaim,
    planned_amount,
)
from grants.services import BudgetRefusal, grant_commitment, record_payment_paid
from tests.conftest import on_postgresql
from tests.test_concurrency_pg import assert_one_winner, race, user
from workflows.audit import verify_chain
from workflows.errors import WorkflowError
from workflows.roles import Role

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

AMOUNT = Decimal("4000.00")
RISE = Decimal("400.00")


def running_grant(cast: demo.Cast) -> Grant:
    return Grant.objects.get(application=demo.drive(cast, "approved", "accepted", requested=AMOUNT))


def assert_the_books_hold(allocation: BudgetAllocation) -> None:
    """Every grant has committed what it must, and they add up to the allocation's commitment,
    which never passes the allocation."""
    balances = BudgetAllocation.objects.get(pk=allocation.pk).balances()
    total = Decimal("0.00")
    for grant in Grant.objects.filter(allocation=allocation):
        committed = grant_commitment(grant)
        assert committed == grant.commitment_target(planned_amount(grant)), grant.pk
        total += committed
    assert balances["committed"] == total
    assert balances["remaining"] >= 0, balances
    assert verify_chain().ok


def test_rises_racing_approvals_never_overcommit_the_budget(cast):
    rises = [request_change(running_grant(cast), by=cast.applicant, amount=AMOUNT + RISE) for _ in range(8)]  # fmt: skip
    reviewed = [demo.drive(cast, "reviewed", requested=AMOUNT) for _ in range(8)]
    allocation = rises[0].grant.allocation
    committed = allocation.balances()["committed"]
    # Room for some approvals and some rises, not for all: 3 approvals and 5 rises, or fewer
    # approvals and every rise, depending on who comes first.
    BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=committed + 3 * AMOUNT + 5 * RISE)  # fmt: skip
    manager2 = demo.make_user("manager2", Role.MANAGER)

    def rise(pk: int, decider: int) -> Callable[[], Any]:
        return lambda: services.approve_amendment(Amendment.objects.get(pk=pk), by=user(decider))

    def approval(pk: int) -> Callable[[], Any]:
        return lambda: application_services.approve_application(
            Application.objects.get(pk=pk), by=user(cast.manager.pk), amount=AMOUNT
        )

    jobs = [rise(a.pk, manager2.pk if i % 2 else cast.manager.pk) for i, a in enumerate(rises)]
    jobs += [approval(a.pk) for a in reviewed]
    outcomes = race(jobs)

    kinds = Counter(type(o).__name__ for o in outcomes)
    assert set(kinds) <= {"Amendment", "Application", "BudgetRefusal"}, outcomes
    risen = Amendment.objects.filter(pk__in=[a.pk for a in rises], status=AmendmentStatus.APPROVED)
    approved = Application.objects.filter(pk__in=[a.pk for a in reviewed], status=ApplicationStatus.APPROVED)  # fmt: skip
    assert kinds["Amendment"] == risen.count() and kinds["Application"] == approved.count()
    used = risen.count() * RISE + approved.count() * AMOUNT
    balances = BudgetAllocation.objects.get(pk=allocation.pk).balances()
    assert balances["committed"] == committed + used
    assert used <= 3 * AMOUNT + 5 * RISE
    # Nothing was refused that still fit: the budget only shrank during the race.
    if any(isinstance(o, BudgetRefusal) for o in outcomes[: len(rises)]):
        assert balances["remaining"] < RISE
    if any(isinstance(o, BudgetRefusal) for o in outcomes[len(rises) :]):
        assert balances["remaining"] < AMOUNT
    for refusal in (o for o in outcomes if isinstance(o, BudgetRefusal)):
        assert "EUR" in str(refusal)
    # A refused rise changed nothing: its grant, its payments and its request are as they were.
    for amendment in Amendment.objects.filter(pk__in=[a.pk for a in rises]).exclude(status=AmendmentStatus.APPROVED):  # fmt: skip
        assert amendment.status == AmendmentStatus.SUBMITTED
        assert amendment.grant.amount_awarded == AMOUNT
        assert list(amendment.grant.payments.values_list("status", "amount")) == [("scheduled", Decimal("3000.00"))]  # fmt: skip
    assert_the_books_hold(allocation)


def test_a_cut_racing_finance_recording_the_advance_settles_either_way(cast):
    grant = running_grant(cast)
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("2000.00"))
    advance = grant.payments.get()

    outcomes = race(
        [
            lambda: services.approve_amendment(
                Amendment.objects.get(pk=amendment.pk), by=user(cast.manager.pk)
            ),
            lambda: record_payment_paid(
                Payment.objects.get(pk=advance.pk), by=user(cast.finance.pk)
            ),
        ]
    )

    assert isinstance(outcomes[0], Amendment), outcomes
    grant.refresh_from_db()
    assert grant.amount_awarded == Decimal("2000.00")
    advance.refresh_from_db()
    if advance.status == PaymentStatus.PAID:
        # Paid first: the cut claims back what went beyond it.
        assert isinstance(outcomes[1], Payment)
        assert RepaymentClaim.objects.get(grant=grant).amount == Decimal("1000.00")
    else:
        # The cut first: the advance was replaced by one of the new amount, which is unpaid.
        assert advance.status == PaymentStatus.CANCELLED
        assert isinstance(outcomes[1], WorkflowError), outcomes
        assert grant.payments.get(status=PaymentStatus.SCHEDULED).amount == Decimal("1500.00")
    assert_the_books_hold(grant.allocation)


def test_two_managers_deciding_one_request_decide_it_once(cast):
    grant = running_grant(cast)
    amendment = request_change(grant, by=cast.applicant, amount=AMOUNT + RISE)
    manager2 = demo.make_user("manager2", Role.MANAGER)

    outcomes = race(
        [
            lambda: services.approve_amendment(
                Amendment.objects.get(pk=amendment.pk), by=user(cast.manager.pk)
            ),
            lambda: services.approve_amendment(
                Amendment.objects.get(pk=amendment.pk), by=user(manager2.pk)
            ),
        ]
    )

    assert_one_winner(outcomes)
    assert LedgerEntry.objects.filter(grant=grant, note="amendment:1").count() == 1
    grant.refresh_from_db()
    assert grant.amount_awarded == AMOUNT + RISE
    # One payment of the difference beside the advance, not two.
    assert list(grant.payments.order_by("sequence").values_list("amount", flat=True)) == [
        Decimal("3000.00"),
        Decimal("300.00"),
    ]
    assert_the_books_hold(grant.allocation)

"""Random money histories against a small budget; the ledger's arithmetic holds after every step.

A hypothesis `RuleBasedStateMachine` sets a small yearly budget, then approves applications for
random amounts (some refused for lack of budget), and moves their grants through random
histories by the real services: accept, decline, lapse, the advance paid, the project ended and
the report submitted with random actual figures, the report accepted (balance payment or
repayment claim), repayments received, cancellation, revocation, closing. After every step,
for every allocation and every grant:

- allocated = committed + remaining, and remaining >= 0 (no allocation below zero);
- committed >= 0, and paid - repaid <= committed;
- paid <= the awarded amounts of the grants that can receive money (not declined or lapsed);
- every ledger entry is positive; a grant is never paid more than awarded, nor repays more than
  it was paid;
- per funder too (the budget financed by the fund alone or by co-funders with random shares):
  each funder's committed, paid and repaid sums are its parts of the grants' figures, its
  committed is its part of the live grants' amounts, and the funders' sums are the budget's.

Each example runs in a savepoint that is rolled back at its end.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from applications.transitions import run_application_transition
from demo import builders as demo
from grants import services
from grants.models import (
    BudgetAllocation,
    Grant,
    GrantStatus,
    LedgerEntry,
    LedgerKind,
    PaymentStatus,
    RepaymentStatus,
)
from grants.money import cents
from tests.grants.cofunders import FINANCING, check_the_funders, cofinance
from tests.support import generated_examples
from workflows import clock
from workflows.errors import WorkflowError

PROGRAMME = "small-boost"  # category 1: up to 5,000 EUR
# Grants that never receive money: their commitment is released in full.
UNPAID = (GrantStatus.DECLINED, GrantStatus.LAPSED)
MAX_GRANTS = 4
MAX_DAYS = 400

euros = st.integers(0, 800_000).map(lambda c: Decimal(c) / 100)


class LedgerWalk(RuleBasedStateMachine):
    def __init__(self, cast: demo.Cast) -> None:
        super().__init__()
        self.cast = cast
        self.days = 0
        self.grants: list[int] = []
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------------
    def today(self) -> date:
        return timezone.localdate() + timedelta(days=self.days)

    def wait_until(self, day: date | None) -> None:
        """Move the walk's clock to the day after `day` (never backwards, never too far)."""
        if day is not None:
            self.days = min(max(self.days, (day - timezone.localdate()).days + 1), MAX_DAYS)

    def ledger(self) -> list[tuple[int, str, Decimal]]:
        return list(LedgerEntry.objects.order_by("pk").values_list("pk", "kind", "amount"))

    def run(self, service: Any, *args: Any, **kwargs: Any) -> bool:
        """Call a service on the walk's day; a refusal must leave the ledger as it was."""
        before = self.ledger()
        with clock.travel_to(self.today()):
            try:
                service(*args, **kwargs)
            except WorkflowError:
                assert self.ledger() == before, f"{service.__name__} refused but booked"
                return False
        return True

    # --- rules ---------------------------------------------------------------------------------
    @initialize(
        budget=st.integers(3_000, 15_000),
        released=st.sampled_from([True, True, True, False]),
        first=st.lists(st.tuples(st.integers(100, 5_000), st.integers(1, 100)), max_size=3),
        financing=st.sampled_from(FINANCING),
    )
    def small_budget(
        self, budget: int, released: bool, first: list[tuple[int, int]], financing: tuple[str, ...]
    ) -> None:
        """Every year's budget of the programme is small, so approvals compete for it; the fund
        finances it alone or with co-funders."""
        budgets = BudgetAllocation.objects.filter(programme__code=PROGRAMME)
        budgets.update(amount=Decimal(budget), released=released)
        cofinance(budgets, financing, by=self.cast.admin)
        for requested, percent in first:
            self.approve(requested, percent)

    @precondition(lambda self: len(self.grants) < MAX_GRANTS)
    @rule(requested=st.integers(100, 5_000), percent=st.integers(1, 100))
    def approve(self, requested: int, percent: int) -> None:
        """A reviewed application is approved for part or all of what it asked."""
        with clock.travel_to(self.today()):
            application = demo.drive(self.cast, "reviewed", requested=Decimal(requested))
        amount = max(cents(Decimal(requested) * percent / 100), Decimal("0.01"))
        approve = run_application_transition
        if self.run(approve, application, "approve", by=self.cast.manager, amount=amount):
            grant = Grant.objects.get(application=application)
            assert grant.amount_awarded == amount
            self.grants.append(grant.pk)
        else:
            assert not Grant.objects.filter(application=application).exists()

    @precondition(lambda self: self.grants)
    @rule(index=st.integers(0, MAX_GRANTS), steps=st.integers(1, 4), data=st.data())
    def move_a_grant(self, index: int, steps: int, data: st.DataObject) -> None:
        """A few steps of one grant's money history, each among those its state allows."""
        pk = self.grants[index % len(self.grants)]
        for _step in range(steps):
            self.step(Grant.objects.get(pk=pk), data.draw(st.integers(0, 5), label="choice"), data)

    def step(self, grant: Grant, choice: int, data: st.DataObject) -> None:
        """Pay or repay what is open (mostly), else a transition; choice 4-5 takes a side road."""
        scheduled = grant.payments.filter(status=PaymentStatus.SCHEDULED).first()
        claim = grant.repayment_claims.filter(status=RepaymentStatus.OPEN).first()
        finance, manager = self.cast.finance, self.cast.manager
        status = grant.status
        if scheduled is not None and choice < 4:
            self.run(services.record_payment_paid, scheduled, by=finance)
        elif claim is not None and choice < 4:
            self.run(services.record_repayment_received, claim, by=finance)
        elif status == GrantStatus.OFFERED:
            if choice < 4:
                self.run(services.accept_offer, grant, by=self.cast.applicant, full_name="Erika Mustermann", consent=True)  # fmt: skip
            elif choice == 4:
                self.run(services.decline_offer, grant, by=self.cast.applicant, reason="verschoben")
            else:
                self.wait_until(grant.offer_expires_on)
                self.run(services.lapse_offer, grant, by=None)
        elif status == GrantStatus.ACCEPTED:
            if choice == 5:
                self.run(services.cancel_grant, grant, by=manager, reason="abgesagt")
            else:
                self.wait_until(grant.project_end)
                self.run(services.end_project, grant, by=None)
        elif status == GrantStatus.REPORT_DUE:
            if choice == 5:
                self.wait_until(grant.report_due_on)
                self.run(services.revoke_grant, grant, by=manager, reason="kein Bericht")
            else:
                eligible = data.draw(euros, label="eligible")
                self.run(
                    services.submit_report_figures,
                    grant,
                    by=self.cast.applicant,
                    actual_expenses=eligible + data.draw(euros, label="ineligible"),
                    actual_eligible_expenses=eligible,
                    actual_other_income=data.draw(euros, label="other income"),
                )
        elif status == GrantStatus.REPORT_SUBMITTED:
            if self.run(services.accept_report, grant, by=self.cast.reviewer):
                grant.refresh_from_db()
                assert grant.final_amount is not None
                assert grant.final_amount <= grant.amount_awarded
        elif status == GrantStatus.SETTLED:
            self.run(services.close_grant, grant, by=finance)

    @rule(days=st.sampled_from([1, 7, 30]))
    def time_passes(self, days: int) -> None:
        self.days = min(self.days + days, MAX_DAYS)

    # --- invariants ----------------------------------------------------------------------------
    @invariant()
    def the_ledger_adds_up(self) -> None:
        entries = list(
            LedgerEntry.objects.values_list("allocation_id", "grant_id", "kind", "amount")
        )
        assert all(amount > 0 for *_rest, amount in entries), "a ledger entry is not positive"
        per_allocation: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        per_grant: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for allocation_id, grant_id, kind, amount in entries:
            per_allocation[allocation_id][kind] += amount
            per_grant[grant_id][kind] += amount
        payable: dict[int, Decimal] = defaultdict(Decimal)
        for grant in Grant.objects.all():
            own = per_grant[grant.pk]
            assert own[LedgerKind.PAY] <= grant.amount_awarded, f"grant {grant.pk} overpaid"
            assert own[LedgerKind.REPAY] <= own[LedgerKind.PAY], f"grant {grant.pk} over-repaid"
            committed = own[LedgerKind.COMMIT] - own[LedgerKind.RELEASE]
            assert committed >= 0, f"grant {grant.pk} released more than committed"
            if grant.status not in UNPAID:
                payable[grant.allocation_id] += grant.amount_awarded
        for allocation in BudgetAllocation.objects.filter(programme__code=PROGRAMME):
            balances = allocation.balances()
            sums = per_allocation[allocation.pk]
            committed = sums[LedgerKind.COMMIT] - sums[LedgerKind.RELEASE]
            label = f"{allocation}: {balances}"
            assert balances["committed"] == committed, label
            assert (balances["paid"], balances["repaid"]) == (sums[LedgerKind.PAY], sums[LedgerKind.REPAY]), label  # fmt: skip
            assert balances["allocated"] == balances["committed"] + balances["remaining"], label
            assert balances["committed"] >= 0, label
            assert balances["remaining"] >= 0, f"below zero: {label}"
            assert balances["paid"] - balances["repaid"] <= balances["committed"], label
            assert balances["paid"] <= payable[allocation.pk], label
        check_the_funders(BudgetAllocation.objects.filter(programme__code=PROGRAMME))


WALK_SETTINGS = settings(
    max_examples=generated_examples(20),
    stateful_step_count=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    # Shrinking replays database work for minutes; the printed walk (<= 15 steps) is readable.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


def test_random_money_histories_keep_the_budget_ledger_consistent(cast: demo.Cast) -> None:
    run_state_machine_as_test(lambda: LedgerWalk(cast), settings=WALK_SETTINGS)  # type: ignore[arg-type]

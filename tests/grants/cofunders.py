"""Co-funders for the random histories, and the invariant they check after every step: each
funder's committed, paid and repaid sums of a budget are its parts of the budget's grants
(`grants.funders.split`, grant by grant), committed = the sum of its parts of what the grants
must keep committed (for a live grant, its awarded amount), and the funders' sums add up to the
budget's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from grants import services
from grants.cofunding import funder_figures
from grants.funders import Funder, split
from grants.models import (
    LIVE_GRANT_STATES,
    BudgetAllocation,
    Grant,
    LedgerKind,
    planned_amount,
)
from grants.money import ZERO

# How a walk's budgets are financed: by the fund alone, or by co-funders with these shares
# (the lead's first), chosen to make rounding bite: thirds, a lead of one hundredth.
FINANCING: list[tuple[str, ...]] = [
    (),
    ("100",),
    ("50", "50"),
    ("66.67", "33.33"),
    ("33.34", "33.33", "33.33"),
    ("0.01", "99.99"),
]


def cofinance(allocations: Iterable[BudgetAllocation], shares: Sequence[str], *, by: Any) -> None:
    """Give the budgets (before any booking) co-funders with these shares."""
    funders = [
        Funder.objects.get_or_create(
            identifier=f"XI-TEST-FUNDER{index}",
            defaults={"name_de": f"Geldgeber {index}", "country": "DE"},
        )[0]
        for index in range(len(shares))
    ]
    for allocation in allocations:
        wanted = [(funder, Decimal(share)) for funder, share in zip(funders, shares, strict=True)]
        services.set_cofunders(allocation, wanted, by=by)


def _sums(grant: Grant) -> dict[str, Decimal]:
    totals = dict.fromkeys(LedgerKind.values, ZERO)
    for kind, amount in grant.ledger_entries.values_list("kind", "amount"):
        totals[kind] += amount
    return totals


def check_the_funders(allocations: Iterable[BudgetAllocation]) -> None:
    budgets = list(allocations)
    read = BudgetAllocation.objects.filter(pk__in=[b.pk for b in budgets])
    figures = funder_figures(list(read.select_related("programme__fund")))
    for budget in budgets:
        own = figures[budget.pk]
        percents = [f.financier.percent for f in own]
        expected = {key: [ZERO] * len(own) for key in ("committed", "target", "live", "paid", "repaid")}  # fmt: skip
        # Whether every grant of the budget keeps its awarded amount committed (none ended,
        # none owes money back beyond it): then committed is the live grants' amounts.
        all_live = True
        for grant in Grant.objects.filter(allocation=budget):
            sums = _sums(grant)
            target = grant.commitment_target(planned_amount(grant))
            all_live &= grant.status in LIVE_GRANT_STATES and target == grant.amount_awarded
            figures_of_grant = {
                "committed": sums[LedgerKind.COMMIT] - sums[LedgerKind.RELEASE],
                "target": target,
                "live": grant.amount_awarded,
                "paid": sums[LedgerKind.PAY],
                "repaid": sums[LedgerKind.REPAY],
            }
            for key, amount in figures_of_grant.items():
                for index, part in enumerate(split(amount, percents)):
                    expected[key][index] += part
        balances = budget.balances()
        for index, funder in enumerate(own):
            label = f"{budget}, funder {index} ({funder.financier.percent} %)"
            assert funder.committed == expected["committed"][index] == expected["target"][index], label  # fmt: skip
            assert funder.paid == expected["paid"][index], label
            assert funder.repaid == expected["repaid"][index], label
            if all_live:
                assert funder.committed == expected["live"][index], label
        for key in ("committed", "paid", "repaid"):
            assert sum((getattr(f, key) for f in own), ZERO) == balances[key], (budget, key)
        assert sum((f.allocated for f in own), ZERO) == budget.amount

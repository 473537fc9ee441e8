"""Who finances a budget, and each funder's part of its figures and of a grant (the rule and
its reasons are in `grants.funders`). Reads only: which budgets a reader may see is the
caller's queryset (`BudgetAllocation.objects.visible_to`).

A funder's figure of a budget is the sum of its parts of the budget's grants: of what each
grant has committed (commitments less releases), was paid and paid back. The non-lead
co-funders' sums come from one aggregate query; the lead funder's figure is the budget's total
less theirs, so that the funders' figures always add up to the budget's (a booking without a
grant, which the services never write, would fall to the lead funder).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from grants.funders import HUNDRED, AllocationShare, Funder, funder_cents, split
from grants.models import (
    BudgetAllocation,
    Fund,
    Grant,
    LedgerEntry,
    LedgerKind,
    grant_ledger_total,
)
from grants.money import ZERO

_CENTS = models.DecimalField(max_digits=20, decimal_places=0)
_MONEY = models.DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class Financier:
    """Who finances a budget: a co-funder with its share, or the fund itself (`funder` None)
    for the whole of a budget without co-funders. Names are read when shown, in the reader's
    language."""

    funder: Funder | None
    fund: Fund
    percent: Decimal
    lead: bool

    @property
    def name(self) -> str:
        return self.funder.name if self.funder is not None else self.fund.name

    @property
    def is_fund(self) -> bool:
        return self.funder is None


@dataclass(frozen=True)
class Part:
    """A financier's part of one amount (a grant's)."""

    financier: Financier
    amount: Decimal


@dataclass(frozen=True)
class FunderFigures:
    """A financier's part of a budget's figures."""

    financier: Financier
    allocated: Decimal
    committed: Decimal
    paid: Decimal
    repaid: Decimal


def shares_by_allocation(allocation_ids: Iterable[int]) -> dict[int, list[AllocationShare]]:
    """The co-funders of the budgets, each budget's lead funder first; one query."""
    found: dict[int, list[AllocationShare]] = defaultdict(list)
    for share in (
        AllocationShare.objects.filter(allocation_id__in=sorted(set(allocation_ids)))
        .select_related("funder")
        .order_by("allocation_id", "pk")
    ):
        found[share.allocation_id].append(share)
    return dict(found)


def financiers(fund: Fund, shares: Sequence[AllocationShare]) -> list[Financier]:
    """Who finances a budget with these co-funders: them, the lead first; without any, the
    fund itself."""
    if not shares:
        return [Financier(None, fund, HUNDRED, lead=True)]
    return [
        Financier(share.funder, fund, share.percent, lead=index == 0)
        for index, share in enumerate(shares)
    ]


def cofunders_of(allocation: BudgetAllocation) -> list[Financier]:
    """The co-funders of one budget with their shares, the lead first; none when the fund alone
    finances it. One query."""
    shares = shares_by_allocation([allocation.pk]).get(allocation.pk, [])
    return financiers(allocation.programme.fund, shares) if shares else []


def parts_of(amount: Decimal, financing: Sequence[Financier]) -> list[Part]:
    """`amount` split among the financiers of its budget (`grants.funders.split`)."""
    amounts = split(amount, [financier.percent for financier in financing])
    return [Part(f, a) for f, a in zip(financing, amounts, strict=True)]


def grant_parts(grant: Grant, amount: Decimal | None = None) -> list[Part]:
    """Each financier's part of the grant's amount (or of `amount`); one query."""
    shares = shares_by_allocation([grant.allocation_id]).get(grant.allocation_id, [])
    fund = grant.programme.fund
    return parts_of(grant.amount_awarded if amount is None else amount, financiers(fund, shares))


def cofinanced_parts(grant: Grant) -> list[Part]:
    """The co-funders' parts of the grant's amount, or none when the fund alone finances it."""
    parts = grant_parts(grant)
    return [] if parts[0].financier.is_fund else parts


def _kind(kind: str) -> Coalesce:
    return Coalesce(Sum("amount", filter=Q(kind=kind)), ZERO, output_field=_MONEY)


def _cents(figure: Any) -> Coalesce:
    return Coalesce(
        Sum(funder_cents(figure, F("allocation__shares__percent"))), Decimal(0), output_field=_CENTS
    )


def _totals(ids: list[int]) -> dict[int, dict[str, Decimal]]:
    """The budgets' committed, paid and repaid sums (as `BudgetAllocation.balances`); one query."""
    return {
        row["allocation"]: {
            "committed": row["commit"] - row["release"],
            "paid": row["pay"],
            "repaid": row["repay"],
        }
        for row in LedgerEntry.objects.filter(allocation_id__in=ids)
        .order_by()
        .values("allocation")
        .annotate(
            commit=_kind(LedgerKind.COMMIT),
            release=_kind(LedgerKind.RELEASE),
            pay=_kind(LedgerKind.PAY),
            repay=_kind(LedgerKind.REPAY),
        )
    }


def funder_figures(
    allocations: Sequence[BudgetAllocation],
    *,
    balances: Mapping[int, Mapping[str, Decimal]] | None = None,
) -> dict[int, list[FunderFigures]]:
    """Per budget, each financier's allocated, committed, paid and repaid sums (the lead's
    first). Three queries for any number of budgets, one less when none has co-funders and one
    less when the caller has the budgets' `balances` already (by id); each budget's programme
    and fund are read from it (select them with it)."""
    ids = [allocation.pk for allocation in allocations]
    shares = shares_by_allocation(ids)
    totals = dict(balances) if balances is not None else _totals(ids)
    parts: dict[int, dict[str, Decimal]] = {}
    if shares:
        committed = grant_ledger_total(LedgerKind.COMMIT) - grant_ledger_total(LedgerKind.RELEASE)
        for row in (
            Grant.objects.filter(allocation_id__in=sorted(shares))
            .order_by()
            .values(share=F("allocation__shares"))
            .annotate(
                committed=_cents(committed),
                paid=_cents(grant_ledger_total(LedgerKind.PAY)),
                repaid=_cents(grant_ledger_total(LedgerKind.REPAY)),
            )
        ):
            parts[row["share"]] = {
                key: Decimal(row[key]).scaleb(-2) for key in ("committed", "paid", "repaid")
            }
    result: dict[int, list[FunderFigures]] = {}
    for allocation in allocations:
        sums = totals.get(allocation.pk, {})
        total = {key: sums.get(key, ZERO) for key in ("committed", "paid", "repaid")}
        own = shares.get(allocation.pk, [])
        financing = financiers(allocation.programme.fund, own)
        allocated = split(allocation.amount, [f.percent for f in financing])
        others = [parts.get(share.pk, {}) for share in own[1:]]
        lead = {
            key: value - sum((other.get(key, ZERO) for other in others), ZERO)
            for key, value in total.items()
        }
        figures = [lead, *others]
        result[allocation.pk] = [
            FunderFigures(
                financier,
                allocated=allocated[index],
                committed=figures[index].get("committed", ZERO),
                paid=figures[index].get("paid", ZERO),
                repaid=figures[index].get("repaid", ZERO),
            )
            for index, financier in enumerate(financing)
        ]
    return result

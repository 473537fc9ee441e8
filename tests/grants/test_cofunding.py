"""Co-funding: a budget financed by a German and a French ministry, 50/50 or in other shares.

The rounding rule (grants.funders.split): every co-funder but the lead gets its share rounded
down to the cent, the lead funder the rest; the database computes the same parts
(`funder_cents`), and a funder's figure of a budget is the sum of its parts of the grants.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Value
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from demo import builders as demo
from demo.cofunding import cofinance_budgets, ensure_ministries
from grants import services
from grants.cofunding import cofinanced_parts, funder_figures, grant_parts
from grants.funders import AllocationShare, Funder, funder_cents, split
from grants.models import BudgetAllocation, Grant, LedgerKind, PaymentStatus
from grants.money import ZERO
from tests.support import generated_examples
from workflows.errors import RuleViolation, TransitionForbidden

amounts = st.integers(0, 10**11).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def shares(draw: st.DrawFn) -> list[Decimal]:
    """Between one and five shares in percent with two decimals, adding up to 100."""
    count = draw(st.integers(1, 5))
    cuts = sorted(draw(st.lists(st.integers(1, 9_999), min_size=count - 1, max_size=count - 1, unique=True)))  # fmt: skip
    points = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    return [Decimal(p).scaleb(-2) for p in points]


# --- the rule -----------------------------------------------------------------------------------


@settings(max_examples=generated_examples(300), deadline=None)
@given(amount=amounts, percents=shares())
def test_the_parts_add_up_to_the_amount_and_stay_within_a_cent_per_funder(amount, percents):
    parts = split(amount, percents)
    assert sum(parts, ZERO) == amount
    assert all(part == part.quantize(Decimal("0.01")) and part >= 0 for part in parts)
    exact = [amount * percent / 100 for percent in percents]
    for part, share in zip(parts[1:], exact[1:], strict=True):
        assert share - Decimal("0.01") < part <= share  # rounded down to the cent
    # The lead funder takes the cents the others leave: less than one per other funder.
    assert exact[0] <= parts[0] < exact[0] + Decimal("0.01") * len(percents)


def test_half_and_half_gives_the_odd_cent_to_the_lead_funder():
    assert split(Decimal("2500.01"), [Decimal(50), Decimal(50)]) == [Decimal("1250.01"), Decimal("1250.00")]  # fmt: skip
    assert split(Decimal("100.00"), [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]) == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]  # fmt: skip
    assert split(Decimal("0.02"), [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]) == [Decimal("0.02"), Decimal("0.00"), Decimal("0.00")]  # fmt: skip
    assert split(Decimal("7.00"), [Decimal(100)]) == [Decimal("7.00")]


@pytest.mark.django_db
@settings(max_examples=generated_examples(100), deadline=None)
@given(amount=amounts, percent=st.integers(1, 10_000).map(lambda p: Decimal(p).scaleb(-2)))
def test_the_database_computes_the_same_parts(amount, percent):
    funder = Funder.objects.first() or ensure_ministries()[0]
    row = (
        Funder.objects.filter(pk=funder.pk)
        .annotate(part=funder_cents(Value(amount), Value(percent)))
        .values_list("part", flat=True)
        .get()
    )
    assert Decimal(row) == int(amount * 100) * int(percent * 100) // 10_000
    if percent < 100:
        assert Decimal(row).scaleb(-2) == split(amount, [Decimal(100) - percent, percent])[1]


# --- naming the co-funders --------------------------------------------------------------------


@pytest.fixture
def ministries(db: Any) -> list[Funder]:
    return ensure_ministries()


@pytest.fixture
def this_year(cast: demo.Cast) -> BudgetAllocation:
    from workflows import clock

    return BudgetAllocation.objects.get(programme__code="small-boost", year=clock.today().year)


def test_the_fund_alone_finances_a_budget_without_co_funders(cast, this_year):
    grant = demo.drive(cast, "approved", "offered").grant
    [part] = grant_parts(grant)
    assert part.financier.is_fund and part.financier.name == cast.fund.name
    assert part.amount == grant.amount_awarded and part.financier.percent == 100
    assert cofinanced_parts(grant) == []


def test_an_administrator_names_the_co_funders_of_a_budget(cast, ministries, this_year):
    german, french = ministries
    services.set_cofunders(this_year, [(german, Decimal(60)), (french, Decimal(40))], by=cast.admin)
    assert list(this_year.shares.values_list("funder", "percent")) == [(german.pk, Decimal("60.00")), (french.pk, Decimal("40.00"))]  # fmt: skip
    services.set_cofunders(this_year, [], by=cast.admin)
    assert not this_year.shares.exists()


@pytest.mark.parametrize(
    ("percents", "words"),
    [
        ([Decimal(50), Decimal("49.5")], "must add up to 100 % (now 99.50 %)"),
        ([Decimal(60), Decimal(60)], "must add up to 100 % (now 120 %)"),
        ([Decimal(100), Decimal(0)], "more than 0 %"),
    ],
)
def test_shares_that_do_not_make_a_whole_budget_are_refused(cast, ministries, this_year, percents, words):  # fmt: skip
    pairs = list(zip(ministries, percents, strict=True))
    with translation.override("en"), pytest.raises(RuleViolation) as refused:
        services.set_cofunders(this_year, pairs, by=cast.admin)
    with translation.override("en"):
        assert words in str(refused.value.message)
    assert not this_year.shares.exists()


def test_a_funder_is_named_once_per_budget(cast, ministries, this_year):
    german = ministries[0]
    with translation.override("en"), pytest.raises(RuleViolation, match="only once"):
        services.set_cofunders(this_year, [(german, Decimal(50)), (german, Decimal(50))], by=cast.admin)  # fmt: skip


def test_only_administrators_name_co_funders(cast, ministries, this_year):
    for person in (cast.manager, cast.finance, cast.funder, cast.applicant):
        with pytest.raises(TransitionForbidden):
            services.set_cofunders(this_year, [(ministries[0], Decimal(100))], by=person)


def test_the_co_funders_are_fixed_once_money_is_booked(cast, ministries, this_year):
    cofinance_budgets(cast.fund, by=cast.admin)
    demo.drive(cast, "approved", "offered")
    assert this_year.entries.exists()
    with translation.override("en"):
        with pytest.raises(RuleViolation, match="cannot change any more"):
            services.set_cofunders(this_year, [(ministries[0], Decimal(100))], by=cast.admin)
        with pytest.raises(RuleViolation, match="cannot change any more"):
            services.set_cofunders(this_year, [], by=cast.admin)
    # Naming the same co-funders again changes nothing, and is no refusal.
    services.set_cofunders(this_year, [(ministries[0], Decimal(50)), (ministries[1], Decimal(50))], by=cast.admin)  # fmt: skip
    assert this_year.shares.count() == 2


# --- the ledger per funder ---------------------------------------------------------------------


def test_committed_and_paid_per_funder_follow_the_shares_grant_by_grant(
    cast, ministries, this_year
):
    german, french = ministries
    services.set_cofunders(this_year, [(german, Decimal("66.67")), (french, Decimal("33.33"))], by=cast.admin)  # fmt: skip
    grants = [
        demo.drive(cast, "approved", "accepted", requested=Decimal(amount)).grant
        for amount in ("4000.01", "1234.57", "999.99")
    ]
    for grant in grants:
        for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
            services.record_payment_paid(payment, by=cast.finance)
    this_year = BudgetAllocation.objects.select_related("programme__fund").get(pk=this_year.pk)
    figures = funder_figures([this_year])[this_year.pk]
    balances = this_year.balances()
    assert [f.financier.funder for f in figures] == [german, french]
    assert [f.financier.lead for f in figures] == [True, False]
    for key in ("committed", "paid", "repaid"):
        assert sum((getattr(f, key) for f in figures), ZERO) == balances[key]
    assert sum((f.allocated for f in figures), ZERO) == this_year.amount
    shares = [Decimal("66.67"), Decimal("33.33")]
    paid_of = {g.pk: sum((e.amount for e in g.ledger_entries.filter(kind=LedgerKind.PAY)), ZERO) for g in grants}  # fmt: skip
    for index in range(2):
        committed = sum((split(g.amount_awarded, shares)[index] for g in grants), ZERO)
        paid = sum((split(paid_of[g.pk], shares)[index] for g in grants), ZERO)
        assert (figures[index].committed, figures[index].paid) == (committed, paid)
    assert figures[1].committed < figures[0].committed


def test_the_figures_of_many_budgets_take_three_queries(
    cast, ministries, django_assert_num_queries
):
    cofinance_budgets(cast.fund, by=cast.admin)
    for _ in range(3):
        demo.drive(cast, "approved", "accepted")
    budgets = list(BudgetAllocation.objects.select_related("programme__fund"))
    with django_assert_num_queries(3):
        figures = funder_figures(budgets)
    assert {len(found) for found in figures.values()} == {2}


def test_a_grant_names_its_co_funders_with_their_parts(cast, ministries, this_year):
    cofinance_budgets(cast.fund, by=cast.admin)
    grant = demo.drive(cast, "approved", "offered", requested=Decimal("4000.01")).grant
    grant = Grant.objects.select_related("programme__fund").get(pk=grant.pk)
    parts = cofinanced_parts(grant)
    assert [(p.financier.funder, p.financier.percent, p.amount) for p in parts] == [
        (ministries[0], Decimal("50.00"), Decimal("2000.01")),
        (ministries[1], Decimal("50.00"), Decimal("2000.00")),
    ]
    assert AllocationShare.objects.filter(allocation=grant.allocation).count() == 2

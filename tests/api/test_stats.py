"""Statistics: counts and sums grouped by any of the keys, checked against a hand computation, in
one aggregate query."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone, translation

from applications.models import Application
from applications.statistics import GROUPS, statistics
from demo.cofunding import ensure_ministries
from grants import services as grant_services
from grants.funders import AllocationShare, Funder, split
from grants.models import BudgetAllocation, LedgerEntry, LedgerKind
from tests.api.conftest import World

KEYS = list(GROUPS)


def funders_by_hand(application: Application) -> list[tuple[str | None, str | None, Decimal]]:
    """(org-id, English name, share) of each funder of the application's grant's budget: its
    co-funders (the lead first), else the fund; (None, None, 100) without a grant."""
    grant = getattr(application, "grant", None)
    if grant is None:
        return [(None, None, Decimal(100))]
    shares = AllocationShare.objects.filter(allocation=grant.allocation).order_by("pk")
    with translation.override("en"):
        found = [(s.funder.identifier, s.funder.name, s.percent) for s in shares]
        return found or [("360G-microgrants-FUND-BF", application.fund.name, Decimal(100))]


def by_hand(applications: list[Application], group_by: list[str]) -> list[dict[str, Any]]:
    """The same figures, row by row in Python (per funder: each amount split by its shares)."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "requested": Decimal(0), "awarded": Decimal(0), "paid": Decimal(0)}
    )
    names: dict[tuple[Any, ...], str | None] = {}
    for application in applications:
        grant = getattr(application, "grant", None)
        paid = sum(
            (e.amount for e in LedgerEntry.objects.filter(grant=grant, kind=LedgerKind.PAY)),
            Decimal(0),
        ) if grant else Decimal(0)  # fmt: skip
        funders = funders_by_hand(application)
        percents = [percent for _id, _name, percent in funders]
        amounts = {
            figure: dict(zip([f[0] for f in funders], split(amount, percents), strict=True))
            for figure, amount in (
                ("requested", application.requested_amount),
                ("awarded", application.awarded_amount or Decimal(0)),
                ("paid", paid),
            )
        }
        values = {
            "programme": [application.programme_id],
            "year": [timezone.localtime(application.submitted_at).year],
            "status": [application.status],
            "country": [application.organisation.country],
            "region": [application.organisation.region or None],
            "theme": sorted(application.themes),
            "funder": [identifier for identifier, _name, _percent in funders],
        }
        for combination in itertools.product(*(values[key] for key in group_by)):
            row = groups[combination]
            row["count"] += 1
            if "funder" in group_by:
                funder = combination[group_by.index("funder")]
                names[combination] = next(name for f, name, _p in funders if f == funder)
                for figure in ("requested", "awarded", "paid"):
                    row[figure] += amounts[figure][funder]
                continue
            row["requested"] += application.requested_amount
            row["awarded"] += application.awarded_amount or 0
            row["paid"] += paid
    return [
        {
            **dict(zip(group_by, key, strict=True)),
            **({"funder_name": names[key]} if "funder" in group_by else {}),
            **{k: v if k == "count" else f"{v:.2f}" for k, v in figures.items()},
        }
        for key, figures in sorted(groups.items(), key=lambda item: [str(v) for v in item[0]])
    ]


@pytest.fixture(params=["fund alone", "co-funded"])
def financing(request: Any, cast: Any, programme_a: Any, programme_b: Any) -> str:
    """The budgets as they were, or co-funded before any booking: programme A's by two
    ministries half and half, programme B's by three funders in thirds (rounding to show)."""
    if request.param == "co-funded":
        german, french = ensure_ministries()
        third = Funder.objects.create(name_de="Stiftung Dritte Hand", name_en="Third Hand Foundation", identifier="XI-EORI-DE123456789012345", country="DE")  # fmt: skip
        for allocation in BudgetAllocation.objects.filter(programme=programme_a):
            grant_services.set_cofunders(allocation, [(german, Decimal(50)), (french, Decimal(50))], by=cast.admin)  # fmt: skip
        for allocation in BudgetAllocation.objects.filter(programme=programme_b):
            grant_services.set_cofunders(allocation, [(third, Decimal("33.34")), (german, Decimal("33.33")), (french, Decimal("33.33"))], by=cast.admin)  # fmt: skip
    return str(request.param)


def visible(world: World) -> list[Application]:
    return [Application.objects.get(pk=a.pk) for a in world.in_a + world.in_b]


@pytest.mark.parametrize(
    "group_by", [[], *([key] for key in KEYS), ["programme", "year"], ["country", "region", "theme"], KEYS]
)  # fmt: skip
def test_statistics_match_a_hand_computation(financing, all_programmes_funder, world: World, group_by):  # fmt: skip
    url = f"/api/v1/stats/?group_by={','.join(group_by)}"
    body = all_programmes_funder.client.get(url).json()
    assert body["group_by"] == group_by
    got = sorted(body["results"], key=lambda row: [str(row[k]) for k in group_by])
    assert got == by_hand(visible(world), group_by)


def test_paid_counts_each_payment_once_however_many_themes(all_programmes_funder, world: World):
    rows = all_programmes_funder.client.get("/api/v1/stats/?group_by=status").json()["results"]
    approved = next(row for row in rows if row["status"] == "approved")
    assert approved == {"status": "approved", "count": 2, "requested": "12000.00", "awarded": "12000.00", "paid": "9000.00"}  # fmt: skip


def test_statistics_take_the_list_filters(all_programmes_funder, world: World, programme_b):
    url = f"/api/v1/stats/?programme={programme_b.pk}&theme=culture"
    rows = all_programmes_funder.client.get(url).json()["results"]
    assert rows == [{"count": 2, "requested": "14000.00", "awarded": "8000.00", "paid": "6000.00"}]


def test_statistics_are_one_aggregate_query(world: World, django_assert_num_queries):
    applications = Application.objects.exclude(status="draft")
    for group_by in ([], ["theme"], KEYS):
        with django_assert_num_queries(1):
            statistics(applications, group_by)


def test_the_stats_endpoint_costs_the_same_for_any_grouping(
    all_programmes_funder, world: World, django_assert_max_num_queries
):
    all_programmes_funder.client.get("/api/v1/stats/")  # records the token's first use
    for group_by in ("", "programme", ",".join(KEYS)):
        # the token with its user, the user's roles, the aggregate
        with django_assert_max_num_queries(3):
            all_programmes_funder.client.get(f"/api/v1/stats/?group_by={group_by}")


@pytest.mark.parametrize("group_by", ["programme,colour", "year,year", "\x00", "programme;status"])
def test_an_unknown_grouping_is_a_400_problem(all_programmes_funder, db, group_by):
    response = all_programmes_funder.client.get("/api/v1/stats/", {"group_by": group_by})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "group_by"


# --- per funder -----------------------------------------------------------------------------------

GERMAN, FRENCH, THIRD = (
    "360G-microgrants-FUNDER-DE-AA",
    "360G-microgrants-FUNDER-FR-MEAE",
    "XI-EORI-DE123456789012345",
)


def by_funder(client: Any) -> dict[Any, dict[str, Any]]:
    rows = client.get("/api/v1/stats/?group_by=funder").json()["results"]
    return {row.pop("funder"): row for row in rows}


@pytest.mark.parametrize("financing", ["co-funded"], indirect=True)
def test_grouped_by_funder_each_grant_is_split_by_its_budgets_shares(financing, all_programmes_funder, world: World):  # fmt: skip
    rows = by_funder(all_programmes_funder.client)
    # Programme A (4,000, paid 3,000): the two ministries half and half. Programme B (8,000,
    # paid 6,000): thirds, each co-funder's rounded down to the cent, the lead funder the rest.
    # fmt: off
    assert rows == {
        GERMAN: {"funder_name": "Federal Foreign Office (demo)", "count": 2, "requested": "4666.40", "awarded": "4666.40", "paid": "3499.80"},
        FRENCH: {"funder_name": "Ministry for Europe and Foreign Affairs (demo)", "count": 2, "requested": "4666.40", "awarded": "4666.40", "paid": "3499.80"},
        THIRD: {"funder_name": "Third Hand Foundation", "count": 1, "requested": "2667.20", "awarded": "2667.20", "paid": "2000.40"},
        None: {"funder_name": None, "count": 3, "requested": "11000.00", "awarded": "0.00", "paid": "0.00"},
    }
    # fmt: on
    totals = all_programmes_funder.client.get("/api/v1/stats/").json()["results"][0]
    for figure in ("requested", "awarded", "paid"):
        assert sum(Decimal(row[figure]) for row in rows.values()) == Decimal(totals[figure])


def test_a_budget_without_co_funders_is_the_funds_own(all_programmes_funder, world: World):
    rows = by_funder(all_programmes_funder.client)
    assert set(rows) == {"360G-microgrants-FUND-BF", None}
    assert rows["360G-microgrants-FUND-BF"] == {"funder_name": "Franco-German Citizens' Fund (demo)", "count": 2, "requested": "12000.00", "awarded": "12000.00", "paid": "9000.00"}  # fmt: skip


@pytest.mark.parametrize("financing", ["co-funded"], indirect=True)
def test_a_token_of_one_programme_sees_no_funder_of_another(financing, fiona, world: World):
    rows = by_funder(fiona.client)
    assert set(rows) == {GERMAN, FRENCH, None}  # the third funder finances programme B only
    assert rows[GERMAN] == {"funder_name": "Federal Foreign Office (demo)", "count": 1, "requested": "2000.00", "awarded": "2000.00", "paid": "1500.00"}  # fmt: skip
    assert rows[None]["count"] == 2

"""Budgets in the API: each yearly budget with its ledger's balances and each funder's part of
them, for programme managers, finance officers and administrators within their token's
programmes; funders read the statistics instead."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from demo.cofunding import ensure_ministries
from grants import services as grant_services
from grants.funders import Funder
from grants.models import BudgetAllocation
from tests.api.conftest import World, issue, session_client
from workflows import clock


@pytest.fixture
def cofunded(cast: Any, programme_a: Any, programme_b: Any) -> list[Funder]:
    """Before any booking: programme A's budgets by the two ministries half and half, programme
    B's by a foundation alone."""
    german, french = ensure_ministries()
    foundation = Funder.objects.create(name_de="Stiftung B", name_en="Foundation B", identifier="XI-EORI-DE999999999999999", country="DE")  # fmt: skip
    for allocation in BudgetAllocation.objects.filter(programme=programme_a):
        grant_services.set_cofunders(allocation, [(german, Decimal(50)), (french, Decimal(50))], by=cast.admin)  # fmt: skip
    for allocation in BudgetAllocation.objects.filter(programme=programme_b):
        grant_services.set_cofunders(allocation, [(foundation, Decimal(100))], by=cast.admin)
    return [german, french, foundation]


def this_years(answer: Any, programme: Any) -> dict[str, Any]:
    year = clock.today().year
    return next(row for row in answer.json()["results"] if (row["programme"], row["year"]) == (programme.pk, year))  # fmt: skip


def test_finance_reads_each_budget_with_each_funders_part(cofunded, finance_token, world: World, programme_a):  # fmt: skip
    answer = finance_token.client.get("/api/v1/budgets/", {"programme": programme_a.pk})
    assert answer.status_code == 200
    budget = this_years(answer, programme_a)
    allocation = BudgetAllocation.objects.get(pk=budget["id"])
    balances = allocation.balances()
    assert {key: Decimal(budget[key]) for key in balances} == balances
    # Programme A's grant of 4,000 (advance of 3,000 paid), half and half.
    assert budget["funders"] == [
        {"funder": "360G-microgrants-FUNDER-DE-AA", "name": "Federal Foreign Office (demo)", "country": "DE", "share": "50.00", "lead": True,
         "allocated": f"{allocation.amount / 2:.2f}", "committed": "2000.00", "paid": "1500.00", "repaid": "0.00"},
        {"funder": "360G-microgrants-FUNDER-FR-MEAE", "name": "Ministry for Europe and Foreign Affairs (demo)", "country": "FR", "share": "50.00", "lead": False,
         "allocated": f"{allocation.amount / 2:.2f}", "committed": "2000.00", "paid": "1500.00", "repaid": "0.00"},
    ]  # fmt: skip
    detail = finance_token.client.get(f"/api/v1/budgets/{allocation.pk}/")
    assert detail.json() == budget


def test_a_budget_without_co_funders_is_the_funds_alone(finance_token, world: World, programme_a):
    budget = this_years(finance_token.client.get("/api/v1/budgets/"), programme_a)
    [own] = budget["funders"]
    assert (own["funder"], own["name"], own["country"], own["share"], own["lead"]) == ("360G-microgrants-FUND-BF", "Franco-German Citizens' Fund (demo)", None, "100.00", True)  # fmt: skip
    assert (own["committed"], own["paid"]) == (budget["committed"], budget["paid"]) == ("4000.00", "3000.00")  # fmt: skip


def test_a_staff_token_of_one_programme_reads_no_other_budget_nor_its_funders(cofunded, cast, world: World, programme_a, programme_b):  # fmt: skip
    manager = issue(cast.manager, by=cast.admin, programmes=[programme_a])
    answer = manager.client.get("/api/v1/budgets/")
    assert answer.status_code == 200
    assert {row["programme"] for row in answer.json()["results"]} == {programme_a.pk}
    assert "XI-EORI-DE999999999999999" not in answer.content.decode()
    other = BudgetAllocation.objects.filter(programme=programme_b).first()
    assert manager.client.get(f"/api/v1/budgets/{other.pk}/").status_code == 404


def test_funders_and_reviewers_do_not_read_budgets(cast, fiona, all_programmes_funder, anonymous, world: World):  # fmt: skip
    for client in (fiona.client, all_programmes_funder.client, session_client(cast.reviewer)):
        answer = client.get("/api/v1/budgets/")
        assert answer.status_code == 403
        assert answer["Content-Type"] == "application/problem+json"
    assert anonymous.get("/api/v1/budgets/").status_code == 401
    assert session_client(cast.manager).get("/api/v1/budgets/").status_code == 200


def test_the_budget_list_costs_the_same_for_few_and_many_budgets(cofunded, finance_token, world: World, django_assert_max_num_queries):  # fmt: skip
    finance_token.client.get("/api/v1/budgets/")  # records the token's first use
    for size in (1, 100):
        # the token with its user, the user's roles, the page, the co-funders, their parts
        with django_assert_max_num_queries(5):
            answer = finance_token.client.get("/api/v1/budgets/", {"page_size": size})
        assert len(answer.json()["results"]) == min(size, BudgetAllocation.objects.count())

"""Two managers decide from the same call's ranking at the same moment, on PostgreSQL with real
threads: the budget's row lock and the locks on the ticked applications make them come one
after the other, so the budget is never over-committed and no bulk decision is half-done."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import BudgetAllocation, Grant
from reviews import ranking
from tests.conftest import on_postgresql
from tests.reviews.ranking_support import assessed, call_programme, leave_in_budget
from tests.test_concurrency_pg import race
from workflows import clock
from workflows.roles import Role

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

AMOUNT = Decimal("4000.00")


def decide_as(manager_pk: int, call_pk: int, pks: list[int]) -> Any:
    def job() -> Any:
        manager = get_user_model().objects.get(pk=manager_pk)
        call = ranking.call_for_ranking(call_pk, manager)
        assert call is not None
        return ranking.decide_from_ranking(call, pks, by=manager, decision="approve")

    return job


def statuses(applications: list[Application]) -> list[str]:
    found = dict(
        Application.objects.filter(pk__in=[a.pk for a in applications]).values_list("pk", "status")
    )
    return [found[a.pk] for a in applications]


def test_two_managers_approving_different_applications_never_over_commit_the_budget(cast: Any) -> None:  # fmt: skip
    programme, call = call_programme(cast)
    applications = [assessed(cast, call, (10, 10), days_ago=40 + i) for i in range(6)]
    # Room for four: each manager's three fit alone, not both together.
    allocation = leave_in_budget(programme, AMOUNT * 4)
    other = demo.make_user("manager-b", Role.MANAGER)
    first, second = applications[:3], applications[3:]

    outcomes = race(
        [
            decide_as(cast.manager.pk, call.pk, [a.pk for a in first]),
            decide_as(other.pk, call.pk, [a.pk for a in second]),
        ]
    )

    refusals = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refusals) == 1, outcomes
    assert isinstance(refusals[0], ranking.RankingRefusal), repr(refusals[0])
    winner = first if not isinstance(outcomes[0], BaseException) else second
    loser = second if winner is first else first
    # The budget's refusal, naming the application it could not take.
    assert loser[0].reference in str(refusals[0].message)
    assert statuses(winner) == [ApplicationStatus.APPROVED] * 3
    assert statuses(loser) == [ApplicationStatus.REVIEWED] * 3  # nothing half-done
    balances = BudgetAllocation.objects.get(pk=allocation.pk).balances()
    assert balances["committed"] <= balances["allocated"]
    assert balances["remaining"] == AMOUNT
    assert Grant.objects.filter(application__in=applications).count() == 3


def test_two_managers_ticking_the_same_applications_decide_them_once(cast: Any) -> None:
    programme, call = call_programme(cast)
    applications = [assessed(cast, call, (10, 10), days_ago=40 + i) for i in range(4)]
    allocation = leave_in_budget(programme, AMOUNT * 10)
    other = demo.make_user("manager-b", Role.MANAGER)
    pks = [a.pk for a in applications]

    outcomes = race(
        [decide_as(cast.manager.pk, call.pk, pks), decide_as(other.pk, call.pk, pks[::-1])]
    )

    refusals = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refusals) == 1, outcomes
    assert isinstance(refusals[0], ranking.RankingRefusal), repr(refusals[0])
    assert refusals[0].code == "stale_ranking"
    assert statuses(applications) == [ApplicationStatus.APPROVED] * 4
    assert Grant.objects.filter(application__in=applications).count() == 4
    assert BudgetAllocation.objects.get(pk=allocation.pk).balances()["committed"] >= 4 * AMOUNT
    assert allocation.year == clock.today().year

"""Statistics: counts and sums grouped by any of the keys, checked against a hand computation, in
one aggregate query."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from applications.models import Application
from applications.statistics import GROUPS, statistics
from grants.models import LedgerEntry, LedgerKind
from tests.api.conftest import World

KEYS = list(GROUPS)


def by_hand(applications: list[Application], group_by: list[str]) -> list[dict[str, Any]]:
    """The same figures, row by row in Python."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"count": 0, "requested": Decimal(0), "awarded": Decimal(0), "paid": Decimal(0)}
    )
    for application in applications:
        grant = getattr(application, "grant", None)
        paid = sum(
            (e.amount for e in LedgerEntry.objects.filter(grant=grant, kind=LedgerKind.PAY)),
            Decimal(0),
        ) if grant else Decimal(0)  # fmt: skip
        values = {
            "programme": [application.programme_id],
            "year": [timezone.localtime(application.submitted_at).year],
            "status": [application.status],
            "country": [application.organisation.country],
            "region": [application.organisation.region or None],
            "theme": sorted(application.themes),
        }
        for combination in itertools.product(*(values[key] for key in group_by)):
            row = groups[combination]
            row["count"] += 1
            row["requested"] += application.requested_amount
            row["awarded"] += application.awarded_amount or 0
            row["paid"] += paid
    return [
        {
            **dict(zip(group_by, key, strict=True)),
            **{k: v if k == "count" else f"{v:.2f}" for k, v in figures.items()},
        }
        for key, figures in sorted(groups.items(), key=lambda item: [str(v) for v in item[0]])
    ]


def visible(world: World) -> list[Application]:
    return [Application.objects.get(pk=a.pk) for a in world.in_a + world.in_b]


@pytest.mark.parametrize(
    "group_by", [[], *([key] for key in KEYS), ["programme", "year"], ["country", "region", "theme"], KEYS]
)  # fmt: skip
def test_statistics_match_a_hand_computation(all_programmes_funder, world: World, group_by):
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

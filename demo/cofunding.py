"""The demo fund's co-funders: a German and a French ministry finance its budgets half and half,
as the two governments finance the Bürgerfonds. Named before any money is booked (`seed_demo`
does it before replaying the histories); a budget that already has bookings keeps what it has."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from grants import services
from grants.funders import Funder
from grants.models import BudgetAllocation, Fund

# (identifier, country, names in German, French and English). The identifiers are the demo
# publisher's own (360G-<prefix>-...); a real fund writes the ministries' org-ids.
MINISTRIES = [
    (
        "360G-microgrants-FUNDER-DE-AA",
        "DE",
        {
            "name_de": "Auswärtiges Amt (Demo)",
            "name_fr": "Ministère fédéral des Affaires étrangères (démo)",
            "name_en": "Federal Foreign Office (demo)",
        },
    ),
    (
        "360G-microgrants-FUNDER-FR-MEAE",
        "FR",
        {
            "name_de": "Ministerium für Europa und auswärtige Angelegenheiten (Demo)",
            "name_fr": "Ministère de l'Europe et des Affaires étrangères (démo)",
            "name_en": "Ministry for Europe and Foreign Affairs (demo)",
        },
    ),
]
HALF = Decimal("50.00")


def ensure_ministries() -> list[Funder]:
    """The two ministries, made if missing (the German one first: the lead funder)."""
    funders = []
    for identifier, country, names in MINISTRIES:
        funder, _created = Funder.objects.get_or_create(
            identifier=identifier, defaults={"country": country, **names}
        )
        funders.append(funder)
    return funders


def cofinance_budgets(fund: Fund, *, by: Any) -> int:
    """Every budget of the fund without bookings and without co-funders becomes financed by the
    two ministries, 50/50; returns how many."""
    german, french = ensure_ministries()
    open_budgets = BudgetAllocation.objects.filter(
        programme__fund=fund, entries__isnull=True, shares__isnull=True
    ).distinct()
    count = 0
    for allocation in open_budgets.order_by("programme__category", "year"):
        services.set_cofunders(allocation, [(german, HALF), (french, HALF)], by=by)
        count += 1
    return count

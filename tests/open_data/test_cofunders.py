"""360Giving with co-funded budgets: every co-funder of a grant's budget is a
`fundingOrganization` (the lead funder first), the package stays valid against the standard's
schema, the CSV numbers the funders when a grant has several, and an export limited to some
programmes names no funder of another."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest

from demo import builders as demo
from demo.cofunding import ensure_ministries
from grants import open_data
from grants import services as grant_services
from grants.funders import Funder
from grants.models import BudgetAllocation, Programme
from tests.open_data.test_360giving import (
    _grant_schema,
    _resolves,
    drive,
    grant_id,
    package,
    package_schema,  # noqa: F401 - the fixture
)

GERMAN = {"id": "360G-microgrants-FUNDER-DE-AA", "name": "Federal Foreign Office (demo)", "addressCountry": "DE"}  # fmt: skip
FRENCH = {"id": "360G-microgrants-FUNDER-FR-MEAE", "name": "Ministry for Europe and Foreign Affairs (demo)", "addressCountry": "FR"}  # fmt: skip
# A foundation that writes no English name: the open data falls back to the German one.
FOUNDATION = {"id": "XI-EORI-DE000000000000042", "name": "Stiftung Kategorie Zwei", "addressCountry": "DE"}  # fmt: skip


@pytest.fixture
def cofunded(cast: demo.Cast) -> dict[str, Any]:
    """Before any booking: category 1 by the two ministries half and half, category 2 by a
    foundation alone; category 3 stays the fund's alone. One published grant in each."""
    german, french = ensure_ministries()
    foundation = Funder.objects.create(name_de=FOUNDATION["name"], identifier=FOUNDATION["id"], country="DE")  # fmt: skip
    for allocation in BudgetAllocation.objects.filter(programme__code="small-boost"):
        grant_services.set_cofunders(allocation, [(german, Decimal(50)), (french, Decimal(50))], by=cast.admin)  # fmt: skip
    for allocation in BudgetAllocation.objects.filter(programme__code="cat-2"):
        grant_services.set_cofunders(allocation, [(foundation, Decimal(100))], by=cast.admin)
    return {
        "small": drive(cast, "approved", "accepted", requested=Decimal("4000.00")).grant,
        "cat_2": drive(cast, "approved", "accepted", requested=Decimal("7500.00")).grant,
        "cat_3": drive(cast, "approved", "accepted", requested=Decimal("20000.00")).grant,
    }


def test_every_co_funder_is_a_funding_organisation_and_the_package_stays_valid(
    cofunded,
    package_schema,  # noqa: F811 - the fixture imported above
):
    data = package(open_data.publishable_grants())
    package_schema.validate(data)
    funding = {g["id"]: g["fundingOrganization"] for g in data["grants"]}
    assert funding[grant_id(cofunded["small"])] == [GERMAN, FRENCH]
    assert funding[grant_id(cofunded["cat_2"])] == [FOUNDATION]
    # A budget without co-funders is financed by the fund, as before co-funding existed.
    assert funding[grant_id(cofunded["cat_3"])] == [{"id": "360G-microgrants-FUND-BF", "name": "Franco-German Citizens' Fund (demo)"}]  # fmt: skip


def test_the_csv_numbers_the_funders_when_a_grant_has_several(cofunded):
    text = "".join(open_data.csv_chunks(open_data.publishable_grants()))
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert "Funding Org:Identifier" not in header
    assert [t for t in header if t.startswith("Funding Org")] == [
        "Funding Org:0:Identifier", "Funding Org:0:Name", "Funding Org:1:Identifier", "Funding Org:1:Name",
    ]  # fmt: skip
    assert all(_resolves(_grant_schema(), title) for title in header)
    by_id = {row["Identifier"]: row for row in csv.DictReader(io.StringIO(text))}
    small, cat_3 = by_id[grant_id(cofunded["small"])], by_id[grant_id(cofunded["cat_3"])]
    assert (small["Funding Org:0:Name"], small["Funding Org:1:Identifier"]) == (GERMAN["name"], FRENCH["id"])  # fmt: skip
    assert (cat_3["Funding Org:0:Identifier"], cat_3["Funding Org:1:Identifier"]) == ("360G-microgrants-FUND-BF", "")  # fmt: skip
    assert len(rows) == 3


def test_an_export_of_some_programmes_names_no_funder_of_another(cofunded):
    cat_2 = Programme.objects.get(code="cat-2")
    json_text = "".join(open_data.package_chunks(open_data.publishable_grants([cat_2.pk])))
    csv_text = "".join(open_data.csv_chunks(open_data.publishable_grants([cat_2.pk])))
    for text in (json_text, csv_text):
        assert FOUNDATION["id"] in text
        assert GERMAN["id"] not in text and FRENCH["id"] not in text
    # One funder per grant in this file: the CSV rolls it up as before.
    assert csv_text.startswith(",".join(column.key for column, _path in open_data.CSV_COLUMNS))

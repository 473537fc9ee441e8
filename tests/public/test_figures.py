"""A visitor who is not signed in reads what the fund has funded: projects and amounts by year,
country, region, theme and programme, each as a chart with its table and a CSV, counted exactly
as the funder API's statistics count them, and finds the 360Giving files."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application
from demo import builders as demo
from grants import services as grant_services
from grants.models import Payment
from organisations.models import Organisation
from public.figures import BREAKDOWNS
from tests.api.conftest import issue
from tests.test_csp import assert_page_is_clean

FIGURES = reverse("public:figures")


@dataclass
class Funded:
    in_koeln: Application  # DE, Nordrhein-Westfalen, europe + culture, advance paid
    in_dijon: Application  # FR, no region given, category 2, grant accepted, published
    others: list[Application]  # rejected, in review: not funded


@pytest.fixture
def funded(cast: demo.Cast, other_applicant: Any, other_organisation: Organisation) -> Funded:
    in_koeln = demo.drive(cast, "approved", "accepted", requested=Decimal("4000.00"))
    for payment in Payment.objects.filter(grant__application=in_koeln):
        grant_services.record_payment_paid(payment, by=cast.finance)
    in_dijon = demo.drive(
        cast,
        "approved",
        "accepted",
        requested=Decimal("8000.00"),
        title="Chorreise Dijon–Mainz",
        organisation=other_organisation,
        applicant=other_applicant,
        publication=True,
    )
    others = [
        demo.drive(cast, "rejected", requested=Decimal("2000.00")),
        demo.drive(cast, "in_review", requested=Decimal("6000.00")),
    ]
    return Funded(in_koeln, in_dijon, others)


def csv_rows(client: Client, breakdown: str) -> list[dict[str, str]]:
    response = client.get(reverse("public:figures_csv", args=[breakdown]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_a_visitor_reads_every_breakdown_as_a_chart_with_its_table(
    client: Client, funded: Funded
) -> None:
    client.cookies["django_language"] = "en"
    html = assert_page_is_clean(client, FIGURES)  # 200, strict CSP, no style= anywhere

    for slug in BREAKDOWNS:
        assert f'id="figure-{slug}"' in html and f'id="table-{slug}"' in html
        assert reverse("public:figures_csv", args=[slug]) in html
        # The chart names itself for screen readers and says its numbers in words.
        assert f'aria-labelledby="chart-{slug}-title chart-{slug}-desc"' in html
        assert f'<title id="chart-{slug}-title">' in html
        assert f'<desc id="chart-{slug}-desc">' in html
    assert html.count('role="img"') == len(BREAKDOWNS)
    # Two funded projects of 4,000 and 8,000; the rejected and the one in review do not count.
    totals = re.search(r'id="figures-totals".*?</table>', html, re.S)
    assert totals is not None
    assert ">2<" in totals.group() and "12,000.00 EUR" in totals.group()
    assert "3,000.00 EUR" in totals.group()  # the 75 % advance paid on 4,000 (not yet on 8,000)
    assert "North Rhine-Westphalia" in html and "Germany" in html and "France" in html
    assert "8,000 € · 1 project" in html  # the bar's text: the amount and the count


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("de", ["Offene Zahlen", "Geförderte Projekte nach Region", "Nordrhein-Westfalen", "12.000,00"]),
        ("fr", ["Chiffres ouverts", "Projets financés par région", "Rhénanie-du-Nord-Westphalie", "12 000,00"]),
        ("en", ["Open figures", "Funded projects by region", "North Rhine-Westphalia", "12,000.00"]),
    ],
)  # fmt: skip
def test_the_page_speaks_german_french_and_english(
    client: Client, funded: Funded, language: str, words: list[str]
) -> None:
    client.cookies["django_language"] = language
    text = client.get(FIGURES).content.decode().replace("\u202f", " ").replace("\xa0", " ")
    for word in words:
        assert word in text


def test_nothing_of_a_single_applicant_is_shown(client: Client, cast: demo.Cast, funded: Funded):
    text = client.get(FIGURES).content.decode()
    organisations = [a.organisation for a in (funded.in_koeln, funded.in_dijon)]
    private = [cast.applicant.email, cast.applicant.get_full_name(), cast.organisation.street]
    private += [o.name for o in organisations] + [o.iban for o in organisations]
    private += [funded.in_koeln.title, funded.in_dijon.title, funded.in_koeln.reference or "-"]
    for words in filter(None, private):
        assert words not in text


@pytest.mark.parametrize("group_by", list(BREAKDOWNS))
def test_the_figures_are_the_api_statistics_of_the_approved_applications(
    client: Client, cast: demo.Cast, funded: Funded, group_by: str
) -> None:
    funder = issue(cast.funder, by=cast.admin, all_programmes=True)
    api = funder.client.get(f"/api/v1/stats/?group_by={group_by}&status=approved").json()

    page = csv_rows(client, group_by)

    expected = sorted(
        (
            "" if row[group_by] is None else str(row[group_by]),
            str(row["count"]),
            row["awarded"],
            row["paid"],
        )
        for row in api["results"]
    )
    got = sorted(
        (r["code"], r["projects"], r["amount_awarded_eur"], r["amount_paid_eur"]) for r in page
    )
    assert got == expected
    assert got  # there is something to compare


def test_the_page_costs_the_same_queries_however_many_projects(
    client: Client, cast: demo.Cast, funded: Funded
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(FIGURES).status_code == 200
        return len(captured)

    # The fund, one aggregate per breakdown, the programmes' names, "is anything published?"
    assert queries() == 1 + len(BREAKDOWNS) + 1 + 1
    demo.drive(cast, "approved", requested=Decimal("9000.00"))
    assert queries() == 1 + len(BREAKDOWNS) + 1 + 1


def test_a_breakdown_downloads_as_csv_with_dot_decimals_in_any_language(
    client: Client, funded: Funded
) -> None:
    client.cookies["django_language"] = "de"
    response = client.get(reverse("public:figures_csv", args=["country"]))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="funded-projects-by-country.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.splitlines()[0] == "code,name,projects,amount_awarded_eur,amount_paid_eur"
    assert "DE,Deutschland,1,4000.00,3000.00" in text.splitlines()
    assert "FR,Frankreich,1,8000.00,0.00" in text.splitlines()


def test_an_unknown_breakdown_is_not_found(client: Client, db: Any) -> None:
    assert client.get("/figures/colour.csv").status_code == 404


def test_an_empty_fund_shows_empty_charts_and_an_empty_csv(client: Client, cast: demo.Cast):
    client.cookies["django_language"] = "en"
    html = client.get(FIGURES).content.decode()
    assert "No funded project yet." in html
    assert "No grant is published yet." in html
    assert csv_rows(client, "year") == []


def test_figures_answer_get_only(client: Client, db: Any) -> None:
    assert client.post(FIGURES).status_code == 405
    assert client.post(reverse("public:figures_csv", args=["year"])).status_code == 405


def test_the_360giving_files_hold_the_published_grants(client: Client, funded: Funded) -> None:
    html = client.get(FIGURES).content.decode()
    assert reverse("public:open_data_json") in html and reverse("public:open_data_csv") in html

    package = json.loads(b"".join(client.get(reverse("public:open_data_json")).streaming_content))
    csv_text = b"".join(client.get(reverse("public:open_data_csv")).streaming_content).decode()

    # Only the grant whose applicant consented to publication; the same in both files.
    assert [grant["title"] for grant in package["grants"]] == ["Chorreise Dijon–Mainz"]
    assert len(csv_text.splitlines()) == 2 and "Chorreise Dijon–Mainz" in csv_text


def test_without_a_published_grant_the_json_package_is_not_found(
    client: Client, funded: Funded
) -> None:
    Application.objects.filter(pk=funded.in_dijon.pk).update(declarations=[])
    assert client.get(reverse("public:open_data_json")).status_code == 404
    assert client.get(reverse("public:open_data_csv")).status_code == 200


def test_the_home_page_links_the_figures_once(client: Client, cast: demo.Cast) -> None:
    assert client.get(reverse("public:home")).content.decode().count(f'href="{FIGURES}"') == 1


@pytest.mark.parametrize("ended", ["declined", "lapsed", "revoked"])
def test_an_approved_project_whose_grant_ended_without_it_is_not_counted_as_funded(
    client: Client, cast: demo.Cast, funded: Funded, ended: str
) -> None:
    client.cookies["django_language"] = "en"
    before = csv_rows(client, "programme")
    demo.drive(cast, "approved", ended, requested=Decimal("3000.00"))
    assert csv_rows(client, "programme") == before

"""Co-funding where people see it: the admin (the funders, a budget's co-funders with their
shares, each funder's part of the balances), the finance ledger and the approval letter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from applications import documents
from demo import builders as demo
from demo.cofunding import cofinance_budgets, ensure_ministries
from grants import services
from grants.funders import AllocationShare, Funder
from grants.models import BudgetAllocation, Grant
from workflows import clock


def admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response: Any) -> dict[str, Any]:
    """What the admin's change page would send back unchanged: its fields and the inlines'."""
    data: dict[str, Any] = {}

    def take(form: Any) -> None:
        for name in form.fields:
            value = form[name].value()
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif value is not None:
                data[form.add_prefix(name)] = value

    take(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        take(formset.management_form)
        for form in formset.forms:
            take(form)
    return data


def with_shares(data: dict[str, Any], *shares: tuple[Funder, str]) -> dict[str, Any]:
    """The page's data with these co-funders added as new rows of the inline."""
    data = dict(data)
    start = int(data["shares-TOTAL_FORMS"])
    for offset, (funder, percent) in enumerate(shares):
        data[f"shares-{start + offset}-funder"] = funder.pk
        data[f"shares-{start + offset}-percent"] = percent
    data["shares-TOTAL_FORMS"] = start + len(shares)
    return data


@pytest.fixture
def ministries(db: Any) -> list[Funder]:
    return ensure_ministries()


@pytest.fixture
def this_year(cast: demo.Cast) -> BudgetAllocation:
    return BudgetAllocation.objects.get(programme__code="small-boost", year=clock.today().year)


# --- the admin ------------------------------------------------------------------------------------


def test_an_administrator_names_the_co_funders_of_a_budget_in_the_admin(client, cast, ministries, this_year):  # fmt: skip
    german, french = ministries
    client.force_login(cast.admin)
    url = admin_url(BudgetAllocation, "change", this_year.pk)
    page = client.get(url)
    response = client.post(url, with_shares(form_data(page), (german, "60"), (french, "40")))
    assert response.status_code == 302
    assert list(this_year.shares.values_list("funder", "percent")) == [(german.pk, Decimal(60)), (french.pk, Decimal(40))]  # fmt: skip


@pytest.mark.parametrize(
    ("percents", "words"),
    [
        (("50", "49.50"), "must add up to 100 %"),
        (("50", "0"), "greater than or equal to 0.01"),
        (("50", "50.005"), "2 decimal places"),
        (("50", "fifty"), "Enter a number."),
    ],
)
def test_shares_the_admin_refuses_say_why_and_keep_what_was_typed(client, cast, ministries, this_year, percents, words):  # fmt: skip
    client.force_login(cast.admin)
    url = admin_url(BudgetAllocation, "change", this_year.pk)
    data = with_shares(form_data(client.get(url)), *zip(ministries, percents, strict=True))
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert words in page
    assert f'value="{percents[1]}"' in page  # the typed share is still in the form
    assert not this_year.shares.exists()


def test_a_funder_is_named_once_per_budget_in_the_admin(client, cast, ministries, this_year):
    client.force_login(cast.admin)
    url = admin_url(BudgetAllocation, "change", this_year.pk)
    german = ministries[0]
    data = with_shares(form_data(client.get(url)), (german, "50"), (german, "50"))
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not this_year.shares.exists()


def test_a_booked_budget_shows_its_co_funders_fixed_and_each_funders_part(client, cast, ministries, this_year):  # fmt: skip
    cofinance_budgets(cast.fund, by=cast.admin)
    grant = demo.drive(cast, "approved", "offered", requested=Decimal("4000.01")).grant
    assert grant.allocation_id == this_year.pk
    client.force_login(cast.admin)
    url = admin_url(BudgetAllocation, "change", this_year.pk)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    shares_inline = page.context["inline_admin_formsets"][0]
    assert shares_inline.formset.model is AllocationShare
    assert not shares_inline.has_add_permission and not shares_inline.has_change_permission
    html = page.content.decode()
    table = html.split('class="funder-figures"')[1].split("</table>")[0]
    # The German ministry leads: it takes the odd cent of the commitment.
    assert "Federal Foreign Office (demo)" in table and "2,000.01 EUR" in table
    assert "Ministry for Europe and Foreign Affairs (demo)" in table and "2,000.00 EUR" in table
    # Other shares sent anyway are not taken (the rest of the budget is saved).
    data = form_data(page)
    data.update({"shares-0-percent": "60", "shares-1-percent": "40", "released": ""})
    assert client.post(url, data).status_code == 302
    assert list(this_year.shares.values_list("percent", flat=True)) == [Decimal(50), Decimal(50)]
    this_year.refresh_from_db()
    assert not this_year.released


def test_the_budget_list_says_who_finances_each_budget_without_a_query_per_row(client, cast, ministries, django_assert_max_num_queries):  # fmt: skip
    cofinance_budgets(cast.fund, by=cast.admin)
    client.force_login(cast.finance)
    with django_assert_max_num_queries(12):
        page = client.get(admin_url(BudgetAllocation, "changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert page.content.decode().count("Federal Foreign Office (demo) 50 %") == BudgetAllocation.objects.count()  # fmt: skip


@pytest.mark.parametrize(
    ("identifier", "country", "words"),
    [
        ("Auswärtiges Amt", "DE", "as org-id.guide writes it"),
        ("XM-DAC-5-7", "D1", "two-letter country code"),
        ("XM-DAC-5-7", "Deutschland", "at most 2 characters"),
    ],
)
def test_a_funder_needs_an_org_id_and_a_country_code(client, cast, identifier, country, words):
    client.force_login(cast.admin)
    data = {"name_de": "Auswärtiges Amt", "identifier": identifier, "country": country}
    response = client.post(admin_url(Funder, "add"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not Funder.objects.exists()
    data = {"name_de": "Auswärtiges Amt", "identifier": "XM-DAC-5-7", "country": "de"}
    assert client.post(admin_url(Funder, "add"), data).status_code == 302
    assert Funder.objects.get().country == "DE"


def test_only_administrators_edit_funders(client, cast, ministries):
    url = admin_url(Funder, "change", ministries[0].pk)
    for person in (cast.manager, cast.finance):
        client.force_login(person)
        response = client.post(url, {"name_de": "Geändert", "identifier": "XM-DAC-5-7", "country": "DE"})  # fmt: skip
        assert response.status_code == 403
    assert Funder.objects.get(pk=ministries[0].pk).name_de == "Auswärtiges Amt (Demo)"


# --- the finance ledger -----------------------------------------------------------------------------


def test_the_ledger_shows_committed_and_paid_per_funder(client, cast, ministries, this_year, django_assert_max_num_queries):  # fmt: skip
    cofinance_budgets(cast.fund, by=cast.admin)
    grant = demo.drive(cast, "approved", "accepted", requested=Decimal("3333.33")).grant
    for payment in grant.payments.all():  # the advance: 75 %, 2,500.00
        services.record_payment_paid(payment, by=cast.finance)
    client.force_login(cast.finance)
    query = {"programme": this_year.programme_id, "year": this_year.year}
    # 16: with the header's count of unread messages (conversations), one query on every page;
    # 17: with the list's saved filters (workflows.saved_filters), one query.
    with django_assert_max_num_queries(17):
        response = client.get(reverse("finance:ledger"), query, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    table = html.split('id="per-funder"')[1].split("</table>")[0]
    german, french = (row for row in table.split("<tr>")[2:])
    assert "Federal Foreign Office (demo) (lead funder)" in german
    assert "1,666.67 EUR" in german and "1,666.66 EUR" in french  # committed
    assert "1,250.00 EUR" in german and "1,250.00 EUR" in french  # the 75 % advance paid
    assert [f.committed for f in response.context["per_funder"]] == [Decimal("1666.67"), Decimal("1666.66")]  # fmt: skip


def test_the_ledger_of_a_budget_without_co_funders_says_the_fund_alone_finances_it(client, cast, this_year):  # fmt: skip
    client.force_login(cast.finance)
    query = {"programme": this_year.programme_id, "year": this_year.year}
    html = client.get(reverse("finance:ledger"), query, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "alone finances this budget: it has no co-funders" in html
    assert 'id="per-funder"' not in html


# --- the letter -------------------------------------------------------------------------------------


LETTERS = [
    ("de", "Auswärtiges Amt (Demo)", "Ministerium für Europa und auswärtige Angelegenheiten (Demo)", ("2.000,01 EUR", "2.000,00 EUR")),
    ("fr", "Ministère fédéral des Affaires étrangères (démo)", "Ministère de l'Europe et des Affaires étrangères (démo)", ("2 000,01 EUR", "2 000,00 EUR")),
]  # fmt: skip


@pytest.mark.parametrize(("language", "german", "french", "amounts"), LETTERS)
def test_the_approval_letter_names_the_co_funders_in_each_language(cast, ministries, language, german, french, amounts):  # fmt: skip
    cofinance_budgets(cast.fund, by=cast.admin)
    grant = demo.drive(cast, "approved", "offered", requested=Decimal("4000.01")).grant
    grant = Grant.objects.select_related("application", "programme__fund").get(pk=grant.pk)
    context = documents.approval_context(grant.application, grant=grant, language=language)
    html = documents.render_html("approval", context)
    parts = html.split('<section class="part"')[1:]
    first = parts[0].replace("\u202f", " ").replace("\xa0", " ").replace("&#x27;", "'")
    assert german in first and french in first
    assert first.index(german) < first.index(french)  # the lead funder first
    for amount in amounts:
        assert amount in first
    assert "50 %" in first


def test_the_approval_letter_of_the_funds_own_budget_names_no_co_funder(cast):
    grant = demo.drive(cast, "approved", "offered").grant
    context = documents.approval_context(grant.application, grant=grant, language="de")
    assert context["cofunders"] == []
    assert 'class="cofunders"' not in documents.render_html("approval", context)


# --- the decision page --------------------------------------------------------------------------


def test_the_decision_page_names_the_co_funders_of_the_budget(client, cast, ministries):
    application = demo.drive(cast, "reviewed")
    client.force_login(cast.manager)
    url = reverse("reviews:decision", args=[application.pk])
    assert "Co-financed by" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cofinance_budgets(cast.fund, by=cast.admin)
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Co-financed by: Federal Foreign Office (demo) (50 %), Ministry for Europe and Foreign Affairs (demo) (50 %)" in html  # fmt: skip

"""Finance reports: the approvals export (CSV, XLSX), the budget ledger page and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from demo import builders as demo
from demo.copies import Applicant, copy_histories, load_templates
from grants import services
from grants.finance.charts import month_chart, nice_ceiling
from grants.finance.exports import APPROVAL_COLUMNS, LEDGER_COLUMNS
from grants.models import BudgetAllocation, Grant, LedgerEntry, Programme
from workflows import clock

HEADER = [c.key for c in APPROVAL_COLUMNS]


@pytest.fixture
def grants(cast: demo.Cast, other_applicant: Any, other_organisation: Any) -> dict[str, Grant]:
    """Three approvals (closed in DE, accepted in FR, cancelled and repaid in DE); one rejection."""
    today = clock.today()
    closed = demo.drive(
        cast, "approved", "closed", submitted_on=today - timedelta(days=200), title="Chorfahrt"
    ).grant
    accepted = demo.drive(
        cast,
        "approved",
        "accepted",
        submitted_on=today - timedelta(days=100),
        requested=Decimal("7500.00"),
        organisation=other_organisation,
        applicant=other_applicant,
        title='=HYPERLINK("http://evil")',
    ).grant
    cancelled = demo.drive(
        cast, "approved", "cancelled", submitted_on=today - timedelta(days=60), title="Fest"
    ).grant
    services.record_repayment_received(cancelled.repayment_claims.get(), by=cast.finance)
    demo.drive(cast, "rejected")
    return {"closed": closed, "accepted": accepted, "cancelled": cancelled}


def read_csv(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def read_xlsx(response: Any) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(workbook.active.iter_rows(values_only=True))


def by_reference(rows: list[Any]) -> dict[str, dict[str, Any]]:
    return {row[0]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}


def test_the_csv_streams_every_approval_with_its_figures(client, cast, grants):
    client.force_login(cast.finance)
    response = client.get(reverse("finance:approvals_csv"))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="approvals-' in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == HEADER
    found = by_reference(rows)
    closed, accepted, cancelled = (grants[k] for k in ("closed", "accepted", "cancelled"))
    assert set(found) == {g.application.reference for g in grants.values()}
    row = found[closed.application.reference]
    assert row["title"] == "Chorfahrt"
    assert row["organisation"] == "Partnerschaftskomitee Köln–Lyon e.V."
    assert (row["country"], row["city"], row["programme"], row["category"]) == ("DE", "Köln", "small-boost", "1")  # fmt: skip
    assert (row["requested"], row["awarded"], row["paid"], row["repaid"], row["final_amount"]) == ("4000.00", "4000.00", "4000.00", "0.00", "4000.00")  # fmt: skip
    assert row["grant_status"] == "closed"
    assert row["decided_on"] == timezone.localtime(closed.application.decided_at).date().isoformat()  # fmt: skip
    assert row["project_start"] == closed.project_start.isoformat()
    row = found[accepted.application.reference]
    assert (row["country"], row["programme"], row["awarded"], row["paid"], row["final_amount"]) == ("FR", "cat-2", "7500.00", "0.00", "")  # fmt: skip
    assert row["title"] == '\'=HYPERLINK("http://evil")'  # never a formula in Excel
    assert row["accepted_on"] != ""
    row = found[cancelled.application.reference]
    assert (row["grant_status"], row["paid"], row["repaid"], row["final_amount"]) == ("cancelled", "3000.00", "3000.00", "0.00")  # fmt: skip


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"country": "fr"}, {"accepted"}),
        ({"country": "DE"}, {"closed", "cancelled"}),
        ({"grant_status": "cancelled"}, {"cancelled"}),
        ({"programme": "cat-2"}, {"accepted"}),
        ({"decided_from": 120}, {"accepted", "cancelled"}),
        ({"decided_to": 120}, {"closed"}),
        ({"decided_from": 120, "decided_to": 60, "country": "DE"}, set()),
        ({"decided_from": 60, "grant_status": "cancelled", "programme": "small-boost"}, {"cancelled"}),
    ],
)  # fmt: skip
def test_the_filters_choose_the_rows_of_both_files(client, cast, grants, query, expected):
    params = dict(query)
    for key in ("decided_from", "decided_to"):
        if key in params:  # days ago
            params[key] = (clock.today() - timedelta(days=params[key])).isoformat()
    if "programme" in params:
        params["programme"] = Programme.objects.get(code=params["programme"]).pk
    references = {grants[name].application.reference for name in expected}
    client.force_login(cast.finance)

    rows = read_csv(client.get(reverse("finance:approvals_csv"), params))
    sheet = read_xlsx(client.get(reverse("finance:approvals_xlsx"), params))

    assert set(by_reference(rows)) == references
    assert set(by_reference(sheet)) == references


def test_the_xlsx_holds_numbers_dates_and_no_formula(client, cast, grants):
    client.force_login(cast.admin)
    response = client.get(reverse("finance:approvals_xlsx"))

    assert response.status_code == 200
    assert isinstance(response, FileResponse)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="approvals-' in response["Content-Disposition"]
    rows = read_xlsx(response)
    assert list(rows[0]) == HEADER
    found = by_reference(rows)
    closed = found[grants["closed"].application.reference]
    assert closed["awarded"] == 4000 and closed["paid"] == 4000 and closed["repaid"] == 0
    assert closed["category"] == 1
    assert closed["project_start"].date() == grants["closed"].project_start
    cancelled = found[grants["cancelled"].application.reference]
    assert (cancelled["paid"], cancelled["repaid"], cancelled["final_amount"]) == (3000, 3000, 0)
    accepted = found[grants["accepted"].application.reference]
    assert accepted["title"] == '=HYPERLINK("http://evil")'  # kept as text, not a formula
    assert accepted["final_amount"] is None


def test_invalid_filters_are_shown_on_the_form(client, cast, grants):
    client.force_login(cast.finance)
    for name in ("approvals_csv", "approvals_xlsx", "exports"):
        response = client.get(reverse(f"finance:{name}"), {"country": "Deutschland", "decided_from": "2026-02-30"})  # fmt: skip
        assert response.status_code == (200 if name == "exports" else 400)
        assert set(response.context["form"].errors) == {"country", "decided_from"}


def test_the_export_page_offers_both_files_with_the_chosen_filters(client, cast):
    client.force_login(cast.finance)
    page = client.get(reverse("finance:exports"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("finance:approvals_csv") in html and reverse("finance:approvals_xlsx") in html


@pytest.fixture
def approvals(cast: demo.Cast) -> Any:
    """A factory of approvals: copies of one closed history (each with grant, payments, ledger)."""
    template = demo.drive(cast, "approved", "closed")
    history = load_templates([template.pk])[template.pk]

    def make(count: int) -> None:
        done = Grant.objects.count()
        jobs = [(history, Applicant(cast.organisation, cast.applicant, f"Treffen {done + i}")) for i in range(count - done)]  # fmt: skip
        copy_histories(jobs)
        assert Grant.objects.count() == count

    return make


def test_the_csv_export_runs_the_same_queries_for_5_and_50_grants(client, cast, approvals):
    client.force_login(cast.finance)
    counts = []
    for size in (5, 50):
        approvals(size)
        with CaptureQueriesContext(connection) as queries:
            rows = read_csv(client.get(reverse("finance:approvals_csv")))
        assert len(rows) == size + 1
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 6  # session, user, groups, the export itself


# --- the ledger ------------------------------------------------------------------------------------


def test_the_ledger_page_shows_the_balances_a_chart_and_the_entries(client, cast, grants):
    allocation = grants["cancelled"].allocation
    balances = allocation.balances()
    client.force_login(cast.finance)

    response = client.get(reverse("finance:ledger"), {"programme": allocation.programme_id, "year": allocation.year}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip

    assert response.status_code == 200
    assert response.context["balances"] == balances
    assert balances["allocated"] == balances["committed"] + balances["remaining"]
    html = response.content.decode()
    section = html.split('id="balances"')[1].split("</table>")[0]
    for key in ("allocated", "committed", "paid", "repaid", "remaining"):
        assert f"{balances[key]:,.2f} EUR" in section, key
    assert "<svg" in html and '<title id="ledger-chart-title">Commitments and payments per month' in html  # fmt: skip
    assert '<desc id="ledger-chart-desc">' in html
    entries = LedgerEntry.objects.filter(allocation=allocation)
    months = response.context["months"]
    assert sum(m.committed for m in months) == sum(e.amount for e in entries if e.kind == "commit")
    assert sum(m.paid for m in months) == balances["paid"]
    assert sum(m.repaid for m in months) == balances["repaid"]
    assert response.context["page"].paginator.count == entries.count()
    assert grants["cancelled"].application.reference in html
    assert reverse("finance:ledger_csv", args=[allocation.pk]) in html


def test_the_ledger_page_defaults_to_this_year_and_says_when_there_is_no_budget(client, cast):
    client.force_login(cast.finance)
    first = client.get(reverse("finance:ledger"), HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == 200
    assert first.context["allocation"].year == clock.today().year
    assert "No bookings yet." in first.content.decode()
    programme = Programme.objects.get(code="small-boost")
    BudgetAllocation.objects.filter(programme=programme, year=clock.today().year).delete()
    missing = client.get(reverse("finance:ledger"), {"programme": programme.pk, "year": clock.today().year}, HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert missing.status_code == 200
    assert "There is no" in missing.content.decode()
    assert client.get(reverse("finance:ledger"), {"programme": "x", "year": "1900"}).status_code == 400  # fmt: skip


def test_the_ledger_page_runs_a_bounded_number_of_queries(client, cast, approvals, django_assert_max_num_queries):  # fmt: skip
    approvals(30)
    allocation = Grant.objects.first().allocation
    client.force_login(cast.finance)
    url = reverse("finance:ledger")
    # 15: the header's count of unread messages (conversations) came in; 16: the list's saved
    # filters (workflows.saved_filters), one query.
    with django_assert_max_num_queries(16):
        response = client.get(url, {"programme": allocation.programme_id, "year": allocation.year})  # fmt: skip
    assert response.context["page"].paginator.count > 50  # the entries run over several pages


def test_the_ledger_csv_lists_every_entry(client, cast, grants):
    allocation = grants["cancelled"].allocation
    client.force_login(cast.finance)

    response = client.get(reverse("finance:ledger_csv", args=[allocation.pk]))

    assert isinstance(response, StreamingHttpResponse)
    rows = read_csv(response)
    assert rows[0] == [c.key for c in LEDGER_COLUMNS]
    entries = list(LedgerEntry.objects.filter(allocation=allocation).order_by("pk"))
    assert [int(r[0]) for r in rows[1:]] == [e.pk for e in entries]
    assert [(r[2], Decimal(r[3])) for r in rows[1:]] == [(e.kind, e.amount) for e in entries]
    repay = next(r for r in rows[1:] if r[2] == "repay")
    assert repay[4] == grants["cancelled"].application.reference and repay[6] == "finance"
    assert client.get(reverse("finance:ledger_csv", args=[999999])).status_code == 404


def test_the_chart_scales_to_a_readable_top_and_escapes_its_text():
    assert [nice_ceiling(Decimal(v)) for v in ("0", "0.3", "7", "12", "240", "2600", "3000000")] == [Decimal(v) for v in ("1", "0.5", "10", "20", "250", "5000", "5000000")]  # fmt: skip
    from grants.finance.exports import Month

    svg = month_chart([Month(date(2026, 1, 1), Decimal("5000"), Decimal(0), Decimal("3750"), Decimal(0))], title="<b>Köln & Lyon</b>")  # fmt: skip
    assert '<title id="ledger-chart-title">&lt;b&gt;Köln &amp; Lyon&lt;/b&gt;</title>' in svg
    assert svg.count("<rect class=") == 2 and "nan" not in svg
    assert "<desc" in month_chart([], title="empty")


# --- access ----------------------------------------------------------------------------------------

URLS = [
    ("finance:exports", []),
    ("finance:approvals_csv", []),
    ("finance:approvals_xlsx", []),
    ("finance:ledger", []),
    ("finance:ledger_csv", ["allocation"]),
]


def url_of(name: str, args: list[str]) -> str:
    allocation = BudgetAllocation.objects.order_by("pk").first()
    return reverse(name, args=[allocation.pk for _a in args])


@pytest.mark.parametrize(("name", "args"), URLS)
@pytest.mark.parametrize("role", ["applicant", "reviewer", "manager", "funder"])
def test_only_finance_and_administrators_get_in(client, cast, name, args, role):
    client.force_login(getattr(cast, role))
    assert client.get(url_of(name, args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, cast, name, args):
    url = url_of(name, args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login")) and "next=" in response["Location"]


@pytest.mark.parametrize(("name", "args"), URLS)
@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_officers_and_administrators_open_every_report(client, cast, name, args, role):
    client.force_login(getattr(cast, role))
    response = client.get(url_of(name, args))
    assert response.status_code == 200
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)

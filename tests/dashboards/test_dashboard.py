"""The programme dashboard: a manager, an administrator and a funder read the year of their
programmes; every number equals an independent count over the same rows (raw SQL, or plain
Python over the rows), a funder never counts another programme, and the page stays at a fixed
number of queries."""

from __future__ import annotations

import csv
import io
import statistics
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application
from dashboards import figures, rules, selectors
from demo import builders as demo
from grants.api.tokens import issue_token
from grants.models import Grant, GrantStatus, Programme
from workflows import clock
from workflows.roles import Role

# The dashboard's own reads: the programmes with their budget figures, the applications by
# group, by theme, the decision months and the ledger months.
DASHBOARD_QUERIES = 5
# What every signed-in page reads besides: the session, the user, the roles, and the
# navigation's organisation and unread-message counts.
PAGE_OVERHEAD = 5


@pytest.fixture
def year_of_work(cast: demo.Cast, other_applicant: Any, other_organisation: Any) -> dict[str, Any]:
    """Applications of two organisations in two programmes (4,000 € is category 1, 7,500 €
    category 2) in every stage; a report of one grant is overdue."""
    today = clock.today()
    accepted = demo.drive(cast, "approved", "accepted", submitted_on=today - timedelta(days=70))
    report_due = demo.drive(
        cast,
        "approved",
        "report_due",
        requested=Decimal("7500.00"),
        organisation=other_organisation,
        applicant=other_applicant,
    )
    Grant.objects.filter(pk=report_due.grant.pk).update(report_due_on=today - timedelta(days=1))
    demo.drive(cast, "rejected", submitted_on=today - timedelta(days=40))
    demo.drive(
        cast,
        "rejected",
        requested=Decimal("7500.00"),
        organisation=other_organisation,
        applicant=other_applicant,
        submitted_on=today - timedelta(days=20),
    )
    demo.drive(cast, "in_review", submitted_on=today - timedelta(days=5))
    demo.drive(cast, "submitted", submitted_on=today - timedelta(days=2))
    demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    return {"accepted": accepted, "report_due": report_due, "today": today}


def year_bounds(year: int) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)


def sql(query: str, *params: Any) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return list(cursor.fetchall())


def independent_statuses(year: int, programmes: list[int]) -> dict[str, tuple[int, Decimal]]:
    start, end = year_bounds(year)
    marks = ",".join(["%s"] * len(programmes))
    rows = sql(
        "SELECT status, COUNT(*), SUM(requested_amount) FROM applications_application "
        f"WHERE submitted_at >= %s AND submitted_at < %s AND programme_id IN ({marks}) "
        "AND status <> 'draft' GROUP BY status",
        start,
        end,
        *programmes,
    )
    return {status: (count, Decimal(str(total))) for status, count, total in rows}


def independent_first_time(year: int, programmes: list[int]) -> int:
    start, end = year_bounds(year)
    marks = ",".join(["%s"] * len(programmes))
    return sql(
        "SELECT COUNT(*) FROM applications_application a "
        f"WHERE a.submitted_at >= %s AND a.submitted_at < %s AND a.programme_id IN ({marks}) "
        "AND a.status <> 'draft' AND NOT EXISTS (SELECT 1 FROM applications_application b "
        "WHERE b.organisation_id = a.organisation_id AND b.submitted_at < a.submitted_at)",
        start,
        end,
        *programmes,
    )[0][0]


def independent_ledger(year: int, programmes: list[int]) -> dict[str, Decimal]:
    marks = ",".join(["%s"] * len(programmes))
    rows = sql(
        "SELECT e.kind, SUM(e.amount) FROM grants_ledgerentry e "
        "JOIN grants_budgetallocation b ON b.id = e.allocation_id "
        f"WHERE b.year = %s AND b.programme_id IN ({marks}) GROUP BY e.kind",
        year,
        *programmes,
    )
    return {kind: Decimal(str(total)) for kind, total in rows}


def all_programmes() -> list[int]:
    return list(Programme.objects.values_list("pk", flat=True))


def read(client: Any, user: Any, **query: Any) -> Any:
    client.force_login(user)
    response = client.get(reverse("dashboards:overview"), query)
    assert response.status_code == 200
    return response


def test_the_manager_reads_the_year_as_independent_sql_counts_it(client, cast, year_of_work):
    year = year_of_work["today"].year
    board = read(client, cast.manager, year=year).context["dashboard"]
    programmes = all_programmes()

    expected = independent_statuses(year, programmes)
    shown = {
        status: (group.count, group.requested)
        for status, group in board.applications.by_status.items()
    }
    assert shown == expected
    assert board.applications.total.count == sum(count for count, _sum in expected.values())
    approved = expected.get("approved", (0,))[0]
    rejected = expected.get("rejected", (0,))[0]
    assert board.approval_rate == figures.percent(approved, approved + rejected)
    assert board.applications.first_time == independent_first_time(year, programmes)
    assert board.applications.first_time >= 1  # the other organisation's first application


def test_the_budget_line_ends_at_the_ledger_sums(client, cast, year_of_work):
    year = year_of_work["today"].year
    board = read(client, cast.admin, year=year).context["dashboard"]
    ledger = independent_ledger(year, all_programmes())
    last = board.figure("budget").rows[-1]
    committed = ledger.get("commit", Decimal(0)) - ledger.get("release", Decimal(0))
    paid = ledger.get("pay", Decimal(0)) - ledger.get("repay", Decimal(0))
    assert last[2] == committed and last[3] == paid
    assert last[4] == board.allocated - committed
    assert committed > 0 and paid > 0  # the demo's advance payments were made


def test_the_decision_times_are_the_median_and_90th_percentile_of_the_rows(
    client, cast, year_of_work
):
    year = year_of_work["today"].year
    board = read(client, cast.manager, year=year).context["dashboard"]
    start, end = year_bounds(year)
    per_month: dict[str, list[float]] = {}
    for application in Application.objects.filter(
        status__in=["approved", "rejected"], decided_at__gte=start, decided_at__lt=end
    ):
        month = timezone.localtime(application.decided_at).strftime("%Y-%m")
        seconds = (application.decided_at - application.submitted_at).total_seconds()
        per_month.setdefault(month, []).append(seconds / 86400)
    rows = {row[0]: row for row in board.figure("decision-times").rows}
    assert per_month, "the year has decisions"
    for month, durations in per_month.items():
        median = Decimal(str(statistics.median(durations))).quantize(Decimal("0.1"))
        p90 = (
            statistics.quantiles(durations, n=10, method="inclusive")[8]
            if len(durations) > 1
            else durations[0]
        )
        assert rows[month][1] == len(durations)
        assert rows[month][2] == str(median)
        assert rows[month][3] == str(Decimal(str(p90)).quantize(Decimal("0.1")))


def test_the_breakdowns_add_up_to_the_year(client, cast, year_of_work):
    year = year_of_work["today"].year
    board = read(client, cast.manager, year=year).context["dashboard"]
    total = board.applications.total.count
    for slug in ("programme", "country", "region"):
        assert sum(row[2] for row in board.figure(slug).rows) == total, slug
    start, end = year_bounds(year)
    themed = sql(
        "SELECT t.theme, COUNT(*) FROM applications_applicationtheme t "
        "JOIN applications_application a ON a.id = t.application_id "
        "WHERE a.submitted_at >= %s AND a.submitted_at < %s AND a.status <> 'draft' "
        "GROUP BY t.theme",
        start,
        end,
    )
    assert {row[0]: row[2] for row in board.figure("theme").rows if row[0]} == dict(themed)


def test_overdue_reports_count_the_grants_of_the_years_budget(client, cast, year_of_work):
    grant = year_of_work["report_due"].grant
    year = grant.allocation.year
    board = read(client, cast.manager, year=year, programme=grant.programme_id).context["dashboard"]
    row = board.figure("follow-up").rows[0]
    expected = Grant.objects.filter(
        programme=grant.programme_id,
        allocation__year=year,
        status=GrantStatus.REPORT_DUE,
        report_due_on__lt=year_of_work["today"],
    ).count()
    assert row[2] == expected == 1


def test_a_funder_never_counts_another_programme(client, cast, year_of_work):
    year = year_of_work["today"].year
    small = Programme.objects.get(category=1)
    funder = demo.make_user("fiona-web", Role.FUNDER)
    issue_token(funder, by=cast.admin, name="Kategorie 1", programmes=[small])

    response = read(client, funder, year=year)
    board = response.context["dashboard"]
    expected = independent_statuses(year, [small.pk])
    assert {s: (g.count, g.requested) for s, g in board.applications.by_status.items()} == expected
    assert [p.programme for p in response.context["programmes"]] == [small]
    assert set(board.applications.by_programme) == {small.pk}
    # Another programme is not theirs to choose: a clear refusal, not its figures.
    other = Programme.objects.get(category=2)
    refused = client.get(reverse("dashboards:overview"), {"year": year, "programme": other.pk})
    assert refused.status_code == 400
    [message] = refused.context["form"].errors["programme"]
    assert message in refused.content.decode()  # in the reader's language, beside the field
    # Sums only: no applicant's name reaches the page.
    assert cast.organisation.name not in response.content.decode()


def test_a_funder_without_a_token_reads_nothing(client, cast, year_of_work):
    funder = demo.make_user("no-token", Role.FUNDER)
    board = read(client, funder, year=year_of_work["today"].year).context["dashboard"]
    assert board.applications.total.count == 0 and board.programmes == []


def test_every_chart_is_accessible_svg_with_its_table_and_csv(client, cast, year_of_work):
    year = year_of_work["today"].year
    html = read(client, cast.manager, year=year).content.decode()
    for slug in figures.SLUGS:
        assert f'aria-labelledby="chart-{slug}-title chart-{slug}-desc"' in html
        assert f'<desc id="chart-{slug}-desc">' in html and 'role="img"' in html
        assert f'id="table-{slug}"' in html
        response = client.get(reverse("dashboards:csv", args=[slug]), {"year": year})
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
        assert rows[0] == [c.key for c in figures.dashboard(cast.manager, selectors.programme_years(cast.manager, year), year).figure(slug).columns]  # fmt: skip


def test_the_csv_defuses_a_programme_name_excel_would_run(client, cast, year_of_work):
    programme = Programme.objects.get(category=1)
    evil = '=HYPERLINK("http://evil")'
    Programme.objects.filter(pk=programme.pk).update(name_de=evil, name_fr=evil, name_en=evil)
    client.force_login(cast.manager)
    response = client.get(
        reverse("dashboards:csv", args=["programme"]), {"year": year_of_work["today"].year}
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("query", [{"year": "soon"}, {"year": "1850"}, {"programme": "x"}])
def test_bad_choices_get_a_clear_message(client, cast, query):
    client.force_login(cast.manager)
    response = client.get(reverse("dashboards:overview"), query)
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode() or "errorlist" in response.content.decode()


def test_the_dashboard_takes_a_fixed_number_of_queries(client, cast, year_of_work):
    year = year_of_work["today"].year
    for user in (cast.manager, cast.admin, cast.funder):
        assert rules.sees_dashboard(user)  # the roles, read once per request
        with CaptureQueriesContext(connection) as own:
            figures.dashboard(user, selectors.programme_years(user, year), year)
        assert len(own) == DASHBOARD_QUERIES, [q["sql"][:120] for q in own]
        client.force_login(user)
        with CaptureQueriesContext(connection) as seen:
            response = client.get(reverse("dashboards:overview"), {"year": year})
        assert response.status_code == 200
        assert len(seen) <= DASHBOARD_QUERIES + PAGE_OVERHEAD, [q["sql"][:120] for q in seen]


def test_applicants_reviewers_and_finance_are_refused(client, cast):
    for user in (cast.applicant, cast.reviewer, cast.finance):
        client.force_login(user)
        assert client.get(reverse("dashboards:overview")).status_code == 403


def test_the_funder_lists_the_funded_projects_of_their_scope(client, cast, year_of_work):
    small = Programme.objects.get(category=1)
    funder = demo.make_user("fiona-web", Role.FUNDER)
    issue_token(funder, by=cast.admin, name="Kategorie 1", programmes=[small])
    client.force_login(funder)
    page = client.get(reverse("dashboards:projects"))
    html = page.content.decode()
    assert year_of_work["accepted"].reference in html  # category 1, accepted
    assert year_of_work["report_due"].reference not in html  # category 2


def test_a_funder_sees_their_own_tokens_read_only(client, cast):
    other = demo.make_user("other-funder", Role.FUNDER)
    issue_token(other, by=cast.admin, name="Fremdes Token", all_programmes=True)
    client.force_login(cast.funder)
    html = client.get(reverse("dashboards:tokens")).content.decode()
    assert "Demo" in html and "Fremdes Token" not in html
    assert "<form" not in html.split("</nav>", 2)[-1]  # nothing to change


def test_a_revoked_or_expired_token_no_longer_opens_its_programmes(client, cast, year_of_work):
    small = Programme.objects.get(category=1)
    funder = demo.make_user("fiona-web", Role.FUNDER)
    token, _secret = issue_token(funder, by=cast.admin, name="Kategorie 1", programmes=[small])
    year = year_of_work["today"].year
    assert read(client, funder, year=year).context["dashboard"].applications.total.count > 0
    token.revoked_at = clock.now()
    token.save(update_fields=["revoked_at"])
    assert read(client, funder, year=year).context["dashboard"].applications.total.count == 0

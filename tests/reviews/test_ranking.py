"""The committee's ranking of a call: order, the minimum-score and budget lines, reviewers'
scores side by side, who sees it, its exports, and bulk decisions from it (all or nothing)."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import Call, Grant, LedgerEntry
from reviews import ranking
from reviews.models import Conflict
from tests.reviews.ranking_support import assessed, call_programme, leave_in_budget
from tests.support import assert_readable, unchanged
from workflows.errors import InvalidInput, TransitionForbidden
from workflows.roles import Role

AMOUNT = Decimal("4000.00")


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def setup(cast: Any, committed: Any) -> Any:
    """The call programme and a factory of assessed applications in its call."""
    programme, call = call_programme(cast)

    def make(points: tuple[int, int], **kwargs: Any) -> Application:
        return assessed(cast, call, points, committed=committed, **kwargs)

    return programme, call, make


@pytest.fixture
def manager2(db: Any) -> Any:
    return demo.make_user("manager2", Role.MANAGER, Role.REVIEWER)


def refs(found: ranking.Ranking) -> list[str]:
    return [row.application.reference for row in found.rows]


# --- order and lines --------------------------------------------------------------------------


def test_the_ranking_puts_the_best_weighted_score_first_and_breaks_ties_by_project_start(cast: Any, setup: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    late_tie = make((9, 10), days_ago=30)  # 95, starts later
    best = make((10, 10), days_ago=35)  # 100
    early_tie = make((10, 9), days_ago=45)  # 95, starts earlier
    low = make((7, 8), days_ago=50)  # 75
    found = ranking.ranking_of(call, cast.manager)
    assert refs(found) == [a.reference for a in (best, early_tie, late_tie, low)]
    assert [row.rank for row in found.rows] == [1, 2, 3, 4]
    assert [row.score for row in found.rows] == [Decimal("100.00"), Decimal("95.00"), Decimal("95.00"), Decimal("75.00")]  # fmt: skip


def test_the_lines_follow_the_minimum_score_and_the_remaining_budget(cast: Any, setup: Any) -> None:  # fmt: skip
    programme, call, make = setup
    apps = [make((p, p), days_ago=40 + i) for i, p in enumerate((10, 10, 10, 9, 8))]
    # Budget for two and a half applications: the line falls after the second.
    leave_in_budget(programme, AMOUNT * 2 + Decimal("2000"))
    found = ranking.ranking_of(call, cast.manager)
    assert found.minimum == Decimal("90")
    assert found.minimum_line == 4  # 100, 100, 100, 90 reach 90; 80 does not
    assert found.budget_line == 2
    assert found.remaining == AMOUNT * 2 + Decimal("2000")
    assert found.funded == AMOUNT * 2
    assert found.left_after == Decimal("2000")
    assert [row.within_budget for row in found.rows] == [True, True, False, False, False]
    assert [row.above_minimum for row in found.rows] == [True, True, True, True, False]
    assert [row.cumulative for row in found.rows] == [AMOUNT, AMOUNT * 2, None, None, None]
    assert {row.application.pk for row in found.rows} == {a.pk for a in apps}


def test_the_budget_line_takes_the_suggested_amount_and_stops_at_the_first_that_does_not_fit(cast: Any, setup: Any) -> None:  # fmt: skip
    programme, call, make = setup
    lowered = make((10, 10), days_ago=50, proposed=Decimal("2500.00"))  # all propose 2,500
    big = make((10, 9), days_ago=45, requested=Decimal("5000.00"))
    small = make((9, 9), days_ago=40, requested=Decimal("1000.00"))
    leave_in_budget(programme, Decimal("6000.00"))
    found = ranking.ranking_of(call, cast.manager)
    assert refs(found) == [lowered.reference, big.reference, small.reference]
    assert [row.amount for row in found.rows] == [Decimal("2500.00"), Decimal("5000.00"), Decimal("1000.00")]  # fmt: skip
    # 2,500 fits; 5,000 does not (3,500 left); the smaller one after it does not jump the queue.
    assert found.budget_line == 1
    assert [row.within_budget for row in found.rows] == [True, False, False]


def test_without_a_budget_for_the_year_nothing_is_above_the_budget_line(cast: Any, setup: Any) -> None:  # fmt: skip
    programme, call, make = setup
    make((10, 10))
    programme.allocations.all().delete()
    found = ranking.ranking_of(call, cast.manager)
    assert found.remaining is None and found.budget_line == 0
    assert found.minimum_line == 1


def test_the_reviewers_scores_stand_side_by_side(cast: Any, setup: Any) -> None:
    _programme, call, make = setup
    make((10, 8))
    row = ranking.ranking_of(call, cast.manager).rows[0]
    assert [(r.reviewer_id, r.weighted_score) for r in row.cells] == [
        (cast.reviewer.pk, Decimal("100.00")),
        (cast.reviewer2.pk, Decimal("80.00")),
    ]
    assert row.score == Decimal("90.00")


# --- who sees it ---------------------------------------------------------------------------------


def test_a_manager_in_conflict_does_not_see_the_application_in_the_ranking(cast: Any, setup: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    hidden, shown = make((10, 10)), make((9, 9))
    Conflict.objects.create(reviewer=cast.manager, application=hidden, reason="declared")
    assert refs(ranking.ranking_of(call, cast.manager)) == [shown.reference]
    assert refs(ranking.ranking_of(call, cast.admin)) == [hidden.reference, shown.reference]


def test_the_rankings_are_for_managers_and_administrators_only(cast: Any, setup: Any) -> None:
    _programme, call, _make = setup
    for user in (cast.manager, cast.admin):
        assert ranking.call_for_ranking(call.pk, user) == call
    for user in (cast.reviewer, cast.finance, cast.funder, cast.applicant):
        assert ranking.call_for_ranking(call.pk, user) is None


def test_the_page_shows_the_ranking_with_both_lines(client: Any, cast: Any, setup: Any) -> None:
    programme, call, make = setup
    for i, points in enumerate((10, 10, 9, 8)):
        make((points, points), days_ago=40 + i)
    leave_in_budget(programme, AMOUNT)
    client.force_login(cast.manager)
    page = client.get(reverse("reviews:ranking", args=[call.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="budget-line"' in html and 'id="minimum-line"' in html
    assert html.index('id="rank-1"') < html.index('id="budget-line"') < html.index('id="rank-2"')
    assert html.index('id="rank-3"') < html.index('id="minimum-line"') < html.index('id="rank-4"')
    listing = client.get(reverse("reviews:rankings"))
    assert call.title in listing.content.decode()


@pytest.mark.parametrize("role", ["reviewer", "finance", "funder", "applicant"])
def test_everyone_else_is_refused_the_pages(client: Any, cast: Any, setup: Any, role: str) -> None:  # fmt: skip
    _programme, call, _make = setup
    client.force_login(getattr(cast, role))
    for name in ("reviews:ranking", "reviews:ranking_pdf", "reviews:ranking_xlsx"):
        assert client.get(reverse(name, args=[call.pk])).status_code == 403
    assert client.get(reverse("reviews:rankings")).status_code == 403


def test_an_unknown_call_is_not_found(client: Any, cast: Any, setup: Any) -> None:
    client.force_login(cast.manager)
    assert client.get(reverse("reviews:ranking", args=[999999])).status_code == 404


# --- exports -----------------------------------------------------------------------------------


def test_the_xlsx_lists_the_ranking_with_the_reviewers_and_the_lines(client: Any, cast: Any, setup: Any) -> None:  # fmt: skip
    from openpyxl import load_workbook

    programme, call, make = setup
    first = make((10, 8), title="=Formel? Nein / Pas de formule")
    make((8, 8), days_ago=45)
    leave_in_budget(programme, AMOUNT)
    client.force_login(cast.manager)
    answer = client.get(reverse("reviews:ranking_xlsx", args=[call.pk]))
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows[0]
    assert header[:8] == ["rank", "reference", "title", "organisation", "country", "project_start", "status", "weighted_score"]  # fmt: skip
    assert header[8:12] == ["reviewer_1", "score_1", "reviewer_2", "score_2"]
    top = dict(zip(header, rows[1], strict=True))
    assert top["reference"] == first.reference and top["title"] == first.title  # text, no formula
    assert (top["score_1"], top["score_2"], top["weighted_score"]) == (100, 80, 90)
    assert (top["above_minimum"], top["within_budget"], top["cumulative"]) == ("yes", "yes", 4000)
    second = dict(zip(header, rows[2], strict=True))
    assert (second["above_minimum"], second["within_budget"]) == ("no", "no")


def test_the_pdf_is_offered_for_the_meeting(client: Any, cast: Any, setup: Any) -> None:
    _programme, call, make = setup
    make((10, 10))
    client.force_login(cast.manager)
    answer = client.get(reverse("reviews:ranking_pdf", args=[call.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")


def test_the_pdf_holds_the_german_and_the_french_version(cast: Any, setup: Any) -> None:
    from reviews import ranking_exports

    programme, call, make = setup
    make((10, 10))
    make((8, 8), days_ago=45)
    leave_in_budget(programme, AMOUNT)
    html = ranking_exports.html(ranking.ranking_of(call, cast.manager))
    assert 'lang="de"' in html and 'lang="fr"' in html
    assert html.index('lang="de"') < html.index('lang="fr"')
    assert "Rangliste" in html and "Classement" in html
    assert "Mindestpunktzahl" in html and "note minimale" in html


# --- bulk decisions from the ranking -----------------------------------------------------------


def test_a_manager_approves_the_ticked_applications_above_the_lines(cast: Any, setup: Any, committed: Any) -> None:  # fmt: skip
    programme, call, make = setup
    apps = [make((10, 10), days_ago=40 + i) for i in range(3)]
    allocation = leave_in_budget(programme, AMOUNT * 2)
    with committed():
        outcomes = ranking.decide_from_ranking(
            call, [apps[0].pk, apps[1].pk], by=cast.manager, decision="approve"
        )
    assert [o.ok for o in outcomes] == [True, True]
    assert Grant.objects.filter(application__in=apps[:2]).count() == 2
    assert allocation.balances()["remaining"] == 0
    apps[2].refresh_from_db()
    assert apps[2].status == ApplicationStatus.REVIEWED
    assert ranking.ranking_of(call, cast.manager).budget_line == 0


def test_approvals_take_the_suggested_amount(cast: Any, setup: Any, committed: Any) -> None:
    _programme, call, make = setup
    lowered = make((10, 10), proposed=Decimal("3000.00"))
    with committed():
        ranking.decide_from_ranking(call, [lowered.pk], by=cast.manager, decision="approve")
    assert Grant.objects.get(application=lowered).amount_awarded == Decimal("3000.00")


def test_a_bulk_rejection_from_the_ranking_records_the_reasons(cast: Any, setup: Any, committed: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    low = make((7, 7))
    with committed():
        ranking.decide_from_ranking(
            call,
            [low.pk],
            by=cast.manager,
            decision="reject",
            reasons="Unter der Mindestpunktzahl.",
        )
    low.refresh_from_db()
    assert low.status == ApplicationStatus.REJECTED


def _refused(cast: Any, call: Call, pks: list[int], anchor: Application, **kwargs: Any) -> str:
    with unchanged(anchor), pytest.raises(ranking.RankingRefusal) as refusal:
        ranking.decide_from_ranking(call, pks, by=cast.manager, decision="approve", **kwargs)
    assert_readable(refusal.value.message)
    return str(refusal.value.message)


def test_an_unknown_id_decides_nothing(cast: Any, setup: Any) -> None:
    _programme, call, make = setup
    good = make((10, 10))
    message = _refused(cast, call, [good.pk, 987654], good)
    assert "987654" in message and "reload" in message


def test_an_application_of_another_call_decides_nothing(cast: Any, setup: Any) -> None:
    programme, call, make = setup
    good, other = make((10, 10)), make((10, 10), days_ago=45)
    elsewhere = Call.objects.create(
        programme=programme,
        title="Anderer Aufruf",
        opens_on=call.opens_on,
        closes_on=call.closes_on,
    )
    Application.objects.filter(pk=other.pk).update(call=elsewhere)
    message = _refused(cast, call, [good.pk, other.pk], good)
    assert other.reference in message and call.title in message


def test_a_stale_ranking_decides_nothing(cast: Any, setup: Any, committed: Any) -> None:
    _programme, call, make = setup
    first, second = make((10, 10)), make((10, 10), days_ago=45)
    with committed():  # another manager was faster with the first
        ranking.decide_from_ranking(
            call, [first.pk], by=demo.make_user("m3", Role.MANAGER), decision="approve"
        )
    message = _refused(cast, call, [first.pk, second.pk], second)
    assert first.reference in message and "out of date" in message


def test_when_the_budget_runs_out_midway_nothing_is_decided(cast: Any, setup: Any) -> None:
    programme, call, make = setup
    apps = [make((10, 10), days_ago=40 + i) for i in range(3)]
    leave_in_budget(programme, AMOUNT * 2)
    before = LedgerEntry.objects.count()
    message = _refused(cast, call, [a.pk for a in apps], apps[0])
    assert "left" in message
    assert LedgerEntry.objects.count() == before
    assert not Grant.objects.filter(application__in=apps).exists()
    assert set(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)) == {"reviewed"}  # fmt: skip


def test_below_the_minimum_score_nothing_is_approved(cast: Any, setup: Any) -> None:
    _programme, call, make = setup
    good, low = make((10, 10)), make((8, 8), days_ago=45)
    assert "minimum" in _refused(cast, call, [good.pk, low.pk], good)


def test_a_manager_who_reviewed_an_application_cannot_decide_it_from_the_ranking(cast: Any, setup: Any, manager2: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    theirs = make((10, 10), reviewers=(manager2, cast.reviewer2))
    other = make((10, 10), days_ago=45)
    rows = {row.application.pk: row for row in ranking.ranking_of(call, manager2).rows}
    assert rows[theirs.pk].reviewed_by_reader and not rows[other.pk].reviewed_by_reader
    with unchanged(other), pytest.raises(ranking.RankingRefusal) as refusal:
        ranking.decide_from_ranking(call, [theirs.pk, other.pk], by=manager2, decision="approve")
    assert "someone else must decide" in str(refusal.value.message)


def test_only_managers_decide_and_bad_input_is_refused_in_words(cast: Any, setup: Any) -> None:
    _programme, call, make = setup
    good = make((10, 10))
    with pytest.raises(TransitionForbidden):
        ranking.decide_from_ranking(call, [good.pk], by=cast.admin, decision="approve")
    with pytest.raises(TransitionForbidden):
        ranking.decide_from_ranking(call, [good.pk], by=cast.reviewer, decision="approve")
    for pks, decision, reasons in (([], "approve", ""), ([good.pk], "promote", ""), ([good.pk], "reject", " ")):  # fmt: skip
        with pytest.raises(InvalidInput) as refusal:
            ranking.decide_from_ranking(call, pks, by=cast.manager, decision=decision, reasons=reasons)  # fmt: skip
        assert_readable(refusal.value.message)


def test_the_page_decides_and_says_what_it_did(client: Any, cast: Any, setup: Any, committed: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    good = make((10, 10))
    client.force_login(cast.manager)
    url = reverse("reviews:decide_from_ranking", args=[call.pk])
    with committed():
        answer = client.post(url, {"decision": "approve", "application": [str(good.pk)]})
    assert answer.status_code == 302
    good.refresh_from_db()
    assert good.status == ApplicationStatus.APPROVED
    assert good.reference in " ".join(str(m) for m in get_messages(answer.wsgi_request))


def test_the_page_refuses_tampered_ticks_and_a_missing_decision(client: Any, cast: Any, setup: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    good = make((10, 10))
    client.force_login(cast.manager)
    url = reverse("reviews:decide_from_ranking", args=[call.pk])
    with unchanged(good):
        tampered = client.post(url, {"decision": "approve", "application": [str(good.pk), "1; DROP"]})  # fmt: skip
        assert tampered.status_code == 302
        assert "Nothing was decided" in " ".join(str(m) for m in get_messages(tampered.wsgi_request))  # fmt: skip
        missing = client.post(url, {"application": [str(good.pk)]})
        assert missing.status_code == 400


# --- cost -----------------------------------------------------------------------------------------


def test_the_ranking_reads_five_queries_however_many_applications(cast: Any, setup: Any) -> None:  # fmt: skip
    """The call, the reader's roles, the applications (with the four-eyes mark), the reviews,
    the budget with its balances."""
    _programme, call, make = setup

    def count() -> int:
        manager = get_user_model().objects.get(pk=cast.manager.pk)  # as a fresh request has it
        with CaptureQueriesContext(connection) as queries:
            found = ranking.ranking_of(ranking.call_for_ranking(call.pk, manager), manager)  # type: ignore[arg-type]
            assert all(row.cells for row in found.rows)
        return len(queries)

    make((10, 10))
    small = count()
    for i in range(4):
        make((9, 9), days_ago=45 + i)
    assert count() == small <= 5


def test_the_list_of_calls_counts_only_the_applications_the_reader_sees(cast: Any, setup: Any) -> None:  # fmt: skip
    _programme, call, make = setup
    hidden, _shown = make((10, 10)), make((9, 9), days_ago=45)
    Conflict.objects.create(reviewer=cast.manager, application=hidden, reason="declared")
    assert ranking.waiting_per_call([call], cast.manager) == {call.pk: 1}
    assert ranking.waiting_per_call([call], cast.admin) == {call.pk: 2}

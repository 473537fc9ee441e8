"""Decisions by programme managers: one at a time, in bulk, the waiting list; nobody else gets in."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from applications import rules as application_rules
from applications import services as application_services
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import BudgetAllocation, Grant, LedgerEntry
from grants.money import format_eur
from grants.services import BudgetRefusal
from reviews import checks, decisions
from reviews.models import Review, ReviewTask, TaskKind, TaskStatus
from tests.support import assert_readable, unchanged
from workflows import clock
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.roles import Role

FOUR_EYES = "You reviewed this application, so someone else must decide it."


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    """Refusals are read in English here (the site's default language is German)."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def manager2(db: Any) -> Any:
    """A programme manager who also reviews (four-eyes: never for the same application)."""
    return demo.make_user("manager2", Role.MANAGER, Role.REVIEWER)


@pytest.fixture
def assess(committed: Any) -> Any:
    """`assess(application, reviewer, ...)`: a review through the assessment service."""

    def write(
        application: Application,
        reviewer: Any,
        *,
        points: int = 8,
        recommendation: str = "approve",
        proposed: Decimal | None = None,
    ) -> Review:
        task = ReviewTask.objects.filter(
            application=application, kind=TaskKind.ASSESSMENT, status=TaskStatus.OPEN
        ).first()
        assert task is not None, "no open assessment"
        codes = [row["code"] for row in application.programme.rubric]
        with committed():
            return checks.submit_review(
                task,
                by=reviewer,
                scores=dict.fromkeys(codes, points),
                recommendation=recommendation,
                proposed_amount=proposed,
                comment_internal=f"intern {reviewer.username}",
                comment_for_applicant=f"für euch {reviewer.username}",
            )

    return write


def allocation_of(application: Application) -> BudgetAllocation:
    return BudgetAllocation.objects.get(programme=application.programme, year=clock.today().year)


def leave_in_budget(application: Application, amount: Decimal) -> BudgetAllocation:
    """Size this year's budget of the application's programme so that `amount` is left."""
    allocation = allocation_of(application)
    committed = allocation.balances()["committed"]
    BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=committed + amount)
    allocation.refresh_from_db()
    return allocation


def starting_in(drive: Any, days_ago: int, **kwargs: Any) -> Application:
    """A reviewed application submitted `days_ago` days ago (earlier submission, earlier start)."""
    return drive("reviewed", submitted_on=clock.today() - timedelta(days=days_ago), **kwargs)


# --- one decision -------------------------------------------------------------------------------


def test_approve_commits_the_budget_and_creates_the_grant(cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    before = allocation_of(application).balances()
    decided = decisions.decide(
        application, by=cast.manager, decision="approve", amount=Decimal("3500.00"), conditions="Logo auf dem Flyer"
    )  # fmt: skip
    assert decided.status == ApplicationStatus.APPROVED
    grant = Grant.objects.get(application=application)
    assert (grant.amount_awarded, grant.conditions, grant.status) == (Decimal("3500.00"), "Logo auf dem Flyer", "offered")  # fmt: skip
    after = allocation_of(application).balances()
    assert after["committed"] - before["committed"] == Decimal("3500.00")
    assert LedgerEntry.objects.get(grant=grant).kind == "commit"


def test_approve_takes_the_requested_amount_when_none_is_given(cast: Any, drive: Any) -> None:
    application = drive("reviewed", requested=Decimal("4200.00"))
    decisions.decide(application, by=cast.manager, decision="approve")
    assert Grant.objects.get(application=application).amount_awarded == Decimal("4200.00")


@pytest.mark.parametrize("how", ["review", "formal_check", "done_task"])
def test_a_manager_who_reviewed_is_refused_by_the_four_eyes_rule_and_nothing_changes(
    cast: Any, drive: Any, committed: Any, assess: Any, manager2: Any, how: str
) -> None:
    if how == "review":
        application = drive("in_review")
        assess(application, manager2)
    elif how == "formal_check":
        application = drive("submitted")
        with committed():
            application_services.pass_formal_check(
                application, by=manager2, checklist=CHECKLIST_CODES
            )
        assess(application, cast.reviewer2)
    else:
        application = drive("reviewed")
        ReviewTask.objects.filter(application=application).update(
            status=TaskStatus.DONE, assignee=manager2, done_at=clock.now()
        )
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEWED
    assert application_rules.has_reviewed(application, manager2)
    for decision, data in [("approve", {}), ("waitlist", {}), ("reject", {"reasons": "Zu teuer."})]:
        with translation.override("en"), unchanged(application), pytest.raises(decisions.FourEyesRefusal) as refused:  # fmt: skip
            decisions.decide(application, by=manager2, decision=decision, **data)
        assert str(refused.value.message) == FOUR_EYES
    decisions.decide(application, by=cast.manager, decision="approve")  # someone else may
    application.refresh_from_db()
    assert application.decided_by == cast.manager


def test_the_four_eyes_check_is_one_query(cast: Any, drive: Any, manager2: Any, django_assert_num_queries: Any) -> None:  # fmt: skip
    application = drive("reviewed")
    with django_assert_num_queries(1):
        assert not application_rules.has_reviewed(application, manager2)


def test_an_approval_that_does_not_fit_the_budget_is_refused_and_says_how_much_is_left(cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("reviewed", requested=Decimal("4000.00"))
    leave_in_budget(application, Decimal("2500.00"))
    with translation.override("en"), unchanged(application), pytest.raises(BudgetRefusal) as refused:  # fmt: skip
        decisions.decide(application, by=cast.manager, decision="approve")
    assert_readable(refused.value.message)
    with translation.override("en"):
        assert str(format_eur(Decimal("2500.00"))) in str(refused.value.message)
    assert not Grant.objects.filter(application=application).exists()


def test_an_amount_above_the_requested_one_is_refused(cast: Any, drive: Any) -> None:
    application = drive("reviewed", requested=Decimal("4000.00"))
    with unchanged(application), pytest.raises(WorkflowError) as refused:
        decisions.decide(application, by=cast.manager, decision="approve", amount=Decimal("4000.01"))  # fmt: skip
    assert refused.value.code == "amount_out_of_range"
    assert_readable(refused.value.message)


def test_a_programme_with_a_minimum_score_refuses_approval_below_it(cast: Any, drive: Any) -> None:
    # Category 4 has a minimum score of 90; its calls make it awkward to drive, so the same policy
    # is set on the application's own programme.
    application = drive("reviewed")  # the replayed review scored 72.50
    type(application.programme).objects.filter(pk=application.programme_id).update(minimum_score=Decimal("90"))  # fmt: skip
    application.refresh_from_db()
    application.programme.refresh_from_db()
    with translation.override("en"), unchanged(application), pytest.raises(decisions.ScoreBelowMinimum) as refused:  # fmt: skip
        decisions.decide(application, by=cast.manager, decision="approve")
    message = str(refused.value.message)
    assert "72.50" in message and "90.00" in message
    with translation.override("fr"), pytest.raises(decisions.ScoreBelowMinimum) as in_french:
        decisions.decide(application, by=cast.manager, decision="approve")
    assert "72,50" in str(in_french.value.message)  # a decimal comma, as the reader writes
    # The minimum is for approvals only.
    decisions.decide(application, by=cast.manager, decision="waitlist")
    Application.objects.filter(pk=application.pk).update(score=Decimal("90.00"))
    application_services.reopen_application(application, by=cast.manager)
    application.refresh_from_db()
    assert decisions.decide(application, by=cast.manager, decision="approve").status == "approved"


def test_the_minimum_score_also_holds_for_approvals_from_the_admin_and_the_api(
    cast: Any, drive: Any
) -> None:
    # The admin's transition form and POST /api/v1/.../transitions/approve/ call the service
    # directly, without the decision page.
    application = drive("reviewed")  # scored 72.50
    type(application.programme).objects.filter(pk=application.programme_id).update(minimum_score=Decimal("90"))  # fmt: skip
    application.refresh_from_db()
    with unchanged(application), pytest.raises(decisions.ScoreBelowMinimum):
        application_services.approve_application(application, by=cast.manager, amount=Decimal("4000.00"))  # fmt: skip


def test_a_decision_someone_else_made_first_is_refused_in_words(cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    stale = Application.objects.get(pk=application.pk)
    decisions.decide(application, by=cast.manager, decision="waitlist")
    with unchanged(application), pytest.raises(WorkflowError) as refused:
        decisions.decide(stale, by=cast.manager, decision="approve")
    assert_readable(refused.value.message)


def test_reject_after_review_records_the_reasons(cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    with pytest.raises(WorkflowError):
        decisions.decide(application, by=cast.manager, decision="reject", reasons="  ")
    decided = decisions.decide(application, by=cast.manager, decision="reject", reasons="Zu wenig Begegnung.")  # fmt: skip
    assert (decided.status, decided.decision_note) == ("rejected", "Zu wenig Begegnung.")


# --- many at once -------------------------------------------------------------------------------


def test_a_bulk_decision_decides_the_others_when_one_breaks_four_eyes_and_one_does_not_fit_the_budget(
    cast: Any, drive: Any, assess: Any, manager2: Any
) -> None:
    amounts = ["4000.00", "4000.00", "4000.00", "5000.00", "4000.00"]
    apps = []
    for i, amount in enumerate(amounts):  # earliest project start first: a, b, c, d, e
        app = drive("in_review", submitted_on=clock.today() - timedelta(days=30 - i), requested=Decimal(amount))  # fmt: skip
        assess(app, manager2 if i == 1 else cast.reviewer)
        apps.append(app)
    a = apps[0]
    # a and c take 8,000 of 12,500; d needs 5,000 of the 4,500 left; e fits in them.
    leave_in_budget(a, Decimal("12500.00"))
    with translation.override("en"):
        outcomes = decisions.decide_many(
            decisions.chosen_for_bulk([x.pk for x in reversed(apps)], manager2), by=manager2, decision="approve"
        )  # fmt: skip
        left = str(format_eur(Decimal("4500.00")))
    assert [o.application.pk for o in outcomes] == [x.pk for x in apps]  # in order of project start
    assert [o.ok for o in outcomes] == [True, False, True, False, True]
    assert outcomes[1].message == FOUR_EYES
    assert left in outcomes[3].message
    statuses = dict(Application.objects.filter(pk__in=[x.pk for x in apps]).values_list("pk", "status"))  # fmt: skip
    assert [statuses[x.pk] for x in apps] == ["approved", "reviewed", "approved", "reviewed", "approved"]  # fmt: skip
    assert Grant.objects.filter(application__in=apps).count() == 3
    assert allocation_of(a).balances()["remaining"] == Decimal("500.00")


def test_a_bulk_approval_can_take_the_average_the_reviewers_propose(cast: Any, drive: Any, assess: Any) -> None:  # fmt: skip
    type(cast.fund.programmes.get(category=1)).objects.filter(category=1).update(reviews_required=2)
    lower = drive("in_review", requested=Decimal("4000.00"))
    assess(lower, cast.reviewer, recommendation="approve_lower", proposed=Decimal("3000.00"))
    assess(lower, cast.reviewer2, recommendation="approve_lower", proposed=Decimal("3501.00"))
    mixed = drive("in_review", requested=Decimal("4000.00"))
    assess(mixed, cast.reviewer, recommendation="approve_lower", proposed=Decimal("3000.00"))
    assess(mixed, cast.reviewer2, recommendation="approve")
    outcomes = decisions.decide_many([lower, mixed], by=cast.manager, decision="approve", amount_rule="proposed")  # fmt: skip
    assert all(o.ok for o in outcomes)
    awarded = dict(Grant.objects.values_list("application_id", "amount_awarded"))
    assert awarded == {lower.pk: Decimal("3250.50"), mixed.pk: Decimal("4000.00")}


# --- the waiting list ---------------------------------------------------------------------------


def test_waitlisted_applications_come_back_in_order_of_project_start_when_the_budget_is_raised(cast: Any, drive: Any) -> None:  # fmt: skip
    later = starting_in(drive, 12)
    earliest = starting_in(drive, 20)
    middle = starting_in(drive, 16)
    for application in (later, earliest, middle):
        decisions.decide(application, by=cast.manager, decision="waitlist", reasons="Budget erschöpft")  # fmt: skip
    programme, year = earliest.programme, clock.today().year
    leave_in_budget(earliest, Decimal("3000.00"))
    assert decisions.reopen_waitlisted(programme, year, by=cast.manager) == []  # 4,000 each
    leave_in_budget(earliest, Decimal("9000.00"))  # two fit
    reopened = decisions.reopen_waitlisted(programme, year, by=None)  # the system may reopen too
    assert [a.pk for a in reopened] == [earliest.pk, middle.pk]
    statuses = dict(Application.objects.values_list("pk", "status"))
    assert (statuses[earliest.pk], statuses[middle.pk], statuses[later.pk]) == ("reviewed", "reviewed", "waitlisted")  # fmt: skip


def test_nothing_is_reopened_while_the_budget_is_not_released(cast: Any, drive: Any) -> None:
    application = drive("waitlisted")
    BudgetAllocation.objects.filter(programme=application.programme).update(released=False)
    assert decisions.reopen_waitlisted(application.programme, clock.today().year, by=cast.manager) == []  # fmt: skip


def test_a_manager_reopens_the_waiting_list_from_the_decisions_page(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    waiting = starting_in(drive, 20)
    decisions.decide(waiting, by=cast.manager, decision="waitlist", reasons="Budget erschöpft")
    url = reverse("reviews:reopen_waiting_list")
    client.force_login(cast.manager)
    listed = client.get(reverse("reviews:decisions"), HTTP_ACCEPT_LANGUAGE="en")
    assert listed.context["waiting_lists"] == [waiting.programme]
    assert 'id="reopen-waiting-list"' in listed.content.decode()

    leave_in_budget(waiting, Decimal("3000.00"))  # not enough for its 4,000
    short = client.post(url, {"programme": waiting.programme_id}, HTTP_ACCEPT_LANGUAGE="en", follow=True)  # fmt: skip
    assert "does not cover" in short.content.decode()
    assert Application.objects.get(pk=waiting.pk).status == "waitlisted"

    leave_in_budget(waiting, Decimal("5000.00"))
    reopened = client.post(url, {"programme": waiting.programme_id}, HTTP_ACCEPT_LANGUAGE="en")
    assert reopened.status_code == 302 and reopened["Location"] == reverse("reviews:decisions")
    assert Application.objects.get(pk=waiting.pk).status == "reviewed"
    assert client.post(url, {"programme": "nope"}).status_code == 302  # a message, no 500
    client.force_login(cast.reviewer)
    assert client.post(url, {"programme": waiting.programme_id}).status_code == 403


# --- the pages ----------------------------------------------------------------------------------


def test_the_list_shows_what_waits_earliest_start_first_and_filters(client: Any, cast: Any, drive: Any, assess: Any) -> None:  # fmt: skip
    later = starting_in(drive, 12)
    earlier = drive("in_review", submitted_on=clock.today() - timedelta(days=25))
    assess(earlier, cast.reviewer, recommendation="approve_lower", proposed=Decimal("3000.00"))
    waiting = drive("waitlisted")
    drive("approved")  # decided: not listed
    client.force_login(cast.manager)
    response = client.get(reverse("reviews:decisions"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    rows = [row.application.pk for row in response.context["rows"]]
    assert set(rows) == {later.pk, earlier.pk, waiting.pk} and rows.index(earlier.pk) < rows.index(later.pk)  # fmt: skip
    page = response.content.decode()
    assert 'id="bulk-decision-form"' in page and f'value="{earlier.pk}"' in page
    assert "0 approve · 1 lower · 0 reject" in page
    only_waiting = client.get(reverse("reviews:decisions"), {"waiting": "waitlisted"})
    assert [row.application.pk for row in only_waiting.context["rows"]] == [waiting.pk]
    assert client.get(reverse("reviews:decisions"), {"country": "FR"}).context["rows"] == []
    assert client.get(reverse("reviews:decisions"), {"category": "1"}).context["rows"]


def test_the_bulk_form_shows_each_result_with_its_reason(client: Any, cast: Any, drive: Any, assess: Any, manager2: Any) -> None:  # fmt: skip
    fine = starting_in(drive, 20)
    reviewed_by_me = drive("in_review", submitted_on=clock.today() - timedelta(days=18))
    assess(reviewed_by_me, manager2)
    client.force_login(manager2)
    response = client.post(
        reverse("reviews:decide_many"),
        {"application": [fine.pk, reviewed_by_me.pk], "decision": "waitlist", "amount_rule": "requested"},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    # Post/redirect/get: reloading the list that follows decides nothing again.
    assert response.status_code == 302 and response["Location"] == reverse("reviews:decisions")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 application decided, 1 refused" in page
    assert FOUR_EYES in page and reviewed_by_me.reference in page
    assert Application.objects.get(pk=fine.pk).status == "waitlisted"
    again = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="bulk-results"' not in again  # shown once


def test_a_bulk_rejection_without_reasons_is_refused_before_anything_happens(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("reviewed")
    client.force_login(cast.manager)
    with unchanged(application):
        response = client.post(reverse("reviews:decide_many"), {"application": [application.pk], "decision": "reject", "amount_rule": "requested"})  # fmt: skip
    assert response.status_code == 400


def test_the_decision_page_shows_the_reviews_side_by_side_and_the_budget(client: Any, cast: Any, drive: Any, assess: Any) -> None:  # fmt: skip
    type(cast.fund.programmes.get(category=1)).objects.filter(category=1).update(reviews_required=2)
    application = drive("in_review", requested=Decimal("4000.00"))
    assess(application, cast.reviewer, points=8, recommendation="approve_lower", proposed=Decimal("3000.00"))  # fmt: skip
    assess(application, cast.reviewer2, points=6, recommendation="approve_lower", proposed=Decimal("3400.00"))  # fmt: skip
    client.force_login(cast.manager)
    response = client.get(reverse("reviews:decision", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 200
    dossier = response.context["dossier"]
    assert [r.weighted_score for r in dossier.reviews] == [Decimal("80.00"), Decimal("60.00")]
    assert dossier.average_score == Decimal("70.00")
    assert dossier.balances == allocation_of(application).balances()
    # Prefilled with the average proposed amount.
    assert response.context["forms"]["approve"].initial["amount"] == Decimal("3200.00")
    page = response.content.decode()
    for text in ("intern reviewer", "für euch reviewer2", "Franco-German relevance", "Remaining"):
        assert text in page
    for form in ("decision-form-approve", "decision-form-waitlist"):
        assert f'id="{form}"' in page
    assert "four-eyes-notice" not in page


def test_a_manager_decides_on_the_page(client: Any, cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    client.force_login(cast.manager)
    url = reverse("reviews:decision", args=[application.pk])
    refused = client.post(url, {"decision": "approve", "approve-amount": "4.000,01"})
    assert refused.status_code == 302  # above the requested amount: a message, nothing changed
    assert Application.objects.get(pk=application.pk).status == "reviewed"
    assert client.post(url, {"decision": "approve", "approve-amount": "nonsense"}).status_code == 400  # fmt: skip
    done = client.post(url, {"decision": "approve", "approve-amount": "3.900,00", "approve-conditions": "Bericht auf Französisch"})  # fmt: skip
    assert done.status_code == 302 and done["Location"] == reverse("reviews:decisions")
    assert Grant.objects.get(application=application).amount_awarded == Decimal("3900.00")


def test_a_manager_waitlists_and_reopens_on_the_page(client: Any, cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    client.force_login(cast.manager)
    url = reverse("reviews:decision", args=[application.pk])
    client.post(url, {"decision": "waitlist", "waitlist-reasons": "Budget 2026 fehlt"})
    assert Application.objects.get(pk=application.pk).status == "waitlisted"
    page = client.get(url).content.decode()
    assert 'id="decision-form-reopen"' in page and 'id="decision-form-approve"' not in page
    client.post(url, {"decision": "reopen"})
    assert Application.objects.get(pk=application.pk).status == "reviewed"


def test_a_manager_who_reviewed_sees_the_four_eyes_notice_and_no_decision_buttons(client: Any, cast: Any, drive: Any, assess: Any, manager2: Any) -> None:  # fmt: skip
    application = drive("in_review")
    assess(application, manager2)
    client.force_login(manager2)
    response = client.get(reverse("reviews:decision", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert FOUR_EYES in page
    for form in ("approve", "reject", "waitlist"):
        assert f'id="decision-form-{form}"' not in page
    with unchanged(application):
        client.post(reverse("reviews:decision", args=[application.pk]), {"decision": "approve", "approve-amount": "4000"})  # fmt: skip


def test_only_managers_and_administrators_see_the_decisions_link(client: Any, cast: Any) -> None:
    link = f'href="{reverse("reviews:decisions")}"'
    for user, shown in ((cast.manager, True), (cast.admin, True), (cast.reviewer, False)):
        client.force_login(user)
        assert (link in client.get(reverse("reviews:overview")).content.decode()) is shown


def test_an_administrator_sees_the_pages_but_only_managers_decide(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("reviewed")
    client.force_login(cast.admin)
    assert client.get(reverse("reviews:decisions")).status_code == 200
    page = client.get(reverse("reviews:decision", args=[application.pk])).content.decode()
    assert 'id="decision-form-approve"' not in page
    with unchanged(application):
        client.post(reverse("reviews:decision", args=[application.pk]), {"decision": "approve", "approve-amount": "4000"})  # fmt: skip


# --- who gets in --------------------------------------------------------------------------------

POSTS = [
    ("decision", {"decision": "approve", "approve-amount": "4000"}),
    ("decision", {"decision": "reject", "reject-reasons": "Nein."}),
    ("decision", {"decision": "waitlist"}),
    ("decision", {"decision": "reopen"}),
    ("decide_many", {"decision": "approve", "amount_rule": "requested"}),
]


def test_anonymous_is_sent_to_sign_in(client: Any, cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    urls = [reverse("reviews:decisions"), reverse("reviews:decision", args=[application.pk])]
    for url in urls:
        assert client.get(url).status_code == 302
    with unchanged(application):
        for name, data in POSTS:
            url = reverse(f"reviews:{name}", args=[application.pk] if name == "decision" else [])
            response = client.post(url, {**data, "application": [application.pk]})
            assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("role", ["applicant", "finance", "funder", "reviewer"])
def test_everyone_but_managers_and_administrators_is_refused(client: Any, cast: Any, drive: Any, role: str) -> None:  # fmt: skip
    application = drive("reviewed")
    client.force_login(getattr(cast, role))
    assert client.get(reverse("reviews:decisions")).status_code == 403
    assert client.get(reverse("reviews:decision", args=[application.pk])).status_code == 403
    with unchanged(application):
        for name, data in POSTS:
            url = reverse(f"reviews:{name}", args=[application.pk] if name == "decision" else [])
            assert client.post(url, {**data, "application": [application.pk]}).status_code == 403


# --- bounded queries ----------------------------------------------------------------------------


def queries_of(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_runs_the_same_queries_for_five_or_twenty_five_rows(client: Any, cast: Any, drive: Any, assess: Any) -> None:  # fmt: skip
    def add(count: int) -> None:
        for i in range(count):
            application = drive("in_review", title=f"Treffen {i}")
            assess(application, cast.reviewer, points=5 + i % 5)

    client.force_login(cast.manager)
    url = reverse("reviews:decisions")
    add(5)
    five = queries_of(client, url)
    add(20)
    twenty_five = queries_of(client, url)
    assert twenty_five == five <= 12
    assert len(client.get(url).context["rows"]) == 25


def test_the_decision_page_runs_the_same_queries_for_one_or_three_reviews(client: Any, cast: Any, drive: Any, assess: Any) -> None:  # fmt: skip
    one = drive("in_review")
    assess(one, cast.reviewer)
    type(cast.fund.programmes.get(category=1)).objects.filter(category=1).update(reviews_required=3)
    three = drive("in_review")
    for reviewer in (cast.reviewer, cast.reviewer2, demo.make_user("reviewer3", Role.REVIEWER)):
        assess(three, reviewer)
    client.force_login(cast.manager)
    counts = [queries_of(client, reverse("reviews:decision", args=[a.pk])) for a in (one, three)]
    assert counts[0] == counts[1] <= 12


def test_refusals_are_workflow_errors_with_codes(cast: Any, drive: Any) -> None:
    application = drive("reviewed")
    with pytest.raises(TransitionForbidden):
        decisions.decide(application, by=cast.reviewer, decision="approve")
    with pytest.raises(WorkflowError) as unknown:
        decisions.decide(application, by=cast.manager, decision="fund-it")
    assert unknown.value.code == "unknown_transition"


@pytest.mark.parametrize(
    "reviews",
    [
        [("approve_lower", Decimal("3000.00")), ("approve_lower", Decimal("3401.01"))],
        [("approve_lower", Decimal("3000.00")), ("approve", None)],
        [("approve_lower", Decimal("5000.00"))],  # never above the request
        [],
    ],
)
def test_the_list_and_the_decision_page_suggest_the_same_amount(reviews: list[Any]) -> None:
    from types import SimpleNamespace

    requested = Decimal("4000.00")
    proposed = [amount for _r, amount in reviews if amount is not None]
    row = SimpleNamespace(  # what the list's query annotates
        requested_amount=requested,
        n_reviews=len(reviews),
        n_approve_lower=sum(1 for r, _a in reviews if r == "approve_lower"),
        n_proposed=len(proposed),
        average_proposed=sum(proposed) / len(proposed) if proposed else None,
    )
    assert decisions.row_amount(row) == decisions.suggested_amount(requested, reviews)

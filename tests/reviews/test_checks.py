"""The formal check and the assessment, as reviewers do them: through the services and the pages."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from applications import formal_check
from applications import services as application_services
from applications.models import Application, BudgetLine, Partner
from demo import builders as demo
from reviews import checks, services
from reviews.models import Conflict, IneligibilityReason, Review, ReviewTask, TaskKind
from tests.support import assert_readable
from workflows import clock
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.models import TransitionLog
from workflows.text import LONG_TEXT, LONGEST_REPLY_DAYS, clean_reply_date, clean_text

ALL_YES = dict.fromkeys(formal_check.CHECKLIST_CODES, True)
CATEGORY_3 = Decimal("20000.00")  # two reviews required


@pytest.fixture(autouse=True)
def english(client: Any, settings: Any) -> None:
    """These stories read the English texts (the site's default language is German)."""
    settings.LANGUAGE_CODE = "en"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def review_world() -> dict[str, Any]:
    """Every row a refused review or check could have touched."""
    return {
        "applications": list(Application.objects.order_by("pk").values()),
        "tasks": list(ReviewTask.objects.order_by("pk").values()),
        "reviews": list(Review.objects.order_by("pk").values()),
        "log": list(TransitionLog.objects.order_by("pk").values_list("pk", flat=True)),
    }


def scores(default: int, **special: int) -> dict[str, int]:
    return {row["code"]: special.get(row["code"], default) for row in demo.RUBRIC}


def post_scores(values: dict[str, Any]) -> dict[str, Any]:
    return {f"score_{code}": value for code, value in values.items()}


def claimed_check(drive: Any, reviewer: Any, **kwargs: Any) -> tuple[Application, ReviewTask]:
    application = drive("submitted", **kwargs)
    return application, services.claim_next(reviewer, TaskKind.FORMAL_CHECK)


def in_review(drive: Any, **kwargs: Any) -> Application:
    return drive("in_review", requested=CATEGORY_3, **kwargs)


# --- the formal check -------------------------------------------------------------------------


def test_passing_the_formal_check_puts_the_application_in_review_with_one_assessment_per_required_review(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer, requested=CATEGORY_3)
    with committed():
        checks.pass_formal_check(task, by=cast.reviewer, checklist=ALL_YES)
    application.refresh_from_db()
    task.refresh_from_db()
    assert application.status == "in_review"
    assert (task.status, task.outcome, task.assignee, task.checklist) == ("done", "passed", cast.reviewer, ALL_YES)  # fmt: skip
    assessments = ReviewTask.objects.filter(application=application, kind=TaskKind.ASSESSMENT)
    assert application.programme.reviews_required == 2
    assert sorted((t.slot, t.status) for t in assessments) == [(1, "open"), (2, "open")]


def test_an_open_formal_check_is_claimed_by_the_reviewer_who_completes_it(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    with committed():
        checks.pass_formal_check(
            task, by=cast.reviewer2, checklist=list(formal_check.CHECKLIST_CODES)
        )
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("done", cast.reviewer2)


def test_the_formal_check_passes_only_when_every_item_is_ticked_and_names_the_missing_ones(cast: Any, drive: Any) -> None:  # fmt: skip
    _application, task = claimed_check(drive, cast.reviewer)
    before = review_world()
    with pytest.raises(ValidationError) as refused:
        checks.pass_formal_check(task, by=cast.reviewer, checklist={**ALL_YES, "budget": False, "attachments": False})  # fmt: skip
    message = " ".join(refused.value.message_dict["checklist"])
    assert "Budget balanced" in message and "Attachments readable" in message
    assert "Eligible applicant" not in message
    assert_readable(message)
    with pytest.raises(ValidationError):
        checks.pass_formal_check(task, by=cast.reviewer, checklist={"made_up": True})
    assert review_world() == before


def test_requesting_changes_sets_message_and_deadline_and_the_resubmission_returns_to_the_same_reviewer(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer)
    deadline = clock.today() + timedelta(days=14)
    with committed():
        checks.request_changes(task, by=cast.reviewer, checklist={**ALL_YES, "budget": False}, message="Bitte den Finanzplan erläutern.", reply_by=deadline)  # fmt: skip
    application.refresh_from_db()
    task.refresh_from_db()
    assert application.status == "changes_requested"
    assert (application.change_request_message, application.reply_deadline) == ("Bitte den Finanzplan erläutern.", deadline)  # fmt: skip
    assert (task.status, task.outcome, task.checklist["budget"]) == ("done", "changes_requested", False)  # fmt: skip
    with committed():
        application_services.resubmit_application(application, by=cast.applicant)
    again = ReviewTask.objects.get(application=application, round=2)
    assert (again.status, again.assignee) == ("claimed", cast.reviewer)


@pytest.mark.parametrize(
    ("message", "reply_by", "field"),
    [
        ("", 14, "message"),
        ("Bitte\x00ergänzen", 14, "message"),
        ("Bitte ergänzen", 0, "reply_by"),
        ("Bitte ergänzen", 400, "reply_by"),
        ("Bitte ergänzen", None, "reply_by"),
    ],
)
def test_a_request_for_changes_needs_a_message_and_a_future_deadline(cast: Any, drive: Any, message: str, reply_by: int | None, field: str) -> None:  # fmt: skip
    _application, task = claimed_check(drive, cast.reviewer)
    before = review_world()
    deadline = clock.today() + timedelta(days=reply_by) if reply_by is not None else None
    with pytest.raises(ValidationError) as refused:
        checks.request_changes(task, by=cast.reviewer, checklist={}, message=message, reply_by=deadline)  # type: ignore[arg-type]  # fmt: skip
    assert list(refused.value.message_dict) == [field]
    assert review_world() == before


def test_rejecting_as_ineligible_records_the_reasons_and_closes_the_tasks(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer)
    with committed():
        checks.reject_as_ineligible(task, by=cast.reviewer, checklist={**ALL_YES, "applicant": False}, reasons=["applicant", "purpose"], text="Gewerbliche Reise, kein Austausch.")  # fmt: skip
    application.refresh_from_db()
    task.refresh_from_db()
    assert application.status == "rejected"
    note = application.decision_note
    with translation.override(application.language):  # the applicant reads it in their language
        assert f"- {str(IneligibilityReason.APPLICANT.label)[:1].upper()}" in note
        assert str(IneligibilityReason.PURPOSE.label)[1:] in note
        assert str(IneligibilityReason.APPLICANT.label)[1:] in note
    assert note.endswith("Gewerbliche Reise, kein Austausch.")
    assert (task.status, task.outcome, task.checklist["reasons"]) == ("done", "ineligible", ["applicant", "purpose"])  # fmt: skip
    assert not ReviewTask.objects.filter(application=application, status__in=["open", "claimed"]).exists()  # fmt: skip
    log = TransitionLog.objects.for_object(application).get(transition="reject")
    assert log.actor == cast.reviewer and log.payload["reasons"] == note


@pytest.mark.parametrize(
    ("reasons", "text", "field"),
    [
        ([], "Zu spät.", "reasons"),
        (["late", "made_up"], "Zu spät.", "reasons"),
        (["late"], "  ", "text"),
    ],
)
def test_an_ineligibility_needs_known_reasons_and_an_explanation(cast: Any, drive: Any, reasons: list[str], text: str, field: str) -> None:  # fmt: skip
    _application, task = claimed_check(drive, cast.reviewer)
    before = review_world()
    with pytest.raises(ValidationError) as refused:
        checks.reject_as_ineligible(task, by=cast.reviewer, checklist={}, reasons=reasons, text=text)  # fmt: skip
    assert list(refused.value.message_dict) == [field]
    assert review_world() == before


def test_a_task_held_by_someone_else_or_already_finished_is_refused(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    _application, task = claimed_check(drive, cast.reviewer)
    for person in (cast.reviewer2, cast.manager, cast.applicant, cast.finance):
        with pytest.raises(TransitionForbidden):
            checks.pass_formal_check(task, by=person, checklist=ALL_YES)
    with committed():
        checks.pass_formal_check(task, by=cast.reviewer, checklist=ALL_YES)
    with pytest.raises(WorkflowError, match="This application has moved on"):
        checks.pass_formal_check(task, by=cast.reviewer, checklist=ALL_YES)


def test_a_check_on_an_application_that_moved_on_says_so(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer)
    # Changed behind the task's back (an admin action); the task itself is still claimed.
    Application.objects.filter(pk=application.pk).update(status="withdrawn")
    with translation.override("en"), pytest.raises(checks.MovedOn) as refused:
        checks.request_changes(task, by=cast.reviewer, checklist={}, message="?", reply_by=clock.today() + timedelta(days=3))  # fmt: skip
    assert "moved on" in str(refused.value.message) and "withdrawn" in str(refused.value.message)


# --- the assessment ---------------------------------------------------------------------------


def test_two_reviews_of_a_category_3_application_complete_the_review_with_the_average_weighted_score(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = in_review(drive)
    first_task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    second_task = services.claim_next(cast.reviewer2, TaskKind.ASSESSMENT)
    # Weights 1,1,2,2,1,2,1,1,1,1,1 (sum 14). First: 7 everywhere, 10 for Franco-German relevance
    # (weight 2): (7 x 14 + 3 x 2) / 14 x 10 = 104 / 14 x 10 = 74.2857... -> 74.29.
    with committed():
        first = checks.submit_review(first_task, by=cast.reviewer, scores=scores(7, franco_german_relevance=10), recommendation="approve")  # fmt: skip
    assert first.weighted_score == Decimal("74.29")
    application.refresh_from_db()
    assert application.status == "in_review"
    # Second: 5 everywhere -> 50.00. Average (74.29 + 50.00) / 2 = 62.145 -> 62.15 (half up).
    with committed():
        second = checks.submit_review(second_task, by=cast.reviewer2, scores=scores(5), recommendation="approve_lower", proposed_amount="15000", comment_internal="Reichweite gering.", comment_for_applicant="Bitte Reichweite erhöhen.")  # fmt: skip
    assert second.weighted_score == Decimal("50.00")
    assert second.proposed_amount == Decimal("15000.00")
    application.refresh_from_db()
    assert (application.status, application.score) == ("reviewed", Decimal("62.15"))
    log = TransitionLog.objects.for_object(application).get(transition="complete_review")
    assert log.actor is None
    assert set(ReviewTask.objects.filter(application=application, kind="assessment").values_list("status", "outcome")) == {("done", "reviewed")}  # fmt: skip


def test_a_single_review_completes_a_category_1_application(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = drive("in_review")
    task = ReviewTask.objects.get(application=application, kind="assessment")  # open
    with committed():
        checks.submit_review(task, by=cast.reviewer2, scores=scores(10), recommendation="approve")
    application.refresh_from_db()
    assert (application.status, application.score) == ("reviewed", Decimal("100.00"))


def test_a_second_review_by_the_same_reviewer_is_refused(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = in_review(drive)
    first = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    with committed():
        checks.submit_review(first, by=cast.reviewer, scores=scores(6), recommendation="approve")
    other_slot = ReviewTask.objects.get(application=application, kind="assessment", status="open")
    before = review_world()
    with pytest.raises(WorkflowError) as refused:
        checks.submit_review(other_slot, by=cast.reviewer, scores=scores(9), recommendation="approve")  # fmt: skip
    assert refused.value.code == "already_reviewed"
    assert review_world() == before
    with pytest.raises(WorkflowError, match="moved on"):
        checks.submit_review(first, by=cast.reviewer, scores=scores(9), recommendation="approve")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        (scores(5, reach=11), "score_reach"),
        (scores(5, diversity=-1), "score_diversity"),
        (scores(5, innovation="abc"), "score_innovation"),  # type: ignore[arg-type]
        (scores(5, visibility=True), "score_visibility"),
        ({k: v for k, v in scores(5).items() if k != "environment"}, "score_environment"),
        ({**scores(5), "beauty": 10}, "scores"),
    ],
)
def test_bad_scores_are_refused_by_criterion_and_nothing_is_written(cast: Any, drive: Any, values: dict[str, Any], field: str) -> None:  # fmt: skip
    in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    before = review_world()
    with pytest.raises(ValidationError) as refused:
        checks.submit_review(task, by=cast.reviewer, scores=values, recommendation="approve")
    assert list(refused.value.message_dict) == [field]
    assert_readable(refused.value.message_dict[field][0])
    assert review_world() == before


@pytest.mark.parametrize(
    ("recommendation", "amount", "field"),
    [
        ("approve_lower", None, "proposed_amount"),
        ("approve_lower", "20000", "proposed_amount"),  # not lower than requested
        ("approve", "20000.01", "proposed_amount"),
        ("approve", "0", "proposed_amount"),
        ("approve", "12.345", "proposed_amount"),
        ("approve", "1e30", "proposed_amount"),
        ("approve", "12\x00", "proposed_amount"),
        ("maybe", None, "recommendation"),
    ],
)
def test_the_recommendation_and_the_proposed_amount_are_checked(cast: Any, drive: Any, recommendation: str, amount: str | None, field: str) -> None:  # fmt: skip
    in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    before = review_world()
    with pytest.raises(ValidationError) as refused:
        checks.submit_review(task, by=cast.reviewer, scores=scores(5), recommendation=recommendation, proposed_amount=amount)  # fmt: skip
    assert list(refused.value.message_dict) == [field]
    assert review_world() == before


def test_comments_with_nul_bytes_are_refused(cast: Any, drive: Any) -> None:
    in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    with pytest.raises(ValidationError) as refused:
        checks.submit_review(task, by=cast.reviewer, scores=scores(5), recommendation="approve", comment_for_applicant="a\x00b")  # fmt: skip
    assert list(refused.value.message_dict) == ["comment_for_applicant"]
    assert not Review.objects.exists()


def test_a_reviewer_in_conflict_is_kept_out_of_the_services_and_the_pages(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    formal = ReviewTask.objects.get(application=application, kind="formal_check")
    services.declare_conflict(application, by=cast.reviewer, note="Mein Verein")
    assert Conflict.objects.filter(reviewer=cast.reviewer, application=application).exists()
    with pytest.raises(TransitionForbidden):
        checks.submit_review(task, by=cast.reviewer, scores=scores(5), recommendation="approve")
    client.force_login(cast.reviewer)
    for url in (reverse("reviews:assessment", args=[task.pk]), reverse("reviews:formal_check", args=[formal.pk])):  # fmt: skip
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, {**post_scores(scores(5)), "recommendation": "approve"}).status_code in (403, 404)  # fmt: skip
    assert not Review.objects.exists()


# --- the pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["formal_check", "assessment"])
def test_the_pages_send_anonymous_visitors_to_sign_in_and_refuse_applicants_finance_and_funders(client: Any, cast: Any, drive: Any, page: str) -> None:  # fmt: skip
    application = in_review(drive)
    task = ReviewTask.objects.filter(application=application, kind=page).first()
    url = reverse(f"reviews:{page}", args=[task.pk])
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302 and "/login" in response["Location"]
    for person in (cast.applicant, cast.finance, cast.funder):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"action": "pass", "checklist": list(ALL_YES)}).status_code == 403
    assert Review.objects.count() == 0


def test_a_manager_may_read_the_pages_but_not_act(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    client.force_login(cast.manager)
    page = client.get(reverse("reviews:formal_check", args=[task.pk]))
    assert page.status_code == 200
    assert 'id="formal-check-form"' not in page.content.decode()
    posted = client.post(reverse("reviews:formal_check", args=[task.pk]), {"action": "pass", "checklist": list(ALL_YES)})  # fmt: skip
    assert posted.status_code == 403
    application.refresh_from_db()
    assert application.status == "submitted"


def test_the_formal_check_page_shows_the_application_and_passes_it(client: Any, cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer, requested=CATEGORY_3)
    url = reverse("reviews:formal_check", args=[task.pk])
    client.force_login(cast.reviewer)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and page.context["staff_section"] == "formal_check"
    assert 'id="formal-check-form"' in html and application.title in html
    assert "Comité de jumelage Lyon" in html and "Bus Köln–Lyon, 30 Personen" in html
    assert html.index('id="conflict-form"') < html.index('id="formal-check-form"')
    assert reverse("reviews:release", args=[task.pk]) in html
    assert page.context["form"].initial["reply_by"] == clock.today() + timedelta(days=14)
    with committed():
        done = client.post(url, {"action": "pass", "checklist": list(ALL_YES)})
    assert done.status_code == 302 and done["Location"] == reverse("reviews:overview")
    application.refresh_from_db()
    assert application.status == "in_review"
    assert ReviewTask.objects.filter(application=application, kind="assessment").count() == 2
    after = client.get(url).content.decode()  # read-only now: the result, no form
    assert 'id="formal-check-form"' not in after and "Passed." in after


def test_the_formal_check_page_keeps_what_was_typed_and_shows_the_errors(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    application, task = claimed_check(drive, cast.reviewer)
    url = reverse("reviews:formal_check", args=[task.pk])
    client.force_login(cast.reviewer)
    before = review_world()
    page = client.post(url, {"action": "changes", "checklist": ["complete", "dates"], "message": "", "reply_by": "2001-01-01"})  # fmt: skip
    assert page.status_code == 200
    form = page.context["form"]
    assert set(form.errors) == {"message", "reply_by"}
    html = page.content.decode()
    assert 'id="error-summary"' in html
    assert 'value="complete"' in html and "checked" in html and 'value="2001-01-01"' in html
    page = client.post(url, {"action": "pass", "checklist": ["complete"]})
    assert "Not ticked" in " ".join(page.context["form"].errors["checklist"])
    page = client.post(url, {"action": "reject", "checklist": [], "reasons": ["late"], "text": "Zu spät eingereicht."})  # fmt: skip
    assert page.status_code == 302
    application.refresh_from_db()
    assert application.status == "rejected"
    assert before["reviews"] == []


def test_the_assessment_page_never_shows_other_reviewers_scores(client: Any, cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    in_review(drive)
    first = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    second = services.claim_next(cast.reviewer2, TaskKind.ASSESSMENT)
    with committed():
        checks.submit_review(first, by=cast.reviewer, scores=scores(3), recommendation="reject", comment_internal="GEHEIM-INTERN")  # fmt: skip
    client.force_login(cast.reviewer2)
    page = client.get(reverse("reviews:assessment", args=[second.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["staff_section"] == "assessment"
    assert 'id="assessment-form"' in html and "Reviews submitted: 1 of 2" in html
    assert "GEHEIM-INTERN" not in html and "30.00" not in html and page.context["own_review"] is None  # fmt: skip
    assert html.index('id="conflict-form"') < html.index('id="assessment-form"')
    assert "Franco-German relevance" in html


def test_the_assessment_page_keeps_the_values_and_shows_field_errors(client: Any, cast: Any, drive: Any) -> None:  # fmt: skip
    in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    url = reverse("reviews:assessment", args=[task.pk])
    client.force_login(cast.reviewer)
    values = post_scores(scores(6, reach=11, diversity=-1, innovation="abc"))  # type: ignore[arg-type]
    del values["score_environment"]
    page = client.post(url, {**values, "recommendation": "approve_lower", "proposed_amount": "", "comment_internal": "Notiz bleibt"})  # fmt: skip
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert {"score_reach", "score_diversity", "score_innovation", "score_environment"} <= set(errors)  # fmt: skip
    html = page.content.decode()
    assert 'id="error-summary"' in html and "Notiz bleibt" in html
    assert 'href="#id_score_reach_0"' in html  # the summary leads to the criterion
    assert re.search(r'<input type="radio" name="score_accessibility" value="6"[^>]*checked', html)
    assert not Review.objects.exists()
    # Scores fine now, but a lower amount without the amount: the service's error, by the field.
    page = client.post(url, {**post_scores(scores(6)), "recommendation": "approve_lower", "proposed_amount": ""})  # fmt: skip
    assert list(page.context["form"].errors) == ["proposed_amount"]
    assert not Review.objects.exists()


def test_the_assessment_page_submits_the_review(client: Any, cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    client.force_login(cast.reviewer)
    with committed():
        done = client.post(reverse("reviews:assessment", args=[task.pk]), {**post_scores(scores(8)), "recommendation": "approve_lower", "proposed_amount": "12.000,50", "comment_for_applicant": "Gut."}, HTTP_ACCEPT_LANGUAGE="de")  # fmt: skip
    assert done.status_code == 302 and done["Location"] == reverse("reviews:overview")
    review = Review.objects.get(application=application)
    assert (review.weighted_score, review.proposed_amount, review.reviewer) == (Decimal("80.00"), Decimal("12000.50"), cast.reviewer)  # fmt: skip
    [saved] = [str(m) for m in done.wsgi_request._messages]
    assert "80,00 von 100" in saved  # the score as a German reader writes it
    page = client.get(reverse("reviews:assessment", args=[task.pk]))
    assert page.context["own_review"] == review and 'id="assessment-form"' not in page.content.decode()  # fmt: skip


@pytest.mark.parametrize("size", [1, 40])
def test_the_assessment_page_runs_a_bounded_number_of_queries(client: Any, cast: Any, drive: Any, size: int, django_assert_max_num_queries: Any) -> None:  # fmt: skip
    application = in_review(drive)
    task = services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    line = {"side": "expense", "category": "stay", "unit_cost": Decimal("0.01"), "eligible": False}
    BudgetLine.objects.bulk_create(BudgetLine(application=application, purpose=f"Nacht {i}", position=10 + i, **line) for i in range(size))  # fmt: skip
    Partner.objects.bulk_create(Partner(application=application, name=f"Verein {i}", country="FR") for i in range(size))  # fmt: skip
    Application.objects.filter(pk=application.pk).update(submitted_content=application_services.snapshot_of(application))  # fmt: skip
    client.force_login(cast.reviewer)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("reviews:assessment", args=[task.pk]))
    assert page.status_code == 200
    assert f"Verein {size - 1}" in page.content.decode()


# --- the step's limits on the page, in the step's words -----------------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)


def refusal(rule: Any, *args: Any, **kwargs: Any) -> str:
    """What the step's own rule says to this input (the transition method calls the same)."""
    with pytest.raises(InvalidInput) as refused:
        rule(*args, **kwargs)
    return str(refused.value.message)


PAGE_REFUSALS = [
    pytest.param({"action": "changes", "message": TOO_LONG}, "message", lambda: refusal(clean_text, TOO_LONG), id="message-too-long"),
    pytest.param({"action": "changes", "message": "  "}, "message", lambda: str(formal_check.CHANGES_MESSAGE_MISSING), id="message-missing"),
    pytest.param({"action": "changes", "reply_by": LONGEST_REPLY_DAYS + 1}, "reply_by", lambda: refusal(clean_reply_date, clock.today() + timedelta(days=LONGEST_REPLY_DAYS + 1)), id="reply-after-a-year"),
    pytest.param({"action": "pass", "checklist": ["complete", "dates"]}, "checklist", lambda: refusal(formal_check.require_every_item, ["complete", "dates"]), id="checklist-partial"),
    pytest.param({"action": "pass", "checklist": []}, "checklist", lambda: str(formal_check.NOTHING_TICKED), id="checklist-empty"),
]  # fmt: skip


@pytest.mark.parametrize(("posted", "field", "words"), PAGE_REFUSALS)
def test_the_formal_check_page_refuses_what_the_step_refuses_beside_the_field_in_its_words(client: Any, cast: Any, drive: Any, posted: dict[str, Any], field: str, words: Any) -> None:  # fmt: skip
    _application, task = claimed_check(drive, cast.reviewer)
    client.force_login(cast.reviewer)
    data = {"checklist": list(formal_check.CHECKLIST_CODES), "message": "Bitte ergänzen.", "reply_by": 14, **posted}  # fmt: skip
    data["reply_by"] = (clock.today() + timedelta(days=data["reply_by"])).isoformat()
    before = review_world()
    page = client.post(reverse("reviews:formal_check", args=[task.pk]), data)
    assert page.status_code == 200
    assert page.context["form"].errors[field] == [words()]
    assert review_world() == before


def test_an_ineligibility_explanation_leaves_room_for_the_reasons_in_the_letter(cast: Any, drive: Any) -> None:  # fmt: skip
    """The letter's reasons are the labels of the codes, then the explanation; together they
    keep to the step's limit, so the explanation is refused beside its field, not later."""
    application, task = claimed_check(drive, cast.reviewer)
    labels = checks.ineligibility_text(["late"], "", language=application.language)
    room = LONG_TEXT - len(labels)
    before = review_world()
    with pytest.raises(ValidationError) as refused:
        checks.reject_as_ineligible(task, by=cast.reviewer, checklist={}, reasons=["late"], text="x" * (room + 1))  # fmt: skip
    assert refused.value.message_dict == {"text": [refusal(clean_text, "x" * (room + 1), max_length=room)]}  # fmt: skip
    assert review_world() == before
    checks.reject_as_ineligible(task, by=cast.reviewer, checklist={}, reasons=["late"], text="x" * room)  # fmt: skip
    application.refresh_from_db()
    assert application.status == "rejected" and len(application.decision_note) <= LONG_TEXT

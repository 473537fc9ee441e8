"""Demo histories with the review work done through the workspace's own services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from demo import builders as demo
from demo.reviews import ReviewSteps, ensure_reviewer_profiles, weighted_demo_score
from reviews.models import Review, ReviewTask
from workflows.audit import verify_chain


@pytest.mark.parametrize(
    ("application_state", "grant_state", "tasks"),
    [
        ("submitted", None, {("formal_check", "open")}),
        ("changes_requested", None, {("formal_check", "done")}),
        ("in_review", None, {("formal_check", "done"), ("assessment", "open")}),
        ("reviewed", None, {("formal_check", "done"), ("assessment", "done")}),
        (
            "approved",
            "report_submitted",
            {("formal_check", "done"), ("assessment", "done"), ("report_check", "open")},
        ),
        (
            "approved",
            "closed",
            {("formal_check", "done"), ("assessment", "done"), ("report_check", "done")},
        ),
    ],
)
def test_demo_histories_leave_the_review_work_the_staff_would_leave(cast: demo.Cast, application_state: str, grant_state: str | None, tasks: set[tuple[str, str]]) -> None:  # fmt: skip
    ensure_reviewer_profiles(cast)
    application = demo.drive(cast, application_state, grant_state, steps=ReviewSteps(cast))
    assert set(ReviewTask.objects.filter(application=application).values_list("kind", "status")) == tasks  # fmt: skip
    if ("assessment", "done") in tasks:
        application.refresh_from_db()
        assert application.score == weighted_demo_score()
        assert Review.objects.filter(application=application).count() == application.programme.reviews_required  # fmt: skip
    assert verify_chain().ok


@pytest.mark.parametrize("state", ["rejected", "withdrawn", "expired", "waitlisted", "approved"])
def test_a_decided_or_ended_application_leaves_no_review_task_open(cast: demo.Cast, state: str) -> None:  # fmt: skip
    ensure_reviewer_profiles(cast)
    application = demo.drive(cast, state, steps=ReviewSteps(cast))
    waiting = ReviewTask.objects.filter(application=application, status__in=("open", "claimed"))
    assert not waiting.exists(), list(waiting.values_list("kind", "status"))


def test_a_category_three_application_gets_two_reviews_by_two_reviewers(cast: demo.Cast) -> None:
    ensure_reviewer_profiles(cast)
    application = demo.drive(cast, "reviewed", requested=Decimal("20000.00"), steps=ReviewSteps(cast))  # fmt: skip
    reviewers = set(Review.objects.filter(application=application).values_list("reviewer__username", flat=True))  # fmt: skip
    assert reviewers == {"reviewer", "reviewer2"}


def test_the_manager_who_decides_reviewed_nothing(cast: demo.Cast) -> None:
    from applications.rules import has_reviewed

    ensure_reviewer_profiles(cast)
    application = demo.drive(cast, "approved", "offered", steps=ReviewSteps(cast))
    assert not has_reviewed(application, cast.manager)
    assert has_reviewed(application, cast.reviewer)

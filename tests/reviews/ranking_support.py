"""A call programme with assessed applications, for the ranking's tests (SQLite and PostgreSQL).

The demo's category 4 needs a call window, partners and a 70 % budget plan to be driven; the
ranking only needs a programme with a minimum score whose applications belong to a call, so
these helpers give the demo's category 1 that policy (two reviews, minimum 90) and a call, and
put the applications into it once assessed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from decimal import Decimal
from typing import Any

from applications.models import Application
from demo import builders as demo
from grants.models import BudgetAllocation, Call, Programme
from reviews import checks
from reviews.models import ReviewTask, TaskKind, TaskStatus
from workflows import clock

MINIMUM = Decimal("90")


def call_programme(cast: demo.Cast) -> tuple[Programme, Call]:
    programme = Programme.objects.get(fund=cast.fund, code="small-boost")
    Programme.objects.filter(pk=programme.pk).update(reviews_required=2, minimum_score=MINIMUM)
    programme.refresh_from_db()
    today = clock.today()
    call = Call.objects.create(
        programme=programme,
        title="Aufruf Herbst / Appel automne",
        opens_on=today - timedelta(days=120),
        closes_on=today - timedelta(days=30),
    )
    return programme, call


def review(application: Application, reviewer: Any, points: int, *, proposed: Decimal | None = None) -> None:  # fmt: skip
    """One assessment through the service: every criterion `points` (weighted score x 10)."""
    task = ReviewTask.objects.filter(
        application=application, kind=TaskKind.ASSESSMENT, status=TaskStatus.OPEN
    ).first()
    assert task is not None, "no open assessment"
    codes = [row["code"] for row in application.programme.rubric]
    checks.submit_review(
        task,
        by=reviewer,
        scores=dict.fromkeys(codes, points),
        recommendation="approve_lower" if proposed is not None else "approve",
        proposed_amount=proposed,
        comment_internal="intern",
        comment_for_applicant="",
    )


def assessed(
    cast: demo.Cast,
    call: Call,
    points: tuple[int, int],
    *,
    days_ago: int = 40,
    requested: Decimal = Decimal("4000.00"),
    proposed: Decimal | None = None,
    reviewers: tuple[Any, Any] | None = None,
    title: str | None = None,
    committed: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> Application:
    """A reviewed application of `call` with two reviews of `points` (submitted `days_ago` days
    ago: an earlier submission starts earlier). `committed` runs the side effects of each step
    (the test suite's fixture; nothing on PostgreSQL, where transactions really commit)."""
    with committed():
        application = demo.drive(
            cast,
            "in_review",
            submitted_on=clock.today() - timedelta(days=days_ago),
            requested=requested,
            **({"title": title} if title else {}),
        )
    first, second = reviewers or (cast.reviewer, cast.reviewer2)
    with committed():
        review(application, first, points[0], proposed=proposed)
    with committed():
        review(application, second, points[1], proposed=proposed)
    Application.objects.filter(pk=application.pk).update(call=call)
    application.refresh_from_db()
    assert application.status == "reviewed"
    return application


def leave_in_budget(programme: Programme, amount: Decimal) -> BudgetAllocation:
    """Size this year's budget of `programme` so that `amount` is left."""
    allocation = BudgetAllocation.objects.get(programme=programme, year=clock.today().year)
    committed = allocation.balances()["committed"]
    BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=committed + amount)
    allocation.refresh_from_db()
    return allocation

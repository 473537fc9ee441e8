"""Races on PostgreSQL with real threads: the row locks of the budget, the reference counter and
`perform()` must make concurrent requests behave as if they had come one after the other.

Every thread opens its own connection, waits at a barrier so that all start together, and closes
its connection at the end. Skipped on SQLite, which admits one writer at a time anyway.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from applications import services
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import (
    BudgetAllocation,
    Grant,
    GrantStatus,
    LedgerEntry,
    LedgerKind,
    ReferenceCounter,
)
from grants.services import BudgetRefusal, accept_offer, decline_offer, grant_commitment
from tests.conftest import on_postgresql
from workflows import clock
from workflows.audit import verify_chain
from workflows.errors import TransitionConflict, TransitionNotAllowed
from workflows.models import TransitionLog
from workflows.roles import Role

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

AMOUNT = Decimal("4000.00")
THREADS = 20


def race(jobs: list[Callable[[], Any]], *, timeout: float = 60) -> list[Any]:
    """Run each job in its own thread, all released at once; its result or its exception."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()  # connect before the start, not during the race
            barrier.wait(timeout=timeout)
            outcomes[index] = job()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, job), daemon=True) for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    return outcomes


def user(pk: int) -> Any:
    return get_user_model().objects.get(pk=pk)


def log_rows(obj: Any, transition: str | None = None) -> int:
    rows = TransitionLog.objects.for_object(obj)
    return (rows.filter(transition=transition) if transition else rows).count()


def assert_one_winner(outcomes: list[Any]) -> int:
    """Exactly one job succeeded, the other was refused with a clear conflict error; the winner."""
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(failures) == 1, f"expected one winner and one loser, got {outcomes!r}"
    loser = failures[0]
    assert isinstance(loser, TransitionNotAllowed | TransitionConflict), repr(loser)
    assert " " in str(loser).strip(), f"not a readable message: {loser!r}"
    return next(i for i, o in enumerate(outcomes) if not isinstance(o, BaseException))


# --- (a) the budget ----------------------------------------------------------------------------


def test_twenty_approvals_against_a_budget_for_ten_approve_exactly_ten(cast):
    applications = [demo.drive(cast, "reviewed", requested=AMOUNT) for _ in range(THREADS)]
    allocation = BudgetAllocation.objects.get(
        programme=applications[0].programme, year=clock.today().year
    )
    committed = allocation.balances()["committed"]
    BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=committed + 10 * AMOUNT)

    done = threading.Event()
    remaining_seen: list[Decimal] = []

    def watch_the_budget() -> None:
        try:
            while not done.is_set():
                balances = BudgetAllocation.objects.get(pk=allocation.pk).balances()
                remaining_seen.append(balances["remaining"])
        finally:
            connection.close()

    def approve(application_pk: int) -> Callable[[], Any]:
        def job() -> Any:
            application = Application.objects.get(pk=application_pk)
            return services.approve_application(
                application, by=user(cast.manager.pk), amount=AMOUNT
            )

        return job

    watcher = threading.Thread(target=watch_the_budget, daemon=True)
    watcher.start()
    try:
        outcomes = race([approve(a.pk) for a in applications])
    finally:
        done.set()
        watcher.join(10)

    kinds = Counter(type(o).__name__ for o in outcomes)
    assert kinds == {"Application": 10, "BudgetRefusal": 10}, outcomes
    for refusal in (o for o in outcomes if isinstance(o, BudgetRefusal)):
        assert "4.000,00 EUR" in str(refusal), refusal  # German: the default language
    statuses = Counter(
        Application.objects.filter(pk__in=[a.pk for a in applications]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {ApplicationStatus.APPROVED: 10, ApplicationStatus.REVIEWED: 10}
    balances = BudgetAllocation.objects.get(pk=allocation.pk).balances()
    assert balances["remaining"] == 0
    assert balances["committed"] == committed + 10 * AMOUNT
    assert remaining_seen and min(remaining_seen) >= 0
    grants = Grant.objects.filter(application__in=applications)
    assert grants.count() == 10
    assert all(grant_commitment(g) == AMOUNT for g in grants)
    commits = LedgerEntry.objects.filter(allocation=allocation, kind=LedgerKind.COMMIT)
    assert commits.filter(grant__in=grants).count() == 10
    assert TransitionLog.objects.filter(transition="approve").count() == 10
    assert verify_chain().ok


# --- (b) reference numbers ---------------------------------------------------------------------


def test_twenty_simultaneous_submissions_get_twenty_gapless_references(cast):
    assert not ReferenceCounter.objects.exists()  # a fresh counter, created during the race
    drafts = [
        demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
        for _ in range(THREADS)
    ]

    def submit(draft_pk: int) -> Callable[[], Any]:
        def job() -> Any:
            draft = Application.objects.get(pk=draft_pk)
            return services.submit_application(draft, by=user(cast.applicant.pk))

        return job

    outcomes = race([submit(d.pk) for d in drafts])

    assert all(isinstance(o, Application) for o in outcomes), outcomes
    year = clock.today().year
    references = sorted(
        Application.objects.filter(pk__in=[d.pk for d in drafts]).values_list(
            "reference", flat=True
        )
    )
    assert references == [f"BF-{year}-{n:05d}" for n in range(1, THREADS + 1)]
    counter = ReferenceCounter.objects.get(fund=cast.fund, year=year)
    assert counter.last_number == THREADS
    assert TransitionLog.objects.filter(transition="submit").count() == THREADS
    assert verify_chain().ok


# --- (c) two people, one row -------------------------------------------------------------------


def test_two_reviewers_passing_the_same_formal_check_one_wins(cast):
    application = demo.drive(cast, "submitted")

    def check(reviewer_pk: int) -> Callable[[], Any]:
        def job() -> Any:
            return services.pass_formal_check(
                Application.objects.get(pk=application.pk),
                by=user(reviewer_pk),
                checklist=CHECKLIST_CODES,
            )

        return job

    reviewers = [cast.reviewer, cast.reviewer2]
    outcomes = race([check(r.pk) for r in reviewers])

    winner = reviewers[assert_one_winner(outcomes)]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.IN_REVIEW
    rows = TransitionLog.objects.for_object(application).filter(transition="pass_formal_check")
    assert [row.actor_id for row in rows] == [winner.pk]
    assert verify_chain().ok


def test_approve_and_waitlist_at_the_same_time_one_decision_wins(cast):
    manager2 = demo.make_user("manager2", Role.MANAGER)
    application = demo.drive(cast, "reviewed", requested=AMOUNT)
    allocation = BudgetAllocation.objects.get(
        programme=application.programme, year=clock.today().year
    )
    committed = allocation.balances()["committed"]

    def approve() -> Any:
        return services.approve_application(
            Application.objects.get(pk=application.pk), by=user(cast.manager.pk), amount=AMOUNT
        )

    def waitlist() -> Any:
        return services.waitlist_application(
            Application.objects.get(pk=application.pk), by=user(manager2.pk), reason="Warteliste"
        )

    outcomes = race([approve, waitlist])

    assert_one_winner(outcomes)
    application.refresh_from_db()
    decisions = TransitionLog.objects.for_object(application).filter(
        transition__in=["approve", "waitlist"]
    )
    assert decisions.count() == 1
    assert decisions.get().target == application.status
    grants = Grant.objects.filter(application=application)
    after = BudgetAllocation.objects.get(pk=allocation.pk).balances()["committed"]
    if application.status == ApplicationStatus.APPROVED:
        assert grants.count() == 1
        assert after == committed + AMOUNT
    else:
        assert application.status == ApplicationStatus.WAITLISTED
        assert not grants.exists()
        assert after == committed
    assert verify_chain().ok


def test_a_double_click_on_submit_submits_once_and_uses_one_number(cast):
    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)

    def submit() -> Any:
        return services.submit_application(
            Application.objects.get(pk=draft.pk), by=user(cast.applicant.pk)
        )

    outcomes = race([submit, submit])

    assert_one_winner(outcomes)
    draft.refresh_from_db()
    year = clock.today().year
    assert draft.status == ApplicationStatus.SUBMITTED
    assert draft.reference == f"BF-{year}-00001"
    assert ReferenceCounter.objects.get(fund=cast.fund, year=year).last_number == 1
    assert log_rows(draft, "submit") == 1


def test_accepting_and_declining_one_offer_at_once_leaves_one_outcome(cast):
    grant = Grant.objects.get(application=demo.drive(cast, "approved", "offered"))

    def accept() -> Any:
        return accept_offer(
            Grant.objects.get(pk=grant.pk),
            by=user(cast.applicant.pk),
            full_name="Erika Mustermann",
            consent=True,
        )

    def decline() -> Any:
        return decline_offer(
            Grant.objects.get(pk=grant.pk), by=user(cast.applicant.pk), reason="verschoben"
        )

    outcomes = race([accept, decline])

    assert_one_winner(outcomes)
    grant.refresh_from_db()
    assert log_rows(grant) == 1
    if grant.status == GrantStatus.ACCEPTED:
        assert grant.payments.count() == 1
        assert grant_commitment(grant) == AMOUNT
    else:
        assert grant.status == GrantStatus.DECLINED
        assert not grant.payments.exists()
        assert grant_commitment(grant) == 0
    assert verify_chain().ok

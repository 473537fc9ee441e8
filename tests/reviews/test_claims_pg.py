"""Claims under load on PostgreSQL with real threads: every task once, none lost, no conflicts;
each claim through `perform()` with its one audit row in an unbroken chain."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from demo import builders as demo
from demo.copies import Applicant, copy_histories, load_templates
from organisations import services as organisation_services
from reviews import services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from tests.conftest import on_postgresql
from tests.test_concurrency_pg import race, user
from workflows.audit import verify_chain
from workflows.errors import WorkflowError
from workflows.models import TransitionLog
from workflows.roles import Role

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

REVIEWERS = 16
TASKS = 500
IN_CONFLICT = 100


def test_sixteen_reviewers_claim_five_hundred_tasks_each_exactly_once(cast: demo.Cast) -> None:
    template = demo.drive(cast, "submitted")  # the side effect opens its formal check
    assert ReviewTask.objects.filter(application=template, status="open").count() == 1
    reviewers = [demo.make_user(f"rev-{i:02d}", Role.REVIEWER) for i in range(REVIEWERS)]
    # Reviewer 0 belongs to a club that applied 100 times: never offered to them.
    club_user = demo.make_user("club-member")
    club = demo.make_organisation(club_user, name="Sportverein Kehl e.V.")
    organisation_services.add_member(club, reviewers[0])
    history = load_templates([template.pk])[template.pk]
    copy_histories([(history, Applicant(club, club_user, f"Turnier {i}")) for i in range(IN_CONFLICT)])  # fmt: skip
    copy_histories([(history, Applicant(cast.organisation, cast.applicant, f"Treffen {i}")) for i in range(TASKS - IN_CONFLICT - 1)])  # fmt: skip
    assert services.waiting_tasks(TaskKind.FORMAL_CHECK).filter(status="open").count() == TASKS

    claimed: list[list[int]] = [[] for _ in reviewers]
    errors: list[BaseException] = []
    barrier = threading.Barrier(REVIEWERS)

    def work(index: int) -> None:
        try:
            connection.ensure_connection()
            person = get_user_model().objects.get(pk=reviewers[index].pk)
            barrier.wait(timeout=60)
            while True:
                try:
                    claimed[index].append(services.claim_next(person, TaskKind.FORMAL_CHECK).pk)
                except services.NothingToClaim:
                    return
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads), "a claimer hangs"
    assert errors == []

    every = [pk for mine in claimed for pk in mine]
    assert len(every) == TASKS and len(set(every)) == TASKS  # each task once, none lost
    assert sum(1 for mine in claimed if mine) > 1  # the work really was shared
    rows = ReviewTask.objects.filter(kind=TaskKind.FORMAL_CHECK)
    assert rows.filter(status=TaskStatus.OPEN).count() == 0
    by_assignee = Counter(rows.values_list("assignee_id", flat=True))
    assert by_assignee == Counter({r.pk: len(claimed[i]) for i, r in enumerate(reviewers) if claimed[i]})  # fmt: skip
    assert not rows.filter(assignee=reviewers[0], application__organisation=club).exists()
    # One claim row per task, naming the reviewer who holds it; the chain unbroken.
    logged = TransitionLog.objects.filter(content_type__model="reviewtask", transition="claim")
    claims = Counter((int(row.object_id), row.actor_id) for row in logged)
    assert claims == Counter({(pk, r.pk): 1 for i, r in enumerate(reviewers) for pk in claimed[i]})
    assert verify_chain().ok


def test_two_reviewers_taking_the_same_task_at_once_one_wins(cast: demo.Cast) -> None:
    application = demo.drive(cast, "submitted")
    task = ReviewTask.objects.get(application=application)

    def take(reviewer_pk: int) -> object:
        return lambda: services.claim(ReviewTask.objects.get(pk=task.pk), by=user(reviewer_pk))

    reviewers = [cast.reviewer, cast.reviewer2]
    outcomes = race([take(r.pk) for r in reviewers])

    [loser] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(loser, WorkflowError) and loser.code == "task_taken", repr(loser)
    winner = next(r for r, o in zip(reviewers, outcomes, strict=True) if o is not loser)
    task.refresh_from_db()
    assert (task.status, task.assignee) == (TaskStatus.CLAIMED, winner)
    rows = TransitionLog.objects.for_object(task)
    assert [(row.transition, row.actor_id) for row in rows] == [("claim", winner.pk)]
    assert verify_chain().ok

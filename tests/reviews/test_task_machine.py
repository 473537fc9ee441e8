"""A review task's status is a state machine behind the one door: every claim, release,
reassignment, expiry, completion and cancellation has its audit row, and the audit shows who."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps

from applications import services as application_services
from organisations import services as organisation_services
from reviews import services
from reviews.models import ReviewerProfile, ReviewTask, TaskKind, TaskStatus
from workflows import clock, deadlines, perform
from workflows.audit import BEFORE_THE_LOG, verify_chain
from workflows.errors import TransitionForbidden, TransitionNotAllowed, WorkflowError
from workflows.models import TransitionLog


def history(task: ReviewTask) -> list[tuple[str, str, str, Any]]:
    rows = TransitionLog.objects.for_object(task).order_by("pk")
    return [(row.transition, row.source, row.target, row.actor) for row in rows]


def test_a_reviewer_claims_a_task_and_the_audit_shows_who(cast: Any, drive: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)

    assert history(task) == [("claim", "open", "claimed", cast.reviewer)]
    assert verify_chain().ok


def test_of_two_reviewers_taking_the_same_task_the_second_is_told_it_is_gone(cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    services.claim(task, by=cast.reviewer)
    with pytest.raises(WorkflowError) as refusal:
        services.claim(task, by=cast.reviewer2)  # their page still showed it open
    assert refusal.value.code == "task_taken"
    assert history(task) == [("claim", "open", "claimed", cast.reviewer)]


def test_a_manager_reassigns_a_task_and_the_audit_names_both(cast: Any, drive: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    task = services.reassign(task, to=cast.reviewer2, by=cast.manager)

    assert task.assignee == cast.reviewer2
    assert history(task)[-1] == ("reassign", "claimed", "claimed", cast.manager)
    assert TransitionLog.objects.for_object(task).last().payload == {"to": cast.reviewer2.pk}  # type: ignore[union-attr]  # fmt: skip
    # The reviewer cannot do it themselves, through the service or the door.
    with pytest.raises(TransitionForbidden):
        perform(task, "reassign", by=cast.reviewer2, to=cast.reviewer2.pk)


def test_the_holder_releases_and_a_conflict_gives_the_task_back_in_their_name(cast: Any, drive: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with pytest.raises(TransitionForbidden):
        services.release(task, by=cast.reviewer2)
    services.release(task, by=cast.reviewer)
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    services.declare_conflict(application, by=cast.reviewer, note="Mein Verein")

    assert history(task) == [
        ("claim", "open", "claimed", cast.reviewer),
        ("release", "claimed", "open", cast.reviewer),
        ("claim", "open", "claimed", cast.reviewer),
        ("release", "claimed", "open", cast.reviewer),
    ]


def test_the_scheduler_expires_a_claim_with_a_system_row(cast: Any, drive: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    # Not before its time, and never by a person.
    with pytest.raises(TransitionNotAllowed) as early:
        perform(task, "expire", by=None)
    assert early.value.code == "claim_not_expired"
    with clock.travel_to(clock.today() + timedelta(days=4)):
        with pytest.raises(TransitionForbidden):
            perform(task, "expire", by=cast.manager)
        result = deadlines.run_all(names=["expire_claims"])
    assert result["expire_claims"] == 1

    task.refresh_from_db()
    assert (task.status, task.assignee, task.claim_expires_at) == ("open", None, None)
    row = TransitionLog.objects.for_object(task).last()
    assert row is not None
    assert (row.transition, row.source, row.target, row.actor, row.actor_label) == ("expire", "claimed", "open", None, "system")  # fmt: skip
    assert verify_chain().ok


def test_a_reviewer_in_conflict_is_refused_at_the_door(cast: Any, drive: Any) -> None:
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    organisation_services.add_member(application.organisation, cast.reviewer)  # now in conflict

    with pytest.raises(TransitionForbidden):
        perform(task, "claim", by=cast.reviewer)
    with pytest.raises(TransitionForbidden):
        services.claim(task, by=cast.reviewer)
    for outsider in (cast.applicant, cast.manager, cast.finance, None):
        with pytest.raises(TransitionForbidden):
            perform(task, "claim", by=outsider)
    assert history(task) == []


def test_the_claim_limit_is_kept_at_the_door_and_explained_by_the_service(cast: Any, drive: Any) -> None:  # fmt: skip
    first, second = drive("submitted"), drive("submitted")
    ReviewerProfile.objects.create(user=cast.reviewer, max_open_tasks=1)
    services.claim(ReviewTask.objects.get(application=first), by=cast.reviewer)
    other = ReviewTask.objects.get(application=second)

    with pytest.raises(TransitionForbidden):
        perform(other, "claim", by=cast.reviewer)
    with pytest.raises(WorkflowError) as refusal:
        services.claim(other, by=cast.reviewer)
    assert refusal.value.code == "too_many_tasks"
    assert history(other) == []


def test_the_work_completes_the_task_in_the_holders_name(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with committed():  # through the service (as the admin and the API do): the side effect
        application_services.request_changes(application, by=cast.reviewer, message="Budget?", reply_by=clock.today() + timedelta(days=10))  # fmt: skip

    assert history(task)[-1] == ("complete", "claimed", "done", cast.reviewer)
    assert TransitionLog.objects.for_object(task).last().payload == {"outcome": "changes_requested"}  # type: ignore[union-attr]  # fmt: skip


def test_a_withdrawal_cancels_the_open_tasks_as_the_system(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = ReviewTask.objects.get(application=application)
    with committed():
        application_services.withdraw_application(application, by=cast.applicant)

    assert history(task) == [("cancel", "open", "cancelled", None)]
    still_open = ReviewTask.objects.get(application=drive("submitted"))
    with pytest.raises(TransitionForbidden):  # a reviewer does not close tasks
        perform(still_open, "cancel", by=cast.reviewer)


def test_automatic_assignment_is_the_systems_row(cast: Any, drive: Any) -> None:
    cast.fund.programmes.update(auto_assign=True)
    task = ReviewTask.objects.get(application=drive("submitted"))
    assert task.status == TaskStatus.CLAIMED
    [row] = TransitionLog.objects.for_object(task)
    assert (row.transition, row.actor, row.payload) == ("assign", None, {"to": task.assignee_id})


def test_a_task_status_cannot_be_set_by_hand(cast: Any, drive: Any) -> None:
    task = ReviewTask.objects.get(application=drive("submitted"))
    with pytest.raises(AttributeError):
        task.status = TaskStatus.DONE  # type: ignore[misc]


def test_tasks_closed_before_the_machine_get_one_system_row_each(cast: Any, drive: Any) -> None:
    """reviews.0005: tasks that left `open` before their changes were logged would break the
    verifier (a record without rows must be in its first state); each gets one row."""
    from importlib import import_module

    migration = import_module("reviews.migrations.0005_record_task_statuses")
    first, second = drive("submitted"), drive("submitted")
    # As the old code left them: statuses written without audit rows.
    ReviewTask.objects.filter(application=first).update(status=TaskStatus.CANCELLED)
    assert not verify_chain().ok

    migration.record_statuses(django_apps, None)

    [row] = TransitionLog.objects.for_object(ReviewTask.objects.get(application=first))
    assert (row.transition, row.source, row.target, row.actor_label) == (BEFORE_THE_LOG, "open", "cancelled", "system")  # fmt: skip
    assert not TransitionLog.objects.for_object(ReviewTask.objects.get(application=second)).exists()  # fmt: skip
    assert verify_chain().ok


def test_completing_an_open_task_takes_it_first_and_a_done_one_is_refused(cast: Any, drive: Any) -> None:  # fmt: skip
    task = ReviewTask.objects.get(application=drive("submitted"))
    done = services.complete_task(task, by=cast.reviewer, outcome="passed")

    assert (done.status, done.assignee) == (TaskStatus.DONE, cast.reviewer)
    assert [row[0] for row in history(task)] == ["claim", "complete"]
    with pytest.raises(WorkflowError) as refusal:
        services.complete_task(task, by=cast.reviewer, outcome="passed")
    assert refusal.value.code == "task_done"

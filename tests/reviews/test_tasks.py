"""Review tasks: opened by the transitions, claimed most urgent first, never by the wrong person."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from applications import services as application_services
from demo import builders as demo
from organisations import services as organisation_services
from reviews import services
from reviews.models import Conflict, ReviewerProfile, ReviewTask, TaskKind, TaskStatus
from workflows import clock
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.roles import Role


def reviewer(name: str, *, email: str = "", languages: list[str] | None = None) -> Any:
    user = demo.make_user(name, Role.REVIEWER)
    if email:
        user.email = email
        user.save(update_fields=["email"])
    if languages is not None:
        ReviewerProfile.objects.create(user=user, languages=languages)
    return user


def test_a_submission_opens_a_formal_check_with_what_the_queue_sorts_by(drive: Any) -> None:
    application = drive("submitted")
    [task] = ReviewTask.objects.filter(application=application)
    assert (task.kind, task.status, task.round, task.assignee) == (TaskKind.FORMAL_CHECK, TaskStatus.OPEN, 1, None)  # fmt: skip
    assert task.project_start == application.start_date
    assert task.programme == application.programme
    assert task.applicant_country == "DE"


def test_passing_the_formal_check_opens_one_assessment_per_required_review(cast: Any, drive: Any) -> None:  # fmt: skip
    from decimal import Decimal

    application = drive("in_review", requested=Decimal("20000.00"))  # category 3: two reviews
    tasks = ReviewTask.objects.filter(application=application)
    assert sorted((t.kind, t.slot, t.status) for t in tasks) == [
        ("assessment", 1, "open"), ("assessment", 2, "open"), ("formal_check", 1, "cancelled"),
    ]  # fmt: skip


def test_claim_next_gives_the_earliest_project_start_and_never_the_same_task_twice(cast: Any, drive: Any) -> None:  # fmt: skip
    later = drive("submitted", submitted_on=clock.today() - timedelta(days=1))
    sooner = drive("submitted", submitted_on=clock.today() - timedelta(days=5))
    first = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    second = services.claim_next(cast.reviewer2, TaskKind.FORMAL_CHECK)
    assert (first.application_id, second.application_id) == (sooner.pk, later.pk)
    assert first.assignee == cast.reviewer and first.claim_expires_at > clock.now()
    with pytest.raises(services.NothingToClaim):
        services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)


@pytest.mark.parametrize("conflict", ["declared", "member", "email_domain", "partner"])
def test_a_task_in_conflict_is_never_offered(cast: Any, drive: Any, conflict: str) -> None:
    application = drive("submitted")
    person = reviewer("rev-conflict", email="anna@partnerstadt-lyon.fr")
    if conflict == "declared":
        services.declare_conflict(application, by=person, note="Mein Verein")
    elif conflict == "member":
        organisation_services.add_member(application.organisation, person)
    elif conflict == "email_domain":
        type(application.organisation).objects.filter(pk=application.organisation_id).update(email="info@partnerstadt-lyon.fr")  # fmt: skip
    else:
        application.partners.update(contact_email="bureau@partnerstadt-lyon.fr")
    with pytest.raises(services.NothingToClaim):
        services.claim_next(person, TaskKind.FORMAL_CHECK)
    task = ReviewTask.objects.get(application=application)
    with pytest.raises(TransitionForbidden):
        services.claim(task, by=person)
    assert services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK).pk == task.pk


def test_sharing_a_public_mail_provider_is_no_conflict(cast: Any, drive: Any) -> None:
    application = drive("submitted")
    type(application.organisation).objects.filter(pk=application.organisation_id).update(email="verein@gmx.de")  # fmt: skip
    person = reviewer("rev-gmx", email="someone@gmx.de")
    assert services.claim_next(person, TaskKind.FORMAL_CHECK).application_id == application.pk


def test_declaring_a_conflict_gives_the_task_back(cast: Any, drive: Any) -> None:
    application = drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    services.declare_conflict(application, by=cast.reviewer, note="Cousine im Vorstand")
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", None)
    assert Conflict.objects.get(reviewer=cast.reviewer).reason == "declared"


def test_claims_are_released_reassigned_and_expire(cast: Any, drive: Any, settings: Any) -> None:
    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with pytest.raises(TransitionForbidden):
        services.release(task, by=cast.reviewer2)
    services.release(task, by=cast.reviewer)
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with pytest.raises(TransitionForbidden):
        services.reassign(task, to=cast.reviewer2, by=cast.reviewer)
    task = services.reassign(task, to=cast.reviewer2, by=cast.manager)
    assert task.assignee == cast.reviewer2
    with pytest.raises(WorkflowError):
        services.reassign(task, to=cast.applicant, by=cast.manager)  # not a reviewer
    assert services.expire_claims() == 0
    with clock.travel_to(clock.today() + timedelta(days=4)):
        assert services.expire_claims() == 1
    task.refresh_from_db()
    assert (task.status, task.assignee) == ("open", None)


def test_a_reviewer_never_takes_two_slots_of_the_same_application(cast: Any, drive: Any) -> None:
    from decimal import Decimal

    drive("in_review", requested=Decimal("20000.00"))
    services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    with pytest.raises(services.NothingToClaim):
        services.claim_next(cast.reviewer, TaskKind.ASSESSMENT)
    assert services.claim_next(cast.reviewer2, TaskKind.ASSESSMENT).slot == 2


def test_programmes_with_automatic_assignment_balance_work_and_match_languages(cast: Any, drive: Any) -> None:  # fmt: skip
    cast.fund.programmes.update(auto_assign=True)
    french = reviewer("rev-fr", languages=["fr"])
    german = reviewer("rev-de", languages=["de"])
    ReviewerProfile.objects.create(user=cast.reviewer, languages=["de"], max_open_tasks=0)
    ReviewerProfile.objects.create(user=cast.reviewer2, languages=["de"], max_open_tasks=0)
    first = drive("submitted")
    assert ReviewTask.objects.get(application=first).assignee == german
    first.language = "fr"
    type(first).objects.filter(pk=first.pk).update(language="fr")
    second = drive("submitted")
    type(second).objects.filter(pk=second.pk).update(language="fr")
    task = ReviewTask.objects.get(application=second)
    task = services.release(task, by=task.assignee)  # a stale copy may not be saved any more
    task.language = "fr"
    task.save(update_fields=["language"])
    services.assign_if_automatic(task)
    task.refresh_from_db()
    assert task.assignee == french


def test_a_resubmission_goes_back_to_the_reviewer_who_asked_for_changes(cast: Any, drive: Any, committed: Any) -> None:  # fmt: skip
    application = drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with committed():
        application_services.request_changes(application, by=cast.reviewer, message="Budget?", reply_by=clock.today() + timedelta(days=10))  # fmt: skip
    task.refresh_from_db()
    # The holder did the work (here through the service, as the admin and the API do): done.
    assert (task.status, task.outcome) == ("done", "changes_requested")
    with committed():
        application_services.resubmit_application(application, by=cast.applicant)
    again = ReviewTask.objects.get(application=application, round=2)
    assert (again.status, again.assignee) == ("claimed", cast.reviewer)


def test_withdrawing_closes_the_open_tasks(cast: Any, drive: Any, committed: Any) -> None:
    application = drive("submitted")
    with committed():
        application_services.withdraw_application(application, by=cast.applicant)
    assert ReviewTask.objects.get(application=application).status == "cancelled"


def test_only_reviewers_claim(cast: Any, drive: Any) -> None:
    drive("submitted")
    for person in (cast.applicant, cast.finance, cast.funder, cast.manager):
        with pytest.raises(TransitionForbidden):
            services.claim_next(person, TaskKind.FORMAL_CHECK)


def test_sync_review_tasks_repairs_missing_and_stale_tasks(cast: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    # Without the side effects (nothing committed in this test), no task was opened.
    submitted = demo.drive(cast, "submitted")
    withdrawn = demo.drive(cast, "submitted")
    assert not ReviewTask.objects.exists()
    services.open_formal_check(withdrawn)
    application_services.withdraw_application(withdrawn, by=cast.applicant)
    out = StringIO()
    call_command("sync_review_tasks", stdout=out)
    assert ReviewTask.objects.get(application=submitted).status == "open"
    assert ReviewTask.objects.get(application=withdrawn).status == "cancelled"
    call_command("sync_review_tasks", stdout=out)  # twice changes nothing
    assert ReviewTask.objects.count() == 2
    assert "Opened 0" in out.getvalue().splitlines()[-1]


def test_expired_claims_are_released_by_the_command(cast: Any, drive: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    drive("submitted")
    task = services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    with clock.travel_to(clock.today() + timedelta(days=5)):
        call_command("expire_review_claims", stdout=StringIO())
    task.refresh_from_db()
    assert task.status == "open"

"""Same rules at every door: what the product did when tried role by role, now refused alike by
the pages, the API, the admin, the search, the files and `perform()` itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus, Document
from applications.transitions import run_application_transition
from demo import builders as demo
from grants.models import Programme
from grants.transitions import run_grant_transition
from reviews import services as review_services
from reviews.models import Conflict, Review, ReviewerProfile, ReviewTask, TaskKind
from tests.api.conftest import session_client
from workflows import clock
from workflows.errors import TransitionForbidden
from workflows.roles import Role

ALL_TICKED = {"checklist": list(CHECKLIST_CODES)}


def signed_in(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def admin_change(obj: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def admin_transition(obj: Any, name: str) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_transition", args=[obj.pk, name])


def api_transition(obj: Any, name: str) -> str:
    kind = "applications" if isinstance(obj, Application) else "grants"
    return f"/api/v1/{kind}/{obj.pk}/transitions/{name}/"


@pytest.fixture
def submitted(drive: Any) -> Application:
    """Organisation A's application in programme 1, waiting for its formal check."""
    return drive("submitted")


@pytest.fixture
def rita(cast: demo.Cast) -> Any:
    """A reviewer who shares the applying organisation's e-mail domain: a detected conflict."""
    user = demo.make_user("rita", Role.REVIEWER)
    user.email = "rita@partnerschaft-koeln.de"
    user.save(update_fields=["email"])
    cast.organisation.email = "vorstand@partnerschaft-koeln.de"
    cast.organisation.save(update_fields=["email"])
    return user


@pytest.fixture
def declared(cast: demo.Cast, submitted: Application) -> Any:
    """A reviewer who declared a conflict with the application."""
    user = demo.make_user("dora", Role.REVIEWER)
    Conflict.objects.create(reviewer=user, application=submitted, reason=Conflict.Reason.DECLARED)
    return user


@pytest.mark.parametrize("who", ["rita", "declared"])
def test_a_conflicted_reviewer_finds_nothing_of_the_application_through_any_door(
    request: Any, cast: demo.Cast, submitted: Application, who: str
) -> None:
    reviewer = request.getfixturevalue(who)
    document = Document.objects.filter(application=submitted).first()
    assert document is not None  # the summary issued on submission
    page = signed_in(reviewer)
    assert page.get(reverse("applications:detail", args=[submitted.pk])).status_code == 404
    assert page.get(reverse("applications:document_download", args=[document.pk])).status_code == 404  # fmt: skip
    found = page.get(reverse("reviews:search"), {"q": submitted.reference})
    assert found.status_code == 200
    assert submitted not in found.context["results"]
    unconflicted = signed_in(cast.reviewer).get(
        reverse("reviews:search"), {"q": submitted.reference}
    )
    assert submitted in unconflicted.context["results"]
    task = ReviewTask.objects.get(application=submitted, kind=TaskKind.FORMAL_CHECK)
    assert page.get(reverse("reviews:formal_check", args=[task.pk])).status_code == 404
    assert submitted.reference not in page.get(reverse("reviews:queue", args=["formal_check"])).content.decode()  # fmt: skip
    # The admin: no change page, no transition page, not in the list.
    assert page.get(admin_change(submitted)).status_code == 302  # "not found": the admin's index
    assert page.get(admin_transition(submitted, "pass_formal_check")).status_code == 404
    listed = page.get(reverse("admin:applications_application_changelist"))
    assert submitted not in listed.context["cl"].result_list
    # The API: neither the record nor its transitions.
    api = session_client(reviewer)
    assert api.get(f"/api/v1/applications/{submitted.pk}/").status_code == 404
    posted = api.post(api_transition(submitted, "pass_formal_check"), ALL_TICKED, format="json")
    assert posted.status_code == 404
    # And the one door behind all of them.
    with pytest.raises(TransitionForbidden):
        run_application_transition(submitted, "pass_formal_check", by=reviewer, **ALL_TICKED)
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED


def test_a_conflicted_reviewer_reads_no_other_reviewers_comments_in_the_admin(
    cast: demo.Cast, drive: Any
) -> None:
    reviewed = drive("reviewed")
    task = ReviewTask.objects.create(kind=TaskKind.ASSESSMENT, application=reviewed, slot=9)
    Review.objects.create(
        task=task,
        application=reviewed,
        reviewer=cast.reviewer2,
        scores={},
        weighted_score=70,
        recommendation="approve",
        comment_internal="Vorsitzende ist meine Nachbarin",
    )
    Conflict.objects.create(reviewer=cast.reviewer, application=reviewed, reason="declared")
    page = signed_in(cast.reviewer).get(reverse("admin:reviews_review_changelist"))
    assert page.status_code == 200
    assert "Nachbarin" not in page.content.decode()
    assert not page.context["cl"].result_list
    manager = signed_in(cast.manager).get(reverse("admin:reviews_review_changelist"))
    assert list(manager.context["cl"].result_list)


def test_a_claimed_formal_check_is_moved_on_only_by_its_holder(
    cast: demo.Cast, submitted: Application, committed: Any
) -> None:
    task = review_services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    assert task.application_id == submitted.pk
    changes = {"message": "Bitte Budget erläutern.", "reply_by": str(clock.today() + timedelta(days=14))}  # fmt: skip
    other = session_client(cast.reviewer2)
    assert other.post(api_transition(submitted, "request_changes"), changes, format="json").status_code == 403  # fmt: skip
    assert other.post(api_transition(submitted, "pass_formal_check"), ALL_TICKED, format="json").status_code == 403  # fmt: skip
    refused = signed_in(cast.reviewer2).post(
        admin_transition(submitted, "pass_formal_check"),
        {"checklist": list(CHECKLIST_CODES)},
        follow=True,
    )
    assert "refused" in refused.content.decode()
    submitted.refresh_from_db()
    task.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert (task.status, task.assignee) == ("claimed", cast.reviewer)
    # A manager may give the task to someone else, and then that person acts.
    review_services.reassign(task, to=cast.reviewer2, by=cast.manager)
    with committed():
        done = other.post(api_transition(submitted, "request_changes"), changes, format="json")
    assert done.status_code == 200, done.content
    task.refresh_from_db()
    assert (task.status, task.assignee, task.outcome) == (
        "done",
        cast.reviewer2,
        "changes_requested",
    )


def test_a_reviewer_of_another_programme_cannot_act_on_this_one_through_the_api(
    cast: demo.Cast, submitted: Application
) -> None:
    other_programme = Programme.objects.exclude(pk=submitted.programme_id).first()
    profile = ReviewerProfile.objects.create(user=cast.reviewer2)
    profile.programmes.set([other_programme])
    api = session_client(cast.reviewer2)
    assert api.get(f"/api/v1/applications/{submitted.pk}/").status_code == 404
    posted = api.post(api_transition(submitted, "pass_formal_check"), ALL_TICKED, format="json")
    assert posted.status_code == 404
    with pytest.raises(TransitionForbidden):
        run_application_transition(submitted, "pass_formal_check", by=cast.reviewer2, **ALL_TICKED)
    submitted.refresh_from_db()
    assert submitted.status == ApplicationStatus.SUBMITTED


def test_the_report_check_refuses_a_conflicted_reviewer_through_the_api(
    cast: demo.Cast, drive: Any
) -> None:
    application = drive("approved", "report_submitted")
    grant = application.grant
    Conflict.objects.create(reviewer=cast.reviewer2, application=application, reason="declared")
    api = session_client(cast.reviewer2)
    assert api.get(f"/api/v1/grants/{grant.pk}/").status_code == 404
    assert api.post(api_transition(grant, "accept_report"), {}, format="json").status_code == 404
    with pytest.raises(TransitionForbidden):
        run_grant_transition(grant, "accept_report", by=cast.reviewer2)
    grant.refresh_from_db()
    assert grant.status == "report_submitted"


def test_a_funder_signed_in_reads_no_application_grant_payment_or_report(
    cast: demo.Cast, drive: Any
) -> None:
    application = drive("approved", "report_submitted")
    funder = signed_in(cast.funder)
    home = funder.get(reverse("applications:home"))
    assert home.status_code == 200
    assert application.reference not in home.content.decode()
    for name in ("detail", "grant", "report"):
        assert funder.get(reverse(f"applications:{name}", args=[application.pk])).status_code == 404
    assert funder.get("/api/v1/applications/").status_code == 403  # a session opens no API


@pytest.mark.parametrize("role", ["reviewer", "manager", "finance"])
def test_only_administrators_reach_the_job_queue_and_task_results(
    cast: demo.Cast, role: str
) -> None:
    staff = signed_in(getattr(cast, role))
    dashboard = reverse("admin:django_rq_dashboard_changelist")
    assert staff.get(dashboard).status_code == 403
    assert staff.post(reverse("admin:django_rq_clear", args=[0])).status_code == 403
    assert (
        staff.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).status_code == 403
    )
    assert staff.get(reverse("admin:workflows_outboxmessage_changelist")).status_code == 403
    assert staff.get(reverse("admin:grants_apitoken_changelist")).status_code == 403
    index = staff.get(reverse("admin:index")).content.decode()
    assert "django_rq" not in index
    assert "dbtaskresult" not in index


def test_unknown_ids_in_the_admin_answer_404_never_500(cast: demo.Cast) -> None:
    admin = signed_in(cast.admin)
    # 503 with a sentence when Redis is not running; never an error page.
    assert admin.get(reverse("admin:django_rq_dashboard_changelist")).status_code in (200, 503)
    assert admin.get(reverse("admin:django_rq_jobs", args=[99])).status_code == 404
    assert admin.get(reverse("admin:django_rq_job_detail", args=[99, "nope"])).status_code == 404
    for page in ("change", "history", "delete"):  # the dashboard's model has no table
        assert admin.get(f"/admin/django_rq/dashboard/1/{page}/").status_code in (302, 404)
        manager = signed_in(cast.manager).post(f"/admin/django_rq/dashboard/1/{page}/")
        assert manager.status_code in (302, 403, 404)
    assert (
        admin.get(reverse("admin:django_tasks_database_dbtaskresult_changelist")).status_code == 200
    )
    for model in ("dashboard", "application"):
        content_type = ContentType.objects.filter(model=model).first()
        assert content_type is not None
        assert admin.get(f"/admin/r/{content_type.pk}/1/").status_code == 404


def test_the_audit_log_shows_a_manager_only_the_records_they_may_see(
    cast: demo.Cast, submitted: Application, drive: Any
) -> None:
    from workflows.models import TransitionLog

    other = drive("submitted")
    Conflict.objects.create(reviewer=cast.manager, application=submitted, reason="declared")
    rows = TransitionLog.objects.visible_to(cast.manager)
    assert not rows.for_object(submitted).exists()
    assert rows.for_object(other).exists()
    assert TransitionLog.objects.visible_to(cast.admin).for_object(submitted).exists()
    assert not TransitionLog.objects.visible_to(cast.reviewer).exists()
    page = signed_in(cast.manager).get(reverse("admin:workflows_transitionlog_changelist"))
    assert all(row.object_id != str(submitted.pk) for row in page.context["cl"].result_list)

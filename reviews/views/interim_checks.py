"""The interim report check page: the report beside the plan, the payments and the instalment
an acceptance releases; the reviewer accepts it or asks the grantee for changes.

Managers and administrators may read the page; only reviewers act on it.
"""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from applications.attachments import attachments_of
from applications.models import AttachmentPurpose
from interim.forms import AcceptInterimForm, InterimChangesForm
from reviews import interim_checks, rules
from reviews.models import ReviewTask, TaskKind, TaskStatus
from reviews.views.check_actions import CheckActions
from reviews.views.queues import staff_only
from workflows.roles import Role, has_role

ACTIONS = CheckActions(
    page="reviews:interim_check",
    queue=TaskKind.INTERIM_CHECK,
    accept_form=AcceptInterimForm,
    changes_form=InterimChangesForm,
    accept=interim_checks.accept_interim_report,
    request_changes=interim_checks.request_interim_changes,
    accepted=gettext_lazy("The interim report has been accepted."),
    sent_back=gettext_lazy("The interim report has gone back to the grantee with your request."),
    no_choice=gettext_lazy("Please choose what to do with the interim report."),
)


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def interim_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = interim_checks.interim_check_task(pk, request.user)
    if task is None:
        raise Http404  # not there, or in conflict, or outside the reviewer's programmes
    if request.method != "POST":
        return _page(request, task, *ACTIONS.pair())
    done = ACTIONS.handle(request, task)
    if isinstance(done, HttpResponse):
        return done
    return _page(request, task, *done)


def _page(
    request: HttpRequest,
    task: ReviewTask,
    accept_form: forms.Form,
    changes_form: forms.Form,
) -> HttpResponse:
    details = interim_checks.interim_check_details(task)
    user = request.user
    is_reviewer = has_role(user, Role.REVIEWER)
    waiting = task.is_active and details.waiting
    mine = task.status == TaskStatus.CLAIMED and task.assignee_id == user.pk
    may_act = waiting and (task.status == TaskStatus.OPEN or mine) and rules.may_work_on(task, user)
    payer = details.paid_by(user)
    application = task.application
    return render(
        request,
        "reviews/interim_check.html",
        {
            "task": task,
            "application": application,
            "details": details,
            "grant": details.grant,
            "report": details.report,
            "rows": details.rows,
            "spent": details.spent,
            "waiting": waiting,
            "may_act": may_act,
            "may_accept": may_act and not payer,
            "payer": payer and is_reviewer,
            "may_take": may_act and task.status == TaskStatus.OPEN,
            "may_release": task.status == TaskStatus.CLAIMED
            and (mine or rules.may_manage_tasks(user)),
            "may_declare_conflict": is_reviewer and task.is_active,
            "accept_form": accept_form,
            "changes_form": changes_form,
            "page_url": reverse("reviews:interim_check", args=[task.pk]),
            "staff_section": TaskKind.INTERIM_CHECK,
            # The documents sent with it (none shown before it was sent).
            "attachments": list(attachments_of(application, AttachmentPurpose.INTERIM_REPORT))
            if details.report is not None
            else [],
            "can_edit_attachments": False,
            "purpose": AttachmentPurpose.INTERIM_REPORT,
        },
    )

"""The interim report check page: the report beside the plan, the payments and the instalment
an acceptance releases; the reviewer accepts it or asks the grantee for changes.

Managers and administrators may read the page; only reviewers act on it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications.attachments import attachments_of
from applications.models import AttachmentPurpose
from interim.forms import AcceptInterimForm, InterimChangesForm
from reviews import interim_checks, rules
from reviews.models import ReviewTask, TaskKind, TaskStatus
from reviews.views.queues import staff_only
from workflows.errors import WorkflowError
from workflows.roles import Role, has_role


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def interim_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = interim_checks.interim_check_task(pk, request.user)
    if task is None:
        raise Http404  # not there, or in conflict, or outside the reviewer's programmes
    accept_form = AcceptInterimForm(prefix="accept")
    changes_form = InterimChangesForm(prefix="changes")
    if request.method == "POST":
        if not has_role(request.user, Role.REVIEWER):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "accept":
            accept_form = AcceptInterimForm(request.POST, prefix="accept")
            if accept_form.is_valid():
                return _act(
                    request,
                    task,
                    lambda: interim_checks.accept_interim_report(
                        task, by=request.user, note=accept_form.cleaned_data["note"]
                    ),
                    _("The interim report has been accepted."),
                )
        elif action == "request_changes":
            changes_form = InterimChangesForm(request.POST, prefix="changes")
            if changes_form.is_valid():
                return _act(
                    request,
                    task,
                    lambda: interim_checks.request_interim_changes(
                        task,
                        by=request.user,
                        message=changes_form.cleaned_data["message"],
                        reply_by=changes_form.cleaned_data["reply_by"],
                    ),
                    _("The interim report has gone back to the grantee with your request."),
                )
        else:
            messages.error(request, _("Please choose what to do with the interim report."))
            return redirect("reviews:interim_check", pk=task.pk)
    return _page(request, task, accept_form, changes_form)


def _act(
    request: HttpRequest, task: ReviewTask, work: Callable[[], object], done: str
) -> HttpResponse:
    """Run the service; its refusal becomes a message on the page, success the queue."""
    try:
        work()
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("reviews:interim_check", pk=task.pk)
    messages.success(request, done)
    return redirect("reviews:queue", kind=TaskKind.INTERIM_CHECK)


def _page(
    request: HttpRequest,
    task: ReviewTask,
    accept_form: AcceptInterimForm,
    changes_form: InterimChangesForm,
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

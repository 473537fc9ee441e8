"""The report check page: the final report beside the plan, its receipts and the balance; the
reviewer accepts it (the grant is settled) or asks the grantee for changes.

Managers and administrators may read the page; only reviewers act on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from applications.forms.fields import ReplyDayField
from grants.models import REPORT_MESSAGE_MISSING, GrantStatus
from reviews import report_checks, rules
from reviews.models import ReviewTask, TaskKind, TaskStatus
from reviews.views.queues import staff_only
from workflows import clock
from workflows.errors import WorkflowError
from workflows.fields import StepTextField
from workflows.roles import Role, has_role
from workflows.text import LONG_TEXT

# Days the grantee gets to send the report again, unless the reviewer chooses otherwise.
REPLY_DAYS = 21


class AcceptReportForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the report and the receipts"),
        error_messages={
            "required": gettext_lazy(
                "Please confirm that you have checked the report and the receipts."
            )
        },
    )
    note = StepTextField(
        label=gettext_lazy("Internal note (optional)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReportChangesForm(forms.Form):
    message = StepTextField(
        label=gettext_lazy("What should the grantee change or add?"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": REPORT_MESSAGE_MISSING},
    )
    reply_by = ReplyDayField(label=gettext_lazy("Reply by"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reply_by"].initial = clock.today() + timedelta(days=REPLY_DAYS)


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def report_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = report_checks.report_check_task(pk, request.user)
    if task is None:
        raise Http404  # not there, or in conflict, or outside the reviewer's programmes
    accept_form = AcceptReportForm(prefix="accept")
    changes_form = ReportChangesForm(prefix="changes")
    if request.method == "POST":
        if not has_role(request.user, Role.REVIEWER):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "accept":
            accept_form = AcceptReportForm(request.POST, prefix="accept")
            if accept_form.is_valid():
                return _act(
                    request,
                    task,
                    lambda: report_checks.accept_report(
                        task, by=request.user, note=accept_form.cleaned_data["note"]
                    ),
                    _("The report has been accepted and the grant settled."),
                )
        elif action == "request_changes":
            changes_form = ReportChangesForm(request.POST, prefix="changes")
            if changes_form.is_valid():
                return _act(
                    request,
                    task,
                    lambda: report_checks.request_report_changes(
                        task,
                        by=request.user,
                        message=changes_form.cleaned_data["message"],
                        reply_by=changes_form.cleaned_data["reply_by"],
                    ),
                    _("The report has gone back to the grantee with your request for changes."),
                )
        else:
            messages.error(request, _("Please choose what to do with the report."))
            return redirect("reviews:report_check", pk=task.pk)
    return _page(request, task, accept_form, changes_form)


def _act(
    request: HttpRequest, task: ReviewTask, work: Callable[[], object], done: str
) -> HttpResponse:
    """Run the service; its refusal becomes a message on the page, success the queue."""
    try:
        work()
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("reviews:report_check", pk=task.pk)
    messages.success(request, done)
    return redirect("reviews:queue", kind=TaskKind.REPORT_CHECK)


def _page(
    request: HttpRequest,
    task: ReviewTask,
    accept_form: AcceptReportForm,
    changes_form: ReportChangesForm,
) -> HttpResponse:
    details = report_checks.report_check_details(task)
    user = request.user
    is_reviewer = has_role(user, Role.REVIEWER)
    waiting = task.is_active and details.grant.status == GrantStatus.REPORT_SUBMITTED
    mine = task.status == TaskStatus.CLAIMED and task.assignee_id == user.pk
    may_act = waiting and (task.status == TaskStatus.OPEN or mine) and rules.may_work_on(task, user)
    payer = details.paid_by(user)
    return render(
        request,
        "reviews/report_check.html",
        {
            "task": task,
            "application": task.application,
            "details": details,
            "grant": details.grant,
            "report": details.report,
            "figures": details.figures,
            "settlement": details.settlement,
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
            "page_url": reverse("reviews:report_check", args=[task.pk]),
            "staff_section": TaskKind.REPORT_CHECK,
        },
    )

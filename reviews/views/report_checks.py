"""The report check page: the final report beside the plan, its receipts and the balance; the
reviewer accepts it (the grant is settled) or asks the grantee for changes.

Managers and administrators may read the page; only reviewers act on it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from applications.forms.fields import ReplyDayField
from grants.models import REPORT_MESSAGE_MISSING, GrantStatus
from reviews import report_checks, rules
from reviews.models import ReviewTask, TaskKind, TaskStatus
from reviews.views.check_actions import CheckActions
from reviews.views.queues import staff_only
from workflows import clock
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


ACTIONS = CheckActions(
    page="reviews:report_check",
    queue=TaskKind.REPORT_CHECK,
    accept_form=AcceptReportForm,
    changes_form=ReportChangesForm,
    accept=report_checks.accept_report,
    request_changes=report_checks.request_report_changes,
    accepted=gettext_lazy("The report has been accepted and the grant settled."),
    sent_back=gettext_lazy(
        "The report has gone back to the grantee with your request for changes."
    ),
    no_choice=gettext_lazy("Please choose what to do with the report."),
)


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def report_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = report_checks.report_check_task(pk, request.user)
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

"""The formal check and assessment pages: the application as submitted, the rule hints, the
documents, the task's claim, and the reviewer's form. Thin: the services in `reviews.checks`
decide.

Managers and administrators may read the pages; only reviewers who may work on the task act.
Anybody in conflict with the application gets 403, and the assessment page never shows what
other reviewers scored (they judge independently).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications.formal_check import CHECKLIST
from applications.models import (
    REQUIRED_DECLARATIONS,
    Attachment,
    AttachmentPurpose,
    Declaration,
    ExpenseCategory,
    IncomeCategory,
    Theme,
)
from applications.services import check_application
from grants.money import ZERO, cents, format_eur, format_number
from organisations.choices import LegalForm
from reviews import checks, rules
from reviews.forms import AssessmentForm, FormalCheckForm, add_errors
from reviews.models import Review, ReviewTask, TaskKind, TaskStatus
from reviews.services import WAITING_STATE
from reviews.views.queues import TASK_PAGES, staff_only
from workflows import clock
from workflows.errors import WorkflowError
from workflows.formats import format_day
from workflows.roles import Role, has_role

CATEGORY_LABELS = dict(ExpenseCategory.choices + IncomeCategory.choices)


def _task(pk: int, user: Any) -> ReviewTask:
    """The task with everything its page shows, in a constant number of queries; 404 unless
    `user` may see it (reviews.rules.tasks_visible_to: no conflicts, the reviewer's programmes)."""
    task = (
        ReviewTask.objects.visible_to(user)
        .select_related(
            "application__organisation",
            "application__programme",
            "application__call",
            "application__fund",
            "assignee",
        )
        .prefetch_related(
            "application__budget_lines",
            "application__partners",
            Prefetch(
                "application__attachments",
                queryset=Attachment.objects.filter(purpose=AttachmentPurpose.APPLICATION),
                to_attr="application_files",
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    return task


def _attempt(form: Any, call: Callable[[], Any]) -> tuple[Any, int]:
    """Run the service: its result, or its refusal onto the form with the status to answer."""
    try:
        return call(), 200
    except ValidationError as error:
        add_errors(form, error)
        return None, 200
    except WorkflowError as error:
        form.add_error(None, str(error.message))
        return None, error.http_status


def _amount(row: dict[str, Any]) -> Decimal | None:
    try:
        return cents(Decimal(str(row.get("quantity"))) * Decimal(str(row.get("unit_cost"))))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def as_submitted(content: dict[str, Any]) -> dict[str, Any]:
    """The frozen content as the pages show it: labels, amounts per line and the totals."""
    expenses, incomes = [], []
    eligible = ineligible = income = ZERO
    for row in content.get("budget_lines") or []:
        line = {
            "category": CATEGORY_LABELS.get(row.get("category"), row.get("category")),
            "purpose": row.get("purpose", ""),
            "quantity": _decimal(row.get("quantity")),
            "unit_cost": _decimal(row.get("unit_cost")),
            "eligible": row.get("eligible", True),
            "amount": _amount(row),
        }
        amount = line["amount"] or ZERO
        if row.get("side") == "income":
            incomes.append(line)
            income += amount
        else:
            expenses.append(line)
            if line["eligible"]:
                eligible += amount
            else:
                ineligible += amount
    requested = _decimal(content.get("requested_amount")) or ZERO
    themes = dict(Theme.choices)
    return {
        **content,
        "themes": [themes.get(code, code) for code in content.get("themes") or []],
        "start_date": _day(content.get("start_date")),
        "end_date": _day(content.get("end_date")),
        "requested": requested,
        "expenses": expenses,
        "incomes": incomes,
        "eligible_expenses": eligible,
        "ineligible_expenses": ineligible,
        "other_income": income,
        "share": (requested / eligible) if eligible else None,
        "gap": eligible - requested - income,
    }


def _page_context(request: HttpRequest, task: ReviewTask) -> dict[str, Any]:
    """What both pages show: the application, the rule hints, the documents, the claim."""
    application, user = task.application, request.user
    submitted_on = (
        timezone.localdate(application.submitted_at) if application.submitted_at else clock.today()
    )
    programme, violations = check_application(application, on=submitted_on)
    _field, waiting_state = WAITING_STATE[TaskKind(task.kind)]
    may_work = rules.may_work_on(task, user)
    holds = task.status == TaskStatus.CLAIMED and task.assignee_id == user.pk
    waiting = application.status == waiting_state
    return {
        "task": task,
        "application": application,
        "content": as_submitted(application.submitted_content or {}),
        "legal_form": LegalForm(application.organisation.legal_form).label
        if application.organisation.legal_form in LegalForm.values
        else application.organisation.legal_form,
        "submitted_on": submitted_on,
        "declarations": [
            (label, code in (application.declarations or []), code in REQUIRED_DECLARATIONS)
            for code, label in Declaration.choices
        ],
        "participants": sorted((application.participants_expected or {}).items()),
        "rule_programme": programme,
        "hints": [violation.message for violation in violations],
        "attachments": application.application_files,  # type: ignore[attr-defined]
        "waiting": waiting,
        "holds": holds,
        "may_act": may_work and waiting and (holds or task.status == TaskStatus.OPEN),
        "may_take": may_work and waiting and task.status == TaskStatus.OPEN,
        "may_release": task.status == TaskStatus.CLAIMED
        and (holds or rules.may_manage_tasks(user)),
        "may_declare_conflict": has_role(user, Role.REVIEWER, Role.MANAGER),
        "queue_url": reverse("reviews:queue", args=[task.kind]),
        "staff_section": task.kind,
    }


# --- the formal check ---------------------------------------------------------------------------


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def formal_check(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(pk, request.user)
    if task.kind != TaskKind.FORMAL_CHECK:
        return redirect(TASK_PAGES[TaskKind(task.kind)], pk=task.pk)
    form = FormalCheckForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not rules.may_work_on(task, request.user):
            raise PermissionDenied
        if form.is_valid():
            done, status = _attempt(form, lambda: _decide_formal_check(task, request.user, form))
            if done is not None:
                messages.success(request, done)
                return redirect("reviews:overview")
    context = _page_context(request, task)
    application = task.application
    programme = application.programme
    latest_resubmission = None
    if programme is not None and programme.is_rolling and application.start_date:
        latest_resubmission = application.start_date - timedelta(days=programme.lead_time_days)
    context.update(
        {
            "form": form,
            "latest_resubmission": latest_resubmission,
            "earlier_request": application.change_request_message if task.round > 1 else "",
            "checklist_done": [
                (label, (task.checklist or {}).get(code)) for code, label in CHECKLIST
            ]
            if task.status == TaskStatus.DONE
            else [],
        }
    )
    return render(request, "reviews/formal_check.html", context, status=status)


def _decide_formal_check(task: ReviewTask, by: Any, form: FormalCheckForm) -> str:
    """Call the service the pressed button names; the success message."""
    data = form.cleaned_data
    reference = task.application.reference
    if data["action"] == FormalCheckForm.PASS:
        checks.pass_formal_check(task, by=by, checklist=data["checklist"])
        return _("Formal check passed: %(reference)s goes on to the assessment.") % {
            "reference": reference
        }
    if data["action"] == FormalCheckForm.CHANGES:
        checks.request_changes(
            task,
            by=by,
            checklist=data["checklist"],
            message=data["message"],
            reply_by=data["reply_by"],
        )
        return _("Changes requested for %(reference)s; the applicant has until %(day)s.") % {
            "reference": reference,
            "day": format_day(data["reply_by"]),
        }
    checks.reject_as_ineligible(
        task, by=by, checklist=data["checklist"], reasons=data["reasons"], text=data["text"]
    )
    return _("%(reference)s was rejected as ineligible; the applicant will be told why.") % {
        "reference": reference
    }


# --- the assessment -------------------------------------------------------------------------------


@staff_only()
@require_http_methods(["GET", "HEAD", "POST"])
def assessment(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(pk, request.user)
    if task.kind != TaskKind.ASSESSMENT:
        return redirect(TASK_PAGES[TaskKind(task.kind)], pk=task.pk)
    application = task.application
    rubric = checks.rubric_of(application)
    form = AssessmentForm(request.POST if request.method == "POST" else None, rubric=rubric)
    status = 200
    if request.method == "POST":
        if not rules.may_work_on(task, request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            review, status = _attempt(
                form,
                lambda: checks.submit_review(
                    task,
                    by=request.user,
                    scores=form.scores(),
                    recommendation=data["recommendation"],
                    proposed_amount=data["proposed_amount"],
                    comment_internal=data["comment_internal"],
                    comment_for_applicant=data["comment_for_applicant"],
                ),
            )
            if review is not None:
                messages.success(
                    request,
                    _("Your review of %(reference)s is saved (weighted score %(score)s of 100).")
                    % {
                        "reference": application.reference,
                        "score": format_number(review.weighted_score),
                    },
                )
                return redirect("reviews:overview")
    context = _page_context(request, task)
    # Only the reader's own review, never anybody else's scores.
    own = Review.objects.filter(application=application, reviewer_id=request.user.pk).first()
    done, required = checks.review_status(application)
    programme = application.programme
    context.update(
        {
            "form": form,
            "own_review": own,
            "own_scores": [
                (checks.criterion_label(code), weight, own.scores.get(code))
                for code, weight in rubric
            ]
            if own
            else [],
            "may_act": context["may_act"] and own is None and bool(rubric),
            "reviews_done": done,
            "reviews_required": required,
            "minimum_score": programme.minimum_score if programme is not None else None,
            "requested": format_eur(application.requested_amount),
        }
    )
    return render(request, "reviews/assessment.html", context, status=status)

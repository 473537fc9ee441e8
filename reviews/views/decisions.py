"""Decisions by programme managers: the list of applications waiting for one (with bulk
decisions) and the decision page of one application. Thin views over `reviews.decisions`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from applications import rules as application_rules
from applications.formal_check import REJECTION_REASONS_MISSING
from applications.forms.fields import AmountField
from applications.models import Application, ApplicationStatus
from applications.services import reopen_application
from reviews import decisions
from reviews.views.queues import staff_only
from workflows import clock
from workflows.errors import WorkflowError
from workflows.fields import StepTextField
from workflows.http import keep_bulk_outcomes, take_bulk_outcomes
from workflows.roles import Role, has_role
from workflows.text import LONG_TEXT

PAGE_SIZE = 50
# A bulk decision covers at most this many applications (one page and a half of the list).
BULK_LIMIT = 100


class ApproveForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Amount awarded (EUR)"))
    conditions = StepTextField(
        label=gettext_lazy("Conditions (shown in the decision letter)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reasons = StepTextField(
        label=gettext_lazy("Reasons (shown in the rejection letter)"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": REJECTION_REASONS_MISSING},
    )


class WaitlistForm(forms.Form):
    reasons = StepTextField(
        label=gettext_lazy("Note (optional)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BulkForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve")),
            ("reject", gettext_lazy("Reject")),
            ("waitlist", gettext_lazy("Put on the waiting list")),
        ],
    )
    amount_rule = forms.ChoiceField(
        label=gettext_lazy("Amount to approve"),
        choices=[
            ("requested", gettext_lazy("the requested amount")),
            ("proposed", gettext_lazy("the reviewers' average when all propose a lower amount")),
        ],
        initial="requested",
        widget=forms.RadioSelect,
    )
    conditions = StepTextField(
        label=gettext_lazy("Conditions (approvals)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reasons = StepTextField(
        label=gettext_lazy("Reasons (rejections) or note (waiting list)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not (data.get("reasons") or "").strip():
            self.add_error("reasons", _("Please give the reasons for the rejection."))
        return data


@dataclass(frozen=True)
class Row:
    application: Application
    amount: Decimal


# --- the list and bulk decisions -----------------------------------------------------------------


# The outcomes of the latest bulk decision, kept in the session for the list the decision
# redirects to (reloading the list then sends nothing again).
BULK_OUTCOMES = "reviews_bulk_outcomes"


@staff_only(decisions.may_decide)
def decision_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request, BulkForm())
    outcomes = take_bulk_outcomes(request, BULK_OUTCOMES)
    if outcomes:
        context.update(outcomes=outcomes.rows, decided=outcomes.ok, refused=outcomes.refused)
    return render(request, "reviews/decisions.html", context)


@staff_only(decisions.may_decide)
@require_POST
def decide_many(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    pks = _ids(request.POST.getlist("application"))
    if not pks:
        form.add_error(None, _("Please tick the applications to decide."))
    elif len(pks) > BULK_LIMIT:
        form.add_error(None, _("Please decide at most %(n)s applications at once.") % {"n": BULK_LIMIT})  # fmt: skip
    if not form.is_valid():
        return render(request, "reviews/decisions.html", _list_context(request, form), status=400)
    data = form.cleaned_data
    outcomes = decisions.decide_many(
        decisions.chosen_for_bulk(pks, request.user),
        by=request.user,
        decision=data["decision"],
        amount_rule=data["amount_rule"] or "requested",
        conditions=data["conditions"],
        reasons=data["reasons"],
    )
    rows = [
        {
            "application": outcome.application.pk,
            "reference": outcome.application.reference,
            "title": outcome.application.title,
            "ok": outcome.ok,
            "status": str(outcome.status),
            "message": str(outcome.message),
        }
        for outcome in outcomes
    ]
    keep_bulk_outcomes(request, BULK_OUTCOMES, rows)
    query = request.GET.urlencode()
    return redirect(reverse("reviews:decisions") + (f"?{query}" if query else ""))


@staff_only(decisions.may_decide)
@require_POST
def reopen_waiting_list(request: HttpRequest) -> HttpResponse:
    """Budget came back (a decline, a lapse, a settlement): the programme's waiting list goes back
    to decision, in project-start order, as far as this year's released budget reaches."""
    chosen = _ids([request.POST.get("programme", "")])
    programme = next(
        (p for p in decisions.programmes_with_a_waiting_list(request.user) if p.pk in chosen),
        None,
    )
    if programme is None:
        messages.error(request, _("Please choose a programme with a waiting list."))
        return redirect("reviews:decisions")
    reopened = decisions.reopen_waitlisted(programme, clock.today().year, by=request.user)
    if reopened:
        messages.success(
            request,
            ngettext(
                "%(n)s application of the waiting list is back for a decision.",
                "%(n)s applications of the waiting list are back for a decision.",
                len(reopened),
            )
            % {"n": len(reopened)},
        )
    else:
        messages.info(
            request,
            _(
                "The budget of %(programme)s left for this year does not cover the first "
                "application of its waiting list; nothing was reopened."
            )
            % {"programme": programme},
        )
    return redirect("reviews:decisions")


def _ids(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values if value.isdigit() and len(value) < 12})


def _list_context(request: HttpRequest, bulk_form: BulkForm) -> dict[str, Any]:
    filters = decisions.DecisionFilter(
        request.GET, queryset=decisions.awaiting_decision(request.user)
    )
    found = filters.qs if filters.is_valid() else Application.objects.none()
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "page": page,
        "rows": [Row(application, decisions.row_amount(application)) for application in page],
        "bulk_form": bulk_form,
        "waiting_lists": decisions.programmes_with_a_waiting_list(request.user),
        "query": query.urlencode(),
        "staff_section": "decisions",
    }


# --- one application ----------------------------------------------------------------------------

# The actions of the page and the form each takes.
ACTION_FORMS: dict[str, type[forms.Form]] = {
    "approve": ApproveForm,
    "reject": RejectForm,
    "waitlist": WaitlistForm,
}


@staff_only(decisions.may_decide)
@require_http_methods(["GET", "POST"])
def decision(request: HttpRequest, pk: int) -> HttpResponse:
    application = decisions.application_for_decision(pk, request.user)
    if application is None:
        raise Http404
    if request.method != "POST":
        return _page(request, application, {})
    action = request.POST.get("decision", "")
    if action == "reopen":
        return _reopen(request, application)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        return HttpResponseBadRequest(_("This action does not exist."))
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _page(request, application, {action: form}, status=400)
    data = form.cleaned_data
    try:
        decided = decisions.decide(
            application,
            by=request.user,
            decision=action,
            amount=data.get("amount"),
            conditions=data.get("conditions", ""),
            reasons=data.get("reasons", ""),
        )
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("reviews:decision", pk=application.pk)
    messages.success(request, _done_message(decided))
    return redirect(reverse("reviews:decisions"))


def _reopen(request: HttpRequest, application: Application) -> HttpResponse:
    try:
        reopen_application(application, by=request.user)
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(
            request,
            _("%(reference)s is back among the applications waiting for a decision.")
            % {"reference": application.reference},
        )
    return redirect("reviews:decision", pk=application.pk)


def _done_message(application: Application) -> str:
    if application.status == ApplicationStatus.APPROVED:
        return _("%(reference)s is approved; the grant is offered to the applicant.") % {
            "reference": application.reference
        }
    if application.status == ApplicationStatus.REJECTED:
        return _("%(reference)s is rejected.") % {"reference": application.reference}
    return _("%(reference)s is on the waiting list.") % {"reference": application.reference}


def _page(
    request: HttpRequest,
    application: Application,
    bound: dict[str, forms.Form],
    *,
    status: int = 200,
) -> HttpResponse:
    found = decisions.dossier(application)
    user = request.user
    four_eyes = application_rules.has_reviewed(application, user)
    available = {t.name for t in getattr(application, "get_available_status_transitions")()}  # noqa: B009
    manager = has_role(user, Role.MANAGER)
    may_act = manager and not four_eyes
    forms_shown = {
        "approve": bound.get("approve")
        or ApproveForm(prefix="approve", initial={"amount": found.suggested_amount}),
        "reject": bound.get("reject") or RejectForm(prefix="reject"),
        "waitlist": bound.get("waitlist") or WaitlistForm(prefix="waitlist"),
    }
    return render(
        request,
        "reviews/decision.html",
        {
            "application": application,
            "dossier": found,
            "four_eyes": four_eyes,
            "manager": manager,
            "actions": {
                name: may_act and name in available for name in ("approve", "reject", "waitlist")
            },
            "may_reopen": manager and "reopen" in available,
            "forms": forms_shown,
            "staff_section": "decisions",
        },
        status=status,
    )

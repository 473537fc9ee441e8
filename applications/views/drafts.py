"""The application form: sections saved as you go, live totals and rule messages, review, submit.

Nothing typed is lost: a section keeps every valid value even while another is wrong, autosave
(htmx) saves while typing, and the page keeps a copy in the browser until the server has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from applications import budget_rules, selectors, services
from applications.eligibility import open_call
from applications.forms import drafts as section_forms
from applications.models import Application, ApplicationStatus, BudgetLine
from applications.services import EDITABLE_STATES
from applications.views.common import visible_application_or_404
from grants.models import Fund, site_fund
from workflows import clock, typography
from workflows.errors import RuleViolation, WorkflowError

SECTIONS = [
    ("project", gettext_lazy("Project")),
    ("dates", gettext_lazy("Dates and places")),
    ("partners", gettext_lazy("Partners")),
    ("participants", gettext_lazy("Participants")),
    ("budget", gettext_lazy("Budget plan")),
    ("attachments", gettext_lazy("Attachments")),
    ("declarations", gettext_lazy("Declarations")),
]
SECTION_NAMES = [name for name, _label in SECTIONS]
# Where each field that a rule or the completeness check names is edited.
FIELD_SECTION = {
    "title": "project",
    "summary": "project",
    "description": "project",
    "themes": "project",
    "places": "dates",
    "start_date": "dates",
    "end_date": "dates",
    "call": "dates",
    "partners": "partners",
    "budget": "budget",
    "requested_amount": "budget",
    "declarations": "declarations",
}


@dataclass
class SectionForms:
    """The bound or unbound forms of one section, and what they give the draft service."""

    main: forms.Form | None = None
    formsets: dict[str, forms.BaseFormSet] = field(default_factory=dict)

    def is_bound(self) -> bool:
        parts: list[Any] = [self.main, *self.formsets.values()]
        return any(part is not None and part.is_bound for part in parts)

    def all_valid(self) -> bool:
        valid = self.main.is_valid() if self.main is not None else True
        return all([valid, *(fs.is_valid() for fs in self.formsets.values())])

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for `services.save_draft` from every valid part."""
        arguments = self.main.service_fields() if self.main is not None else {}  # type: ignore[attr-defined]
        if "partners" in self.formsets and self.formsets["partners"].is_valid():
            arguments["partners"] = [
                {k: v for k, v in form.cleaned_data.items() if k != "DELETE"}
                for form in self.formsets["partners"].rows()  # type: ignore[attr-defined]
            ]
        expenses, incomes = self.formsets.get("expenses"), self.formsets.get("incomes")
        if (
            expenses is not None
            and incomes is not None
            and expenses.is_valid()
            and incomes.is_valid()
        ):
            arguments["budget_lines"] = [form.line() for form in expenses.rows()] + [  # type: ignore[attr-defined]
                form.line()
                for form in incomes.rows()  # type: ignore[attr-defined]
            ]
        return arguments

    def error_list(self) -> list[dict[str, str]]:
        """Every error with the id of its input, for the summary at the top."""
        found = []
        bound = [self.main] if self.main is not None else []
        for formset in self.formsets.values():
            found += [{"message": str(e), "anchor": ""} for e in formset.non_form_errors()]
            bound += list(formset.forms)
        for form in bound:
            if not form.is_bound:
                continue
            for error in form.non_field_errors():
                found.append({"message": str(error), "anchor": ""})
            for name, errors in form.errors.items():
                if name == "__all__":
                    continue
                bound_field = form[name]
                for error in errors:
                    found.append(
                        {
                            "message": f"{bound_field.label}{typography.colon()} {error}",
                            "anchor": bound_field.id_for_label,
                        }
                    )
        return found


def build_section(
    section: str, application: Application, data: Any = None, *, extra_rows: str = ""
) -> SectionForms:
    """The forms of `section`, bound to `data` or filled from the application."""
    bound = data is not None
    if section == "project":
        initial = {name: getattr(application, name) for name in ("title", "summary", "description", "themes", "project_format", "language")}  # fmt: skip
        locked = application.status != ApplicationStatus.DRAFT
        return SectionForms(main=section_forms.ProjectForm(data, initial=initial, language_locked=locked) if bound else section_forms.ProjectForm(initial=initial, language_locked=locked))  # fmt: skip
    if section == "dates":
        initial = {name: getattr(application, name) for name in ("start_date", "end_date", "places")}  # fmt: skip
        return SectionForms(main=section_forms.DatesForm(data, initial=initial) if bound else section_forms.DatesForm(initial=initial))  # fmt: skip
    if section == "participants":
        initial = section_forms.ParticipantsForm.initial_for(application)
        return SectionForms(main=section_forms.ParticipantsForm(data, initial=initial) if bound else section_forms.ParticipantsForm(initial=initial))  # fmt: skip
    if section == "declarations":
        initial = {"declarations": application.declarations}
        return SectionForms(main=section_forms.DeclarationsForm(data, initial=initial) if bound else section_forms.DeclarationsForm(initial=initial))  # fmt: skip
    if section == "partners":
        rows = section_forms.partner_rows(application)
        partners = section_forms.rows_formset(section_forms.PartnerFormSet, "partners", data, rows, extra_rows == "partners" or (not bound and not rows))  # fmt: skip
        return SectionForms(formsets={"partners": partners})
    if section == "budget":
        expense_rows, income_rows = section_forms.budget_rows(application)
        initial = {"requested_amount": application.requested_amount or None}
        main = section_forms.BudgetForm(data, initial=initial) if bound else section_forms.BudgetForm(initial=initial)  # fmt: skip
        return SectionForms(
            main=main,
            formsets={
                "expenses": section_forms.rows_formset(
                    section_forms.ExpenseFormSet,
                    "expenses",
                    data,
                    expense_rows,
                    extra_rows == "expenses" or (not bound and not expense_rows),
                ),
                "incomes": section_forms.rows_formset(
                    section_forms.IncomeFormSet,
                    "incomes",
                    data,
                    income_rows,
                    extra_rows == "incomes",
                ),
            },
        )
    return SectionForms()


# --- pages ---------------------------------------------------------------------------------------


def htmx_login_required(view: Any) -> Any:
    """Like login_required, but an htmx request of someone signed out gets 401, not a login page
    swapped into the form (the page then says the session has ended and keeps what was typed)."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.headers.get("HX-Request") and not request.user.is_authenticated:
            return HttpResponse(status=401)
        return protected(request, *args, **kwargs)  # type: ignore[no-any-return]

    return wrapper


def default_fund() -> Fund:
    fund = site_fund()
    if fund is None:
        raise Http404
    return fund


@login_required
@require_POST
def draft_start(request: HttpRequest) -> HttpResponse:
    """Start a draft for the current organisation, with what the eligibility check knew."""
    organisation = selectors.current_organisation(request)
    if organisation is None:
        messages.info(request, _("First, please register your organisation or group."))
        return redirect(f"{reverse('applications:organisation_create')}?next={reverse('applications:eligibility')}")  # fmt: skip
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give your project a working title (you can change it later)."))  # fmt: skip
        return redirect("applications:eligibility")
    fund = default_fund()
    data = form.cleaned_data
    fields: dict[str, Any] = {"title": data["title"], "language": request.LANGUAGE_CODE[:2]}
    if data.get("amount"):
        fields["requested_amount"] = data["amount"]
    if data.get("start"):
        fields["start_date"] = data["start"]
    try:
        application = services.create_draft(organisation, fund=fund, by=request.user, **fields)
    except (WorkflowError, ValidationError):
        fields.pop("start_date", None)
        fields.pop("requested_amount", None)
        application = services.create_draft(organisation, fund=fund, by=request.user, **fields)
    messages.success(request, _("Your draft has been created. It is saved as you type."))
    return redirect("applications:draft_section", pk=application.pk, section="project")


class StartForm(forms.Form):
    title = forms.CharField(max_length=200)
    amount = section_forms.AmountField(required=False)
    start = section_forms.DayField(required=False)


def _editable_or_redirect(request: HttpRequest, pk: int) -> Application | HttpResponse:
    application = visible_application_or_404(request, pk)
    if not services.rules.is_applicant(application, request.user):
        raise PermissionDenied  # seen (staff), but only its organisation's members edit it
    if application.status not in EDITABLE_STATES:
        messages.info(request, _("This application has been submitted and can no longer be changed."))  # fmt: skip
        return redirect("applications:detail", pk=application.pk)
    return application


@login_required
def draft_edit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    return redirect("applications:draft_section", pk=pk, section=SECTION_NAMES[0])


@login_required
def draft_section(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTION_NAMES:
        raise Http404
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    application = found
    if request.method != "POST":
        return _render_section(request, application, section, build_section(section, application))
    adding = request.POST.get("add_row", "")
    bound = build_section(section, application, request.POST)
    try:
        saved, application = _save(request, application, bound)
    except WorkflowError as refused:
        # Another window submitted or withdrew it meanwhile: nothing was saved, and the page
        # shows what was typed with the reason, so that nothing typed is lost.
        messages.error(request, str(refused.message))
        return _render_section(request, application, section, bound, status=409)
    if adding:
        forms_ = build_section(section, application, request.POST, extra_rows=adding)
        return _render_section(request, application, section, forms_)
    if not bound.all_valid():
        messages.warning(request, _("We saved what was correct. Please check the marked fields."))
        return _render_section(request, application, section, bound, status=200)
    target = request.POST.get("go", "")
    if target == "review":
        return redirect("applications:draft_review", pk=application.pk)
    if target not in SECTION_NAMES:
        target = section
    if saved:
        messages.success(request, _("Saved."))
    return redirect("applications:draft_section", pk=application.pk, section=target)


def _save(request: HttpRequest, application: Application, bound: SectionForms) -> tuple[bool, Application]:  # fmt: skip
    arguments = bound.service_arguments()
    if not arguments:
        return False, application
    try:
        return True, services.save_draft(application, by=request.user, **arguments)
    except ValidationError as error:
        target = bound.main
        if target is not None:
            for name, messages_ in error.message_dict.items():
                target.add_error(name if name in target.fields else None, messages_)
        return False, application


def _render_section(request: HttpRequest, application: Application, section: str, forms_: SectionForms, status: int = 200) -> HttpResponse:  # fmt: skip
    context = {
        "application": application,
        "section": section,
        "sections": SECTIONS,
        "forms": forms_,
        "form": forms_.main,
        "extra_errors": forms_.error_list() if forms_.is_bound() else [],
        "next_section": _neighbour(section, 1),
        "previous_section": _neighbour(section, -1),
        **rule_context(application),
    }
    if section == "budget":
        context["totals"] = totals_of(application)
    if section == "declarations":
        context["required_declarations"] = set(services.REQUIRED_DECLARATIONS)
    if section == "attachments":
        from applications.attachments import may_change_attachments

        context["attachments"] = list(application.attachments.filter(purpose="application"))
        context["can_edit_attachments"] = may_change_attachments(application, request.user, "application")  # fmt: skip
    return render(request, "applications/draft/section.html", context, status=status)


def _neighbour(section: str, step: int) -> str | None:
    index = SECTION_NAMES.index(section) + step
    return SECTION_NAMES[index] if 0 <= index < len(SECTION_NAMES) else None


@htmx_login_required
@require_POST
def draft_autosave(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    """htmx: save what is valid while the user types; answer with the status, rules and totals."""
    if section not in SECTION_NAMES:
        raise Http404
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return HttpResponse(status=409)
    bound = build_section(section, found, request.POST)
    try:
        saved, application = _save(request, found, bound)
    except WorkflowError:
        # Submitted or withdrawn meanwhile: as above, the page keeps its typed copy.
        return HttpResponse(status=409)
    context = {
        "application": application,
        "section": section,
        "saved": saved,
        "complete": bound.all_valid(),
        "saved_at": clock.now(),
        "errors": bound.error_list(),
        **rule_context(application),
    }
    context["rule_fields"] = [name for name, home in FIELD_SECTION.items() if home == section]
    if section == "budget":
        context["totals"] = totals_of(application, bound)
    response = render(request, "applications/draft/_autosave.html", context)
    response["X-Draft-Complete"] = "1" if saved and context["complete"] else "0"
    return response


# --- rule messages and totals --------------------------------------------------------------------


def rule_context(application: Application) -> dict[str, Any]:
    """The fund's rule messages by field, and the programme the amount falls into."""
    programme, problems = services.submission_problems(application)
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        if problem.code in (budget_rules.RuleCode.FIELD_MISSING, budget_rules.RuleCode.DECLARATION_MISSING):  # fmt: skip
            continue  # the review page lists what is missing; while typing it is only noise
        by_field.setdefault(problem.field, []).append(str(problem.message))
    return {"rule_messages": by_field, "programme": programme, "rule_fields": list(FIELD_SECTION)}


@dataclass
class Totals:
    eligible_expenses: Decimal
    all_expenses: Decimal
    other_income: Decimal
    requested: Decimal
    share: Decimal | None
    balance: Decimal
    max_request: Decimal | None
    max_share: Decimal | None


def totals_of(application: Application, bound: SectionForms | None = None) -> Totals:
    """The budget's figures, from what was just typed when it is valid, else from the draft."""
    lines = list(application.budget_lines.all())
    requested = application.requested_amount or Decimal("0")
    if bound is not None:
        arguments = bound.service_arguments()
        if "budget_lines" in arguments:
            lines = [BudgetLine(**row) for row in arguments["budget_lines"]]
        requested = arguments.get("requested_amount", requested)
    eligible = sum((line.amount for line in lines if line.counts_as_eligible_expense), Decimal("0"))
    expenses = sum((line.amount for line in lines if not line.is_income), Decimal("0"))
    other = sum((line.amount for line in lines if line.is_income), Decimal("0"))
    programme = budget_rules.pick_programme(requested, services.programme_ranges(application.fund))
    max_share = programme.max_share if programme else None
    plan = budget_rules.Plan(
        requested=requested, eligible_expenses=eligible, other_income=other, start=None, end=None,
        applicant_country="", partner_countries=(), informal_group=False, group_member_count=0,
    )  # fmt: skip
    return Totals(
        eligible_expenses=eligible,
        all_expenses=expenses,
        other_income=other,
        requested=requested,
        share=_fraction(budget_rules.share(plan)),
        balance=budget_rules.balance(plan),
        max_request=budget_rules.max_request(eligible, services.policy_of(programme))
        if programme
        else None,
        max_share=max_share,
    )


def _fraction(percentage: Decimal | None) -> Decimal | None:
    return None if percentage is None else percentage / 100


# --- review and submit ---------------------------------------------------------------------------


@login_required
def draft_review(request: HttpRequest, pk: int) -> HttpResponse:
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    application = found
    programme, problems = services.submission_problems(application)
    listed = [
        {
            "message": str(problem.message),
            "section": FIELD_SECTION.get(problem.field),
            "field": problem.field,
        }
        for problem in problems
    ]
    call = open_call(programme, clock.today()) if programme and not programme.is_rolling else None
    return render(
        request,
        "applications/draft/review.html",
        {
            "application": application,
            "sections": SECTIONS,
            "section": "review",
            "problems": listed,
            "programme": programme,
            "call": call,
            "totals": totals_of(application),
            "resubmission": application.status == ApplicationStatus.CHANGES_REQUESTED,
        },
    )


@login_required
@require_POST
def draft_submit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _editable_or_redirect(request, pk)
    if isinstance(found, HttpResponse):
        return found
    application = found
    try:
        if application.status == ApplicationStatus.CHANGES_REQUESTED:
            application = services.resubmit_application(application, by=request.user)
        else:
            application = services.submit_application(application, by=request.user)
    except RuleViolation as refusal:
        for violation in refusal.violations:
            messages.error(request, str(violation.message))
        return redirect("applications:draft_review", pk=application.pk)
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("applications:draft_review", pk=application.pk)
    messages.success(
        request,
        _("Thank you! Your application %(reference)s has been submitted.")
        % {"reference": application.reference},
    )
    return redirect("applications:detail", pk=application.pk)

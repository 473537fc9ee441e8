"""The applicant's start page, an application's page with its timeline, withdrawal, the grant."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import rules, sections, selectors, services
from applications.models import WITHDRAWABLE, Application, ApplicationStatus
from applications.services import EDITABLE_STATES
from applications.views.common import visible_application_or_404
from grants import rules as grant_rules
from grants import services as grant_services
from grants.models import ApiToken, Grant, GrantStatus
from workflows import clock
from workflows.errors import WorkflowError
from workflows.fields import StepTextField
from workflows.roles import role_names
from workflows.text import NAME_TEXT

PAGE_SIZE = 50
# Grant states in which a final report exists or is due.
REPORT_STATES = (
    GrantStatus.REPORT_DUE,
    GrantStatus.REPORT_SUBMITTED,
    GrantStatus.SETTLED,
    GrantStatus.CLOSED,
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Applicants: their organisation's applications with the next step; staff: the newest."""
    organisation = selectors.current_organisation(request)
    if organisation is None and grant_rules.is_funder_only(request.user):
        return _funder_home(request)
    staff_roles = sorted(role_names(request.user))
    if organisation is not None:
        applications = list(
            selectors.applications_visible_to(request.user).filter(organisation=organisation)[
                :PAGE_SIZE
            ]
        )
    else:
        applications = list(selectors.applications_visible_to(request.user)[:PAGE_SIZE])
    rows = [(application, selectors.next_step(application)) for application in applications]
    return render(
        request,
        "applications/home.html",
        {"rows": rows, "roles": staff_roles, "organisation": organisation},
    )


def _funder_home(request: HttpRequest) -> HttpResponse:
    """Funders read the fund's data through the API, within their tokens' programmes and with
    the public field set; the website shows them how, and which tokens they hold."""
    user: Any = request.user
    tokens = (
        ApiToken.objects.filter(user=user)
        .prefetch_related("programmes")
        .order_by("-created_at", "-id")
    )
    return render(request, "applications/funder_home.html", {"tokens": tokens, "now": clock.now()})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application_or_404(request, pk)
    grant = _grant_of(application)
    is_applicant = rules.is_applicant(application, request.user)
    # Files and letters: the organisation's members and the staff who see it, never funders.
    opened = rules.may_read_attachments(application, request.user)
    added = sections.sections_for(request, application, sections.DETAIL)
    timeline = selectors.merged_timeline(
        selectors.timeline_for_applicant(application), *(section.history for section in added)
    )
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "grant": grant,
            "payments": selectors.payments_of(grant, request.user) if grant else [],
            "timeline": timeline,
            "sections": added,
            "next_step": selectors.next_step(application),
            "is_applicant": is_applicant,
            "can_edit": is_applicant and application.status in EDITABLE_STATES,
            "can_withdraw": is_applicant and application.status in WITHDRAWABLE,
            "attachments": (
                list(application.attachments.filter(purpose="application")) if opened else []
            ),
            "documents": selectors.issued_documents(application) if opened else [],
            "content": application.submitted_content or None,
            "report_available": grant is not None and grant.status in REPORT_STATES,
        },
    )


def _grant_of(application: Application) -> Grant | None:
    if application.status != ApplicationStatus.APPROVED:
        return None
    return Grant.objects.filter(application=application).select_related("programme").first()


class WithdrawForm(forms.Form):
    reason = StepTextField(
        label=gettext_lazy("Why do you withdraw? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, I want to withdraw this application. This cannot be undone."),
    )


@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for confirmation, then withdraw."""
    application = visible_application_or_404(request, pk)
    if not rules.is_applicant(application, request.user):
        raise PermissionDenied  # seen (staff), but only its organisation's members withdraw it
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw_application(application, by=request.user, reason=form.cleaned_data["reason"])  # fmt: skip
        except WorkflowError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The application has been withdrawn."))
        return redirect("applications:detail", pk=application.pk)
    return render(request, "applications/withdraw.html", {"application": application, "form": form})


class AcceptForm(forms.Form):
    full_name = StepTextField(
        label=gettext_lazy("Your full name"),
        max_length=NAME_TEXT,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=gettext_lazy("Typing your name counts as your signature for the organisation."),
    )
    consent = forms.BooleanField(
        label=gettext_lazy(
            "I accept the grant on behalf of the organisation under the terms of the grant "
            "agreement and am entitled to do so."
        ),
    )

    def __init__(self, *args: Any, notice: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if notice:  # the fund decides by administrative notice: its terms are the decision's
            self.fields["consent"].label = gettext_lazy(
                "I accept the grant on behalf of the organisation under the terms and "
                "conditions of the grant decision and am entitled to do so."
            )


class DeclineForm(forms.Form):
    reason = StepTextField(
        label=gettext_lazy("Why do you decline? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("Yes, we decline the grant. This cannot be undone."),
    )


def _grant_or_404(request: HttpRequest, pk: int) -> tuple[Application, Grant]:
    application = visible_application_or_404(request, pk)
    grant = _grant_of(application)
    if grant is None:
        raise Http404
    return application, grant


@login_required
def grant(request: HttpRequest, pk: int) -> HttpResponse:
    """The offer: accept with a typed name and consent, or decline; payments planned and made."""
    application, found = _grant_or_404(request, pk)
    notice = application.fund.issues_notices
    accept_form, decline_form = AcceptForm(notice=notice), DeclineForm()
    if request.method == "POST":
        if not rules.is_applicant(application, request.user):
            raise PermissionDenied  # only the grantee's members accept or decline
        if "decline" in request.POST:
            decline_form = DeclineForm(request.POST)
            if decline_form.is_valid():
                return _decide(request, application, found, decline=decline_form.cleaned_data)
        else:
            accept_form = AcceptForm(request.POST, notice=notice)
            if accept_form.is_valid():
                return _decide(request, application, found, accept=accept_form.cleaned_data)
    return render(
        request,
        "applications/grant.html",
        {
            "application": application,
            "grant": found,
            "payments": selectors.payments_of(found, request.user),
            "accept_form": accept_form,
            "decline_form": decline_form,
            "form": accept_form if accept_form.is_bound else decline_form,
            "is_applicant": rules.is_applicant(application, request.user),
            "sections": sections.sections_for(request, application, sections.GRANT),
            "offered": found.status == GrantStatus.OFFERED,
            "bank_ok": application.organisation.has_valid_bank_account(),
        },
    )


def _decide(request: HttpRequest, application: Application, found: Grant, *, accept: dict | None = None, decline: dict | None = None) -> HttpResponse:  # type: ignore[type-arg]  # fmt: skip
    try:
        if accept is not None:
            grant_services.accept_offer(found, by=request.user, full_name=accept["full_name"], consent=accept["consent"])  # fmt: skip
            messages.success(request, _("Thank you! You have accepted the grant. The advance payment is being prepared."))  # fmt: skip
        elif decline is not None:
            grant_services.decline_offer(found, by=request.user, reason=decline["reason"])
            messages.success(request, _("You have declined the grant."))
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("applications:grant", pk=application.pk)
    return redirect("applications:detail", pk=application.pk)

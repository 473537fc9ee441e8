"""Organisation pages: create, profile, bank account, members and invitations, switching."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from applications import selectors
from applications.forms.organisations import BankAccountForm, InviteForm, OrganisationForm
from applications.views.common import my_organisation_or_404, safe_next
from organisations import banking
from organisations import services as organisation_services
from organisations.models import Invitation, Organisation
from workflows.errors import WorkflowError


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = organisation_services.create_organisation(
                by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[selectors.CURRENT_ORGANISATION_KEY] = organisation.pk
            messages.success(request, _("Your organisation has been created."))
            return redirect(safe_next(request, reverse("applications:eligibility")))
    return render(request, "applications/organisation_form.html", {"form": form, "creating": True})


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = my_organisation_or_404(request, pk)
    manages = organisation_services.may_manage_organisation(organisation, request.user)
    members = organisation.memberships.filter(is_active=True).select_related("user")
    invitations = (
        [i for i in organisation.invitations.filter(accepted_at=None, revoked_at=None) if i.is_open]
        if manages
        else []
    )
    return render(
        request,
        "applications/organisation_detail.html",
        {
            "organisation": organisation,
            "manages": manages,
            "members": members,
            "invitations": invitations,
            "invite_form": InviteForm(),
        },
    )


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = my_organisation_or_404(request, pk)
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        return _update(request, organisation, form, fields, "applications/organisation_form.html")
    return render(request, "applications/organisation_form.html", {"form": form})


@login_required
def bank_account(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = my_organisation_or_404(request, pk)
    if not organisation_services.may_manage_organisation(organisation, request.user):
        messages.error(request, _("Only administrators of the organisation can change the bank account."))  # fmt: skip
        return redirect("applications:organisation", pk=organisation.pk)
    form = BankAccountForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        return _update(request, organisation, form, fields, "applications/bank_account_form.html")
    return render(request, "applications/bank_account_form.html", {"form": form, "organisation": organisation})  # fmt: skip


def _update(
    request: HttpRequest,
    organisation: Organisation,
    form: forms.ModelForm,  # type: ignore[type-arg]
    fields: dict[str, Any],
    template: str,
) -> HttpResponse:
    try:
        organisation_services.update_organisation(organisation, by=request.user, **fields)
    except ValidationError as error:
        form.add_error(None, error)
        return render(request, template, {"form": form, "organisation": organisation})
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Your changes have been saved."))
    return redirect("applications:organisation", pk=organisation.pk)


@login_required
@require_POST
def bank_check(request: HttpRequest) -> HttpResponse:
    """Checks IBAN or BIC while it is typed (htmx); names the bank when the IBAN is valid."""
    field = "iban" if "iban" in request.POST else "bic"
    value = request.POST.get(field, "")
    context: dict[str, object] = {"field": field, "value": value}
    if value.strip():
        try:
            if field == "iban":
                banking.validate_iban(value)
                context["bank"] = banking.bank_name(value)
            else:
                banking.validate_bic(value)
            context["ok"] = True
        except ValidationError as error:
            context["error"] = error.messages[0]
    return render(request, "applications/_bank_check.html", context)


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = my_organisation_or_404(request, pk)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            organisation_services.invite_member(
                organisation,
                by=request.user,
                email=form.cleaned_data["email"],
                link_for=lambda token: request.build_absolute_uri(
                    reverse("applications:invitation", args=[token])
                ),
            )
        except (WorkflowError, ValidationError) as error:
            messages.error(request, _message_of(error))
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.")
                % {"email": form.cleaned_data["email"]},
            )
    else:
        for problem in form.errors.get("email", []):
            messages.error(request, str(problem))
    return redirect("applications:organisation", pk=organisation.pk)


@login_required
@require_POST
def revoke_invitation(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    organisation = my_organisation_or_404(request, pk)
    invitation = (
        Invitation.objects.visible_to(request.user)
        .filter(organisation=organisation, pk=invitation_pk)
        .first()
    )
    if invitation is None:
        raise Http404
    try:
        organisation_services.revoke_invitation(invitation, by=request.user)
    except WorkflowError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The invitation has been withdrawn."))
    return redirect("applications:organisation", pk=organisation.pk)


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation mail: shows whom it is from, then joins on confirmation."""
    found = organisation_services.invitation_by_token(token)
    if found is None or not found.is_open:
        return render(request, "applications/invitation.html", {"invitation": None}, status=404)
    if request.method == "POST":
        try:
            organisation_services.accept_invitation(found, by=request.user)
        except WorkflowError as error:
            messages.error(request, str(error.message))
        else:
            request.session[selectors.CURRENT_ORGANISATION_KEY] = found.organisation_id
            messages.success(
                request,
                _("Welcome! You are now a member of %(organisation)s.")
                % {"organisation": found.organisation.name},
            )
            return redirect("applications:home")
    return render(request, "applications/invitation.html", {"invitation": found})


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    try:
        chosen = int(request.POST.get("organisation", ""))
    except ValueError:
        chosen = 0
    organisation = next((o for o in selectors.my_organisations(request) if o.pk == chosen), None)
    if organisation is None:
        messages.error(request, _("Please choose one of your organisations."))
    else:
        request.session[selectors.CURRENT_ORGANISATION_KEY] = organisation.pk
        messages.success(
            request, _("You are now working for %(organisation)s.") % {"organisation": organisation}
        )
    return redirect(safe_next(request, reverse("applications:home")))


def _message_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(getattr(error, "message", error))

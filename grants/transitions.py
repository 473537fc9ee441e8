"""The grant's state machine as one table: each transition's service, label, form (the admin's
form and the API's input) and help (see workflows.transitions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from grants import services
from grants.models import NAME_MISSING, REPORT_MESSAGE_MISSING, Grant
from grants.money import MAX_DIGITS
from workflows.fields import StepTextField
from workflows.text import NAME_TEXT
from workflows.transitions import (
    MessageWithDeadlineForm,
    OptionalReasonForm,
    ReasonForm,
    TransitionSpec,
    run_transition,
)


class AcceptForm(forms.Form):
    full_name = StepTextField(
        label=_("Full name of the person accepting"),
        max_length=NAME_TEXT,
        error_messages={"required": NAME_MISSING},
    )
    consent = forms.BooleanField(
        label=_("The grantee accepts the terms of the grant"), required=False
    )


class ReportFiguresForm(forms.Form):
    actual_expenses = forms.DecimalField(
        label=_("Actual expenses (EUR)"), max_digits=MAX_DIGITS, decimal_places=2
    )
    actual_eligible_expenses = forms.DecimalField(
        label=_("Actual eligible expenses (EUR)"), max_digits=MAX_DIGITS, decimal_places=2
    )
    actual_other_income = forms.DecimalField(
        label=_("Actual other income (EUR)"), max_digits=MAX_DIGITS, decimal_places=2
    )


class ReportChangesForm(MessageWithDeadlineForm):
    message = StepTextField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": REPORT_MESSAGE_MISSING},
    )


GRANT_TRANSITIONS: dict[str, TransitionSpec] = {
    "accept": TransitionSpec(_("Accept the offer"), services.accept_offer, AcceptForm),
    "decline": TransitionSpec(_("Decline the offer"), services.decline_offer, OptionalReasonForm),
    "lapse": TransitionSpec(_("Let the offer lapse"), services.lapse_offer),
    "end_project": TransitionSpec(_("End the project"), services.end_project),
    "submit_report": TransitionSpec(
        _("Submit the report figures"), services.submit_report_figures, ReportFiguresForm
    ),
    "request_report_changes": TransitionSpec(
        _("Request changes to the report"), services.request_report_changes, ReportChangesForm
    ),
    "accept_report": TransitionSpec(
        _("Accept the report and settle"),
        services.accept_report,
        help_text=_(
            "The final entitlement is computed; a balance payment or a repayment claim follows."
        ),
    ),
    "revoke": TransitionSpec(
        _("Revoke the grant"),
        services.revoke_grant,
        ReasonForm,
        _("Everything paid so far is claimed back."),
    ),
    "cancel": TransitionSpec(
        _("Cancel the grant"),
        services.cancel_grant,
        ReasonForm,
        _("Everything paid so far is claimed back."),
    ),
    "close": TransitionSpec(_("Close the grant"), services.close_grant),
}


def run_grant_transition(grant: Grant, name: str, *, by: Any, **data: Any) -> Grant:
    """The named transition's service (admin actions, API, scheduler, demo)."""
    result: Grant = run_transition(GRANT_TRANSITIONS, grant, name, by=by, **data)
    return result

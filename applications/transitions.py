"""The application's state machine as one table: each transition's service, label, form (the
admin's form and the API's input) and help (see workflows.transitions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications import services
from applications.formal_check import (
    CHANGES_MESSAGE_MISSING,
    CHECKLIST,
    NOTHING_TICKED,
    REJECTION_REASONS_MISSING,
)
from applications.models import Application
from grants.money import MAX_DIGITS
from workflows.fields import StepTextField
from workflows.transitions import (
    MessageWithDeadlineForm,
    OptionalReasonForm,
    TransitionSpec,
    run_transition,
)


class RequestChangesForm(MessageWithDeadlineForm):
    message = StepTextField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": CHANGES_MESSAGE_MISSING},
    )


class PassFormalCheckForm(forms.Form):
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"),
        choices=CHECKLIST,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NOTHING_TICKED},
        help_text=_(
            "Tick what is met. The check passes only when every item is met; otherwise "
            "request changes or reject."
        ),
    )


class RejectForm(forms.Form):
    reasons = StepTextField(
        label=_("Reasons for the rejection"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": REJECTION_REASONS_MISSING},
    )


class ScoreForm(forms.Form):
    score = forms.DecimalField(label=_("Weighted score (0–100)"), max_digits=5, decimal_places=2)


class ApproveForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount awarded (EUR)"), max_digits=MAX_DIGITS, decimal_places=2
    )
    conditions = StepTextField(
        label=_("Conditions"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


APPLICATION_TRANSITIONS: dict[str, TransitionSpec] = {
    "submit": TransitionSpec(_("Submit"), services.submit_application),
    "resubmit": TransitionSpec(_("Resubmit"), services.resubmit_application),
    "request_changes": TransitionSpec(
        _("Request changes"), services.request_changes, RequestChangesForm
    ),
    "pass_formal_check": TransitionSpec(
        _("Pass the formal check"),
        services.pass_formal_check,
        PassFormalCheckForm,
        _("The application goes to assessment."),
    ),
    "reject": TransitionSpec(
        _("Reject"), services.reject_application, RejectForm, _("A rejection letter is sent.")
    ),
    "complete_review": TransitionSpec(
        _("Complete the review"), services.complete_review, ScoreForm
    ),
    "approve": TransitionSpec(
        _("Approve"),
        services.approve_application,
        ApproveForm,
        _("The amount is committed from this year's budget and the grant is offered."),
    ),
    "waitlist": TransitionSpec(
        _("Put on the waiting list"), services.waitlist_application, OptionalReasonForm
    ),
    "reopen": TransitionSpec(_("Reopen for a decision"), services.reopen_application),
    "withdraw": TransitionSpec(_("Withdraw"), services.withdraw_application, OptionalReasonForm),
    "expire": TransitionSpec(_("Expire"), services.expire_application),
}


def run_application_transition(
    application: Application, name: str, *, by: Any, **data: Any
) -> Application:
    """The named transition's service (admin actions, API, scheduler, demo)."""
    result: Application = run_transition(APPLICATION_TRANSITIONS, application, name, by=by, **data)
    return result

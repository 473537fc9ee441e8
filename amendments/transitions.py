"""The staff's steps of the amendment machine as a table (see workflows.transitions): the
admin's buttons and forms read it. Asking for a change, sending and withdrawing it are the
grantee's steps, on the grant's page, so they are not offered here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from amendments import services
from amendments.forms import ApproveForm, RejectForm
from amendments.models import Amendment
from workflows.transitions import TransitionSpec, run_transition

AMENDMENT_TRANSITIONS: dict[str, TransitionSpec] = {
    "approve": TransitionSpec(
        _("Approve the change"),
        services.approve_amendment,
        ApproveForm,
        _(
            "The grant takes the new period and amount; the payment plan and the budget "
            "commitment follow; the amendment letter goes to the grantee."
        ),
    ),
    "reject": TransitionSpec(
        _("Reject the change"),
        services.reject_amendment,
        RejectForm,
        _("The grant stays as it is; the grantee reads the reasons."),
    ),
}


def run_amendment_transition(amendment: Amendment, name: str, *, by: Any, **data: Any) -> Amendment:
    """The named staff step's service (admin, tests)."""
    result: Amendment = run_transition(AMENDMENT_TRANSITIONS, amendment, name, by=by, **data)
    return result

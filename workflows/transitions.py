"""One table per state machine: each transition's name, service, label, form and help text.

An app writes its table once (`applications.transitions`, `grants.transitions`); the admin's
buttons and actions, the API's transition endpoints (their input schema is the form's fields)
and `run_*_transition` all read it, so a transition is declared in one place. The service does
the work through `workflows.perform()`; the form only shapes and validates the input.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils.translation import gettext_lazy as _

from workflows.errors import UnknownTransition
from workflows.fields import ReplyDateField, StepTextField
from workflows.text import REASON_MISSING


class ConfirmForm(forms.Form):
    """A transition that needs no data: the page only asks for confirmation."""


class MessageWithDeadlineForm(forms.Form):
    """Ask for changes: what to change and by when (a future date, at most a year ahead).

    A machine's subclass gives `message` its step's words for an empty message."""

    message = StepTextField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))
    reply_by = ReplyDateField(label=_("Reply by"), widget=AdminDateWidget)


class ReasonForm(forms.Form):
    reason = StepTextField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": REASON_MISSING},
    )


class OptionalReasonForm(forms.Form):
    reason = StepTextField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class NoteForm(forms.Form):
    note = StepTextField(
        label=_("Note for the record"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit log with this step."),
    )


@dataclass(frozen=True)
class TransitionSpec:
    """One transition of a machine: the service that performs it, the label of its button, the
    form (and so the API input) for its data, and a line of help."""

    label: Any
    service: Callable[..., Any]
    form: type[forms.Form] = ConfirmForm
    help_text: Any = ""

    @property
    def takes_note(self) -> bool:
        return accepts_note(self.service)


def run_transition(
    table: Mapping[str, TransitionSpec], obj: Any, name: str, *, by: Any, **data: Any
) -> Any:
    """Run transition `name` of `table` on `obj` (admin, API, scheduler, demo): its service."""
    spec = table.get(name)
    if spec is None:
        raise UnknownTransition()
    return spec.service(obj, by=by, **data)


def accepts_note(service: Callable[..., Any]) -> bool:
    """True when the service takes a `note` (or any keyword) to hand on to perform()."""
    parameters = inspect.signature(service).parameters.values()
    return any(p.name == "note" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)

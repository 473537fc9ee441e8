"""Forms of the reviewer's pages: they shape input; the services in `reviews.checks` decide."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications.formal_check import CHANGES_MESSAGE_MISSING, CHECKLIST
from applications.forms.fields import AmountField, DayField
from reviews.checks import MAX_POINTS, MIN_POINTS, REPLY_DAYS, criterion_label
from reviews.models import IneligibilityReason, Recommendation
from workflows import clock
from workflows.errors import InvalidInput
from workflows.fields import StepTextField, as_validation_error
from workflows.text import COMMENT_TEXT, LONG_TEXT, clean_reply_date

SCORE_CHOICES = [(str(points), str(points)) for points in range(MIN_POINTS, MAX_POINTS + 1)]


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: beside the fields it names, else on top."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class _LinkFirstOption:
    """Multi-option widgets whose error-summary link targets their first option (Django gives
    such fields no target). The pages render their options by hand, so no <label for> lies."""

    def id_for_label(self, id_: str, index: str | None = None) -> str:
        return super().id_for_label(id_, "0" if index is None else index)  # type: ignore[misc]


class Radios(_LinkFirstOption, forms.RadioSelect):
    pass


class Checkboxes(_LinkFirstOption, forms.CheckboxSelectMultiple):
    pass


class FormalCheckForm(forms.Form):
    """The checklist, then one of three outcomes (the button pressed is `action`)."""

    PASS, CHANGES, REJECT = "pass", "changes", "reject"

    checklist = forms.MultipleChoiceField(
        label=_("Checklist"),
        choices=CHECKLIST,
        widget=Checkboxes,
        required=False,
    )
    action = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (PASS, _("Pass the formal check")),
            (CHANGES, _("Request changes")),
            (REJECT, _("Reject as ineligible")),
        ],
        error_messages={"required": _("Please choose an outcome.")},
    )
    message = StepTextField(
        label=_("What the applicant should change or add"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=LONG_TEXT,
    )
    reply_by = DayField(label=_("Reply by"), required=False)
    reasons = forms.MultipleChoiceField(
        label=_("Reasons"),
        choices=IneligibilityReason.choices,
        widget=Checkboxes,
        required=False,
    )
    text = StepTextField(
        label=_("Explanation for the applicant"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=LONG_TEXT,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault(
            "reply_by", clock.today() + timedelta(days=REPLY_DAYS)
        )
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        """A request for changes needs what its step needs (a message; a reply date after today,
        within a year), each said beside its field at once. The step checks them again."""
        data = super().clean() or {}
        if data.get("action") == self.CHANGES:
            if "message" in data and not data["message"]:
                self.add_error("message", CHANGES_MESSAGE_MISSING)
            if "reply_by" in data:  # not there when the field refused what was typed
                try:
                    clean_reply_date(data["reply_by"])
                except InvalidInput as error:
                    self.add_error("reply_by", as_validation_error(error))
        return data


class AssessmentForm(forms.Form):
    """One score per criterion of the programme's rubric, the recommendation and comments."""

    recommendation = forms.ChoiceField(
        label=_("Recommendation"),
        choices=Recommendation.choices,
        widget=Radios,
        error_messages={"required": _("Please choose a recommendation.")},
    )
    proposed_amount = AmountField(
        label=_("Proposed amount"),
        required=False,
        help_text=_("Required when you recommend a lower amount; optional otherwise."),
    )
    comment_internal = StepTextField(
        label=_("Internal comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=COMMENT_TEXT,
        help_text=_("Read by the fund's staff only."),
    )
    comment_for_applicant = StepTextField(
        label=_("Comment for the applicant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=COMMENT_TEXT,
        help_text=_("May be quoted in the decision letter."),
    )

    def __init__(self, *args: Any, rubric: list[tuple[str, Decimal]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rubric = rubric
        for code, _weight in rubric:
            label = capfirst(criterion_label(code))
            self.fields[f"score_{code}"] = forms.TypedChoiceField(
                label=label,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=Radios,
                error_messages={
                    "required": _("Please give “%(criterion)s” a score.") % {"criterion": label},
                    "invalid_choice": _(
                        "Please give “%(criterion)s” a whole number of points from 0 to 10."
                    )
                    % {"criterion": label},
                },
            )
        self.order_fields([f"score_{code}" for code, _weight in rubric])

    def criteria(self) -> list[tuple[forms.BoundField, Decimal]]:
        """(the score field, the criterion's weight), in the rubric's order."""
        return [(self[f"score_{code}"], weight) for code, weight in self.rubric]

    def scores(self) -> dict[str, int]:
        return {code: self.cleaned_data[f"score_{code}"] for code, _weight in self.rubric}

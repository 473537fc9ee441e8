"""Forms of the interim report (the grantee's page) and of its check (the reviewer's page).

The grantee's forms shape what was typed (amounts as volunteers type them, choices); the rules
(NUL bytes, lengths, duplicate categories, completeness) live in `interim.services`, whose
errors are put back next to the fields they name. Field names are stable for tests:
`progress`, `spending-N-category`, `spending-N-amount`, `spending-N-comment`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from applications.forms.fields import AmountField, ReplyDayField
from applications.models import ExpenseCategory
from applications.reporting import CATEGORY_LABELS
from interim import services
from interim.models import COMMENT_TEXT, MESSAGE_MISSING, PROGRESS_TEXT, InterimReport
from workflows import clock
from workflows.fields import StepTextField
from workflows.text import LONG_TEXT

EXPENSE_CHOICES = [("", "---------")] + [
    (value, CATEGORY_LABELS[("expense", value)]) for value in ExpenseCategory.values
]
# Days the grantee gets to send the report again, unless the reviewer chooses otherwise.
REPLY_DAYS = 14


class ProgressForm(forms.Form):
    progress = forms.CharField(
        label=_("How is the project going?"),
        required=False,
        max_length=PROGRESS_TEXT,
        help_text=_(
            "What has happened so far, what is planned next, and whether anything turned out "
            "differently from the plan."
        ),
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class SpendingForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=EXPENSE_CHOICES, required=False)
    amount = AmountField(label=_("Spent so far (EUR)"), required=False)
    comment = forms.CharField(label=_("Comment"), max_length=COMMENT_TEXT, required=False)


SpendingFormSet = forms.formset_factory(
    SpendingForm, extra=1, max_num=len(ExpenseCategory.values), absolute_max=20
)


@dataclass(frozen=True)
class SpendingRow:
    form: forms.Form
    label: Any  # the category's name, or None for a row where one is chosen
    planned: Decimal | None


class InterimEditForms:
    """The report's text and its spending lines, bound or not, read and filled as one."""

    def __init__(self, report: InterimReport, *, data: Any = None) -> None:
        self.report = report
        rows = services.spending_rows(report, report.grant)
        self.form = ProgressForm(data, initial={"progress": report.progress})
        self.spending = SpendingFormSet(
            data,
            prefix="spending",
            initial=[
                {"category": row.category, "amount": row.spent or None, "comment": row.comment}
                for row in rows
            ],
        )
        self._planned = {row.category: row.planned for row in rows}
        self.general_errors: list[str] = []
        self.sent: list[forms.Form] = []

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), self.spending.is_valid()])

    def service_input(self) -> dict[str, Any]:
        """The keyword arguments of `services.save_interim_report`, from valid forms."""
        lines = []
        self.sent = []
        for row in self.spending.forms:
            data = row.cleaned_data
            if not data.get("category"):
                continue
            lines.append(
                {
                    "category": data["category"],
                    "amount": data.get("amount"),
                    "comment": data.get("comment", ""),
                }
            )
            self.sent.append(row)
        return {"progress": self.form.cleaned_data["progress"], "spending": lines}

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.general_errors.extend(error.messages)
            return
        for key, messages in error.message_dict.items():
            part, _sep, rest = key.partition(".")
            if part == "progress":
                self.form.add_error("progress", messages)
                continue
            index, _sep, name = rest.partition(".")
            if part != "spending" or not index.isdigit() or int(index) >= len(self.sent):
                self.general_errors.extend(messages)
                continue
            form = self.sent[int(index)]
            form.add_error(name if name in form.fields else None, messages)

    def extra_errors(self) -> list[dict[str, Any]]:
        """The lines' errors for the summary at the top, each a link to its field."""
        found: list[dict[str, Any]] = [{"message": m, "anchor": None} for m in self.general_errors]
        found += [
            {"message": str(m), "anchor": "interim-spending"}
            for m in self.spending.non_form_errors()
        ]
        for form in self.spending.forms:
            label = CATEGORY_LABELS.get(("expense", form["category"].value() or ""))
            row = str(label) if label else str(_("New category"))
            for message in form.non_field_errors():
                found.append({"message": f"{row}: {message}", "anchor": "interim-spending"})
            for field in form:
                for message in field.errors:
                    found.append(
                        {
                            "message": f"{row}, {field.label}: {message}",
                            "anchor": field.id_for_label,
                        }
                    )
        return found

    def rows(self) -> list[SpendingRow]:
        fixed = self.spending.initial_form_count()
        found = []
        for i, form in enumerate(self.spending.forms):
            category = str(form["category"].value() or "")
            known = category in ExpenseCategory.values
            found.append(
                SpendingRow(
                    form,
                    CATEGORY_LABELS[("expense", category)] if known and i < fixed else None,
                    self._planned.get(category) if known else None,
                )
            )
        return found


# --- the reviewer's check ------------------------------------------------------------------------


class AcceptInterimForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have read the interim report"),
        error_messages={"required": _("Please confirm that you have read the interim report.")},
    )
    note = StepTextField(
        label=_("Internal note (optional)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InterimChangesForm(forms.Form):
    message = StepTextField(
        label=_("What should the grantee change or add?"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": MESSAGE_MISSING},
    )
    reply_by = ReplyDayField(label=_("Reply by"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reply_by"].initial = clock.today() + timedelta(days=REPLY_DAYS)

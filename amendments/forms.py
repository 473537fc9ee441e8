"""The forms of a request for change (the grantee's) and of its decision (the manager's).

The budget plan and the partners are edited row by row with the application form's own row
forms (`applications.forms.drafts`); forms shape input, `amendments.services` writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from amendments.models import WHY_TEXT, Amendment
from applications.forms import drafts as rows
from applications.forms.fields import AmountField, DayField
from workflows.fields import StepTextField
from workflows.text import LONG_TEXT, REASON_MISSING


class AmendmentForm(forms.Form):
    start_date = DayField(label=_("Project start"))
    end_date = DayField(label=_("Project end"))
    amount = AmountField(
        label=_("Amount of the grant (EUR)"),
        help_text=_(
            "Raise or lower it within the limits of the programme; at most the programme's "
            "share of the eligible expenses."
        ),
    )
    reason = StepTextField(
        label=_("Why does the project need this change?"),
        required=False,
        max_length=WHY_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required before you send the request: the fund decides on this basis."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error(
                "end_date", _("The project cannot end before it starts. Please check the dates.")
            )
        return data


def _expense_rows(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "category": line["category"],
            "purpose": line["purpose"],
            "quantity": Decimal(line["quantity"]),
            "unit_cost": Decimal(line["unit_cost"]),
            "eligible": line["eligible"],
        }
        for line in lines
        if line["side"] == "expense"
    ]


def _income_rows(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "category": line["category"],
            "purpose": line["purpose"],
            "amount": Decimal(line["unit_cost"]) * Decimal(line["quantity"]),
        }
        for line in lines
        if line["side"] == "income"
    ]


@dataclass
class AmendmentForms:
    """The request's main form and its three row sets (expenses, incomes, partners)."""

    main: AmendmentForm
    expenses: rows.RowFormSet
    incomes: rows.RowFormSet
    partners: rows.RowFormSet

    @classmethod
    def build(cls, amendment: Amendment, data: Any = None) -> AmendmentForms:
        """Bound to what was posted, or filled from the saved request. The "add a row" button
        (without JavaScript) posts `add_row` with the set's name: the page comes back with what
        was typed and one more empty row, without judging it yet."""
        adding = data.get("add_row", "") if data is not None else ""
        lines = amendment.budget_lines or []
        if data is None:
            main = AmendmentForm(
                initial={
                    "start_date": amendment.start_date,
                    "end_date": amendment.end_date,
                    "amount": amendment.amount,
                    "reason": amendment.reason,
                }
            )
        elif adding:
            main = AmendmentForm(initial={name: data.get(name, "") for name in AmendmentForm.base_fields})  # fmt: skip
        else:
            main = AmendmentForm(data)
        return cls(
            main=main,
            expenses=rows.rows_formset(
                rows.ExpenseFormSet, "expenses", data, _expense_rows(lines), adding == "expenses"
            ),
            incomes=rows.rows_formset(
                rows.IncomeFormSet, "incomes", data, _income_rows(lines), adding == "incomes"
            ),
            partners=rows.rows_formset(
                rows.PartnerFormSet,
                "partners",
                data,
                list(amendment.partners or []),
                adding == "partners",
            ),
        )

    def is_valid(self) -> bool:
        results = [form.is_valid() for form in (self.main, self.expenses, self.incomes, self.partners)]  # fmt: skip
        return all(results)

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of `services.save_amendment` (call after is_valid)."""
        data = self.main.cleaned_data
        lines = [cast(rows.ExpenseForm, form).line() for form in self.expenses.rows()]
        lines += [cast(rows.IncomeForm, form).line() for form in self.incomes.rows()]
        people = [
            {
                key: form.cleaned_data.get(key, "")
                for key in ("name", "country", "city", "contact_email")
            }
            for form in self.partners.rows()
        ]
        return {
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "amount": data["amount"],
            "reason": data.get("reason", ""),
            "budget_lines": lines,
            "partners": people,
        }


class ApproveForm(forms.Form):
    conditions = StepTextField(
        label=_("Conditions (shown in the amendment letter)"),
        required=False,
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    reasons = StepTextField(
        label=_("Reasons (the grantee reads them)"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": REASON_MISSING},
    )


class WithdrawForm(forms.Form):
    reason = StepTextField(
        label=_("Why do you withdraw the request? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

"""Forms of the final report: the text, participants by country, actual figures and receipts.

The forms shape what was typed (dates, whole numbers, choices); the rules (amounts, the project
period, NUL bytes, completeness) live in `applications.reporting`, whose errors are put back
next to the fields they name. Formset prefixes and field names are stable for browser tests:
`narrative`, `results`, `participants-N-...`, `lines-N-...`, `receipts-N-...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from applications import reporting
from applications.forms.fields import DayField, normalise_amount
from applications.models import ExpenseCategory, IncomeCategory, Receipt, Report
from grants.money import ZERO, parse_amount
from workflows.errors import WorkflowError

BLANK = [("", "---------")]
EXPENSE_CHOICES = [(v, reporting.CATEGORY_LABELS[("expense", v)]) for v in ExpenseCategory.values]
INCOME_CHOICES = [(v, reporting.CATEGORY_LABELS[("income", v)]) for v in IncomeCategory.values]
LINE_CHOICES: list[Any] = [
    *BLANK,
    (_("Expenses"), [(f"expense:{value}", label) for value, label in EXPENSE_CHOICES]),
    (_("Income"), [(f"income:{value}", label) for value, label in INCOME_CHOICES]),
]
COUNTRY_NAMES = {
    "DE": _("Germany"),
    "FR": _("France"),
    reporting.OTHER_COUNTRIES: _("other countries"),
}
# Rows offered empty at the end of each list, so that the page works without JavaScript too.
EXTRA_PARTICIPANTS, EXTRA_LINES, EXTRA_RECEIPTS = 2, 1, 3


def amount_text(value: Decimal | None) -> str:
    """An amount as it is typed in the reader's language (1234,56), empty for nothing."""
    if value is None or value == 0:
        return ""
    return number_format(value, 2, use_l10n=True, force_grouping=False)


def _decimal_input(**attrs: Any) -> forms.TextInput:
    return forms.TextInput(attrs={"inputmode": "decimal", "size": 10, "class": "amount", **attrs})


class ReportForm(forms.Form):
    narrative = forms.CharField(
        label=_("What happened"),
        required=False,
        help_text=_("The course of the project: what you did, where, with whom."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    results = forms.CharField(
        label=_("Results and what you learned"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ParticipantForm(forms.Form):
    country = forms.CharField(
        label=_("Country"),
        max_length=8,
        required=False,
        widget=forms.TextInput(attrs={"size": 4, "placeholder": _("e.g. IT")}),
    )
    count = forms.IntegerField(
        label=_("Participants"),
        min_value=0,
        max_value=reporting.MAX_PARTICIPANTS,
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "size": 6}),
    )


class LineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=LINE_CHOICES, required=False)
    actual = forms.CharField(
        label=_("Actual amount (EUR)"), max_length=32, required=False, widget=_decimal_input()
    )
    comment = forms.CharField(label=_("Comment on the difference"), max_length=300, required=False)


class ReceiptForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    paid_on = DayField(label=_("Date"))
    category = forms.ChoiceField(label=_("Category"), choices=BLANK + EXPENSE_CHOICES)
    payee = forms.CharField(label=_("Payee"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    amount = forms.CharField(label=_("Amount (EUR)"), max_length=32, widget=_decimal_input())
    file = forms.FileField(label=_("Receipt file (optional)"), required=False)
    remove_file = forms.BooleanField(label=_("Remove the file"), required=False)

    def __init__(self, *args: Any, period: tuple[date, date] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if period is not None:  # the browser's date picker offers the project period only
            self.fields["paid_on"].widget.attrs.update(
                {"min": period[0].isoformat(), "max": period[1].isoformat()}
            )


ParticipantFormSet = forms.formset_factory(
    ParticipantForm, extra=EXTRA_PARTICIPANTS, max_num=200, absolute_max=300
)
LineFormSet = forms.formset_factory(LineForm, extra=EXTRA_LINES, max_num=50, absolute_max=60)
ReceiptFormSet = forms.formset_factory(
    ReceiptForm,
    extra=EXTRA_RECEIPTS,
    can_delete=True,
    max_num=reporting.MAX_RECEIPTS,
    absolute_max=reporting.MAX_RECEIPTS + 20,
)


@dataclass(frozen=True)
class LineRow:
    form: forms.Form
    side: str  # "expense", "income", or "" for a row where the category is chosen
    label: Any  # the category's name, or None for a row where one is chosen
    planned: Decimal | None


@dataclass(frozen=True)
class ReceiptRow:
    form: forms.Form
    saved: Receipt | None  # the saved receipt the row edits (for its file)


@dataclass(frozen=True)
class ParticipantRow:
    form: forms.Form
    label: Any  # "Germany (DE)", or None for a row where a code is typed


class ReportEditForms:
    """The report's form and its three formsets, bound or not, read and filled as one."""

    def __init__(
        self, report: Report, *, data: Any = None, files: Any = None, figures: Any = None
    ) -> None:
        self.report = report
        self.saved_receipts = {r.pk: r for r in report.receipts.all()}
        self.form = ReportForm(
            data, initial={"narrative": report.narrative, "results": report.results}
        )
        self.participants = ParticipantFormSet(
            data,
            prefix="participants",
            initial=[
                {"country": code, "count": count}
                for code, count in reporting.participants_rows(report)
            ],
        )
        lines = sorted(
            report.lines.all(),
            key=lambda x: reporting.CATEGORY_ORDER.get((x.side, x.category), 99),
        )
        self.lines = LineFormSet(
            data,
            prefix="lines",
            initial=[
                {
                    "category": f"{line.side}:{line.category}",
                    "actual": amount_text(line.actual),
                    "comment": line.comment,
                }
                for line in lines
            ],
        )
        grant = report.grant
        self.receipts = ReceiptFormSet(
            data,
            files,
            prefix="receipts",
            form_kwargs={"period": (grant.project_start, grant.project_end)},
            initial=[
                {
                    "id": r.pk,
                    "paid_on": r.paid_on,
                    "category": r.category,
                    "payee": r.payee,
                    "purpose": r.purpose,
                    "amount": amount_text(r.amount),
                }
                for r in self.saved_receipts.values()
            ],
        )
        self.general_errors: list[str] = []
        self.sent: dict[str, list[forms.Form]] = {"participants": [], "lines": [], "receipts": []}
        self._planned = reporting.planned_by_category(report.grant.application)

    # --- reading ------------------------------------------------------------------------------

    def is_valid(self) -> bool:
        parts = (self.form, self.participants, self.lines, self.receipts)
        return all(part.is_valid() for part in parts)  # every part validated, for its errors

    def service_input(self) -> dict[str, Any]:
        """The keyword arguments of `reporting.save_report`, from valid forms."""
        participants = []
        for person in self.participants.forms:
            participants.append(
                (person.cleaned_data.get("country", ""), person.cleaned_data.get("count"))
            )
            self.sent["participants"].append(person)
        lines = []
        for row in self.lines.forms:
            key = row.cleaned_data.get("category")
            if not key:
                continue
            side, _sep, category = key.partition(":")
            lines.append(
                {
                    "side": side,
                    "category": category,
                    "actual": normalise_amount(row.cleaned_data["actual"] or ""),
                    "comment": row.cleaned_data["comment"],
                }
            )
            self.sent["lines"].append(row)
        receipts = []
        for form in self.receipts.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            receipts.append(
                {
                    "id": data["id"],
                    "paid_on": data["paid_on"],
                    "category": data["category"],
                    "payee": data["payee"],
                    "purpose": data["purpose"],
                    "amount": normalise_amount(data["amount"] or ""),
                    "upload": data.get("file"),
                    "remove_file": data.get("remove_file", False),
                }
            )
            self.sent["receipts"].append(form)
        return {
            "narrative": self.form.cleaned_data["narrative"],
            "results": self.form.cleaned_data["results"],
            "participants": participants,
            "lines": lines,
            "receipts": receipts,
        }

    def typed_figures(self) -> dict[str, Any]:
        """What `reporting.figures` needs from whatever was typed, valid or not (live totals)."""
        unreadable = False

        def amount(value: Any) -> Decimal | None:
            nonlocal unreadable
            if value is None or not str(value).strip():
                return ZERO
            try:
                return parse_amount(normalise_amount(str(value)), label="")
            except WorkflowError:
                unreadable = True
                return None

        lines = []
        for row in self.lines.forms:
            side, _sep, category = str(row["category"].value() or "").partition(":")
            actual = amount(row["actual"].value())
            if (side, category) in reporting.CATEGORY_LABELS and actual is not None:
                lines.append({"side": side, "category": category, "actual": actual})
        receipts = []
        for form in self.receipts.forms:
            category = form["category"].value()
            if form["DELETE"].value() or category not in ExpenseCategory.values:
                continue
            value = amount(form["amount"].value())
            if value is not None:
                receipts.append({"category": category, "amount": value})
        return {"lines": lines, "receipts": receipts, "unreadable": unreadable}

    # --- errors of the service, next to their fields ------------------------------------------

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.general_errors.extend(error.messages)
            return
        for key, messages in error.message_dict.items():
            part, _sep, rest = key.partition(".")
            if part in self.form.fields:
                self.form.add_error(part, messages)
                continue
            index, _sep, name = rest.partition(".")
            sent = self.sent.get(part, [])
            if not index.isdigit() or int(index) >= len(sent):
                self.general_errors.extend(messages)
                continue
            form = sent[int(index)]
            name = {"upload": "file"}.get(name, name)
            form.add_error(name if name in form.fields else None, messages)

    def extra_errors(self) -> list[dict[str, Any]]:
        """The formsets' errors for the summary at the top, each a link to its field."""
        found: list[dict[str, Any]] = [{"message": m, "anchor": None} for m in self.general_errors]
        for name, formset in (
            ("participants", self.participants),
            ("lines", self.lines),
            ("receipts", self.receipts),
        ):
            found += [
                {"message": str(m), "anchor": f"report-{name}"} for m in formset.non_form_errors()
            ]
            for i, form in enumerate(formset.forms):
                row = self._row_name(name, i, form)
                first = next(iter(form.visible_fields()), None)
                for message in form.non_field_errors():
                    anchor = first.id_for_label if first is not None else f"report-{name}"
                    found.append({"message": f"{row}: {message}", "anchor": anchor})
                for field in form:
                    for message in field.errors:
                        found.append(
                            {
                                "message": f"{row}, {field.label}: {message}",
                                "anchor": field.id_for_label,
                            }
                        )
        return found

    def _row_name(self, part: str, index: int, form: forms.Form) -> str:
        if part == "receipts":
            return str(_("Receipt %(number)d") % {"number": index + 1})
        if part == "lines":
            side, _sep, category = str(form["category"].value() or "").partition(":")
            label = reporting.CATEGORY_LABELS.get((side, category))
            return str(label) if label else str(_("New category"))
        code = str(form["country"].value() or "").upper()
        return str(_("Participants (%(country)s)") % {"country": code or "?"})

    # --- rows for the template ----------------------------------------------------------------

    def participant_rows(self) -> list[ParticipantRow]:
        fixed = self.participants.initial_form_count()
        rows = []
        for i, form in enumerate(self.participants.forms):
            code = str(form["country"].value() or "")
            label = None
            if i < fixed:
                name = COUNTRY_NAMES.get(code)
                label = f"{name} ({code})" if name and code != reporting.OTHER_COUNTRIES else name
                label = label or code
            rows.append(ParticipantRow(form, label))
        return rows

    def line_rows(self) -> list[LineRow]:
        fixed = self.lines.initial_form_count()
        rows = []
        for i, form in enumerate(self.lines.forms):
            side, _sep, category = str(form["category"].value() or "").partition(":")
            known = (side, category) in reporting.CATEGORY_LABELS
            rows.append(
                LineRow(
                    form,
                    side if known and i < fixed else "",
                    reporting.CATEGORY_LABELS[(side, category)] if known and i < fixed else None,
                    self._planned.get((side, category), ZERO) if known else None,
                )
            )
        return rows

    def receipt_rows(self) -> list[ReceiptRow]:
        rows = []
        for form in self.receipts.forms:
            raw = form["id"].value()
            saved = self.saved_receipts.get(int(raw)) if str(raw or "").isdigit() else None
            rows.append(ReceiptRow(form, saved))
        return rows

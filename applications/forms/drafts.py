"""The sections of the application form. Each section form knows the service arguments it feeds.

Forms validate and shape input; `services.save_draft` writes. A section returns the keyword
arguments for that service from whatever parts of it are valid, so that autosave keeps every
valid value even while another field is still wrong.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from applications.forms.fields import AmountField, DayField
from applications.models import (
    REQUIRED_DECLARATIONS,
    Application,
    BudgetLine,
    Declaration,
    ExpenseCategory,
    IncomeCategory,
    Theme,
)
from organisations.choices import Country

# Partner countries offered: the two of the fund first, then Europe's others.
PARTNER_COUNTRIES = Country.choices
# Participant counts by country; "ZZ" (unknown region) collects everyone from elsewhere, as in the final report.
PARTICIPANT_COUNTRIES = [("DE", _("Germany")), ("FR", _("France")), ("ZZ", _("other countries"))]


class ProjectForm(forms.Form):
    title = forms.CharField(label=_("Project title"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Two or three sentences: what happens, with whom, for whom."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "The programme, the partners' roles, what participants learn, how you will make the project known."
        ),
    )
    themes = forms.MultipleChoiceField(
        label=_("Themes"), choices=Theme.choices, widget=forms.CheckboxSelectMultiple
    )
    project_format = forms.CharField(
        label=_("Format"),
        max_length=100,
        required=False,
        help_text=_("e.g. exchange visit, workshop, festival, online meeting"),
    )
    language = forms.ChoiceField(
        label=_("Language of the application"),
        choices=settings.LANGUAGES,
        required=False,  # a browser always sends it; without it the language stays
        help_text=_(
            "The language you write in; the fund gives your application to reviewers who read "
            "it. You can change it until you submit."
        ),
    )

    def __init__(self, *args: Any, language_locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # After the submission the language stays (services.save_draft refuses a change).
        self.fields["language"].disabled = language_locked

    def service_fields(self) -> dict[str, Any]:
        names = ["title", "summary", "description", "themes", "project_format", "language"]
        fields = _valid_part(self, names)
        if self.fields["language"].disabled or not fields.get("language"):
            fields.pop("language", None)
        return fields


class DatesForm(forms.Form):
    start_date = DayField(label=_("Project start"))
    end_date = DayField(label=_("Project end"))
    places = forms.CharField(
        label=_("Places"), max_length=300, help_text=_("Towns where the project takes place.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The project cannot end before it starts. Please check the dates."))  # fmt: skip
        return data

    def service_fields(self) -> dict[str, Any]:
        return _valid_part(self, ["start_date", "end_date", "places"])


class ParticipantsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in PARTICIPANT_COUNTRIES:
            self.fields[f"participants_{code}"] = forms.IntegerField(
                label=label, min_value=0, max_value=100_000, required=False
            )

    @classmethod
    def initial_for(cls, application: Application) -> dict[str, Any]:
        expected = application.participants_expected or {}
        return {f"participants_{code}": expected.get(code) for code, _label in PARTICIPANT_COUNTRIES}  # fmt: skip

    def service_fields(self) -> dict[str, Any]:
        if self.errors:
            return {}
        counts = {
            code: self.cleaned_data[f"participants_{code}"]
            for code, _label in PARTICIPANT_COUNTRIES
            if self.cleaned_data.get(f"participants_{code}") is not None
        }
        return {"participants_expected": counts}


class DeclarationsForm(forms.Form):
    """Every declaration as a checkbox; the optional ones (the consents to publish) say so."""

    declarations = forms.MultipleChoiceField(
        label=_("Declarations"),
        choices=Declaration.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    # An optional declaration says "Optional.", or this.
    hints = {
        Declaration.GROUP_NAME: _(
            "Optional, and only for informal groups: an organisation's name is always shown."
        ),
    }

    def declaration_rows(self) -> list[tuple[Any, Any]]:
        """Each checkbox with its hint ("" for a declaration needed to submit)."""
        rows = []
        for box in self["declarations"]:
            code = box.data["value"]
            hint = "" if code in REQUIRED_DECLARATIONS else self.hints.get(code, _("Optional."))
            rows.append((box, hint))
        return rows

    def service_fields(self) -> dict[str, Any]:
        return _valid_part(self, ["declarations"])


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Name of the partner organisation"), max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=PARTNER_COUNTRIES)
    city = forms.CharField(label=_("Town"), max_length=100, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)


class ExpenseForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=ExpenseCategory.choices)
    purpose = forms.CharField(
        label=_("What for"), max_length=200, help_text=_("e.g. train Lyon–Köln, 12 people")
    )
    quantity = AmountField(label=_("Quantity"), minimum=Decimal("0.01"))
    unit_cost = AmountField(label=_("Unit cost (EUR)"))
    eligible = forms.BooleanField(label=_("eligible"), required=False, initial=True)

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "side": BudgetLine.Side.EXPENSE,
            "category": data["category"],
            "purpose": data["purpose"],
            "quantity": data["quantity"],
            "unit_cost": data["unit_cost"],
            "eligible": data["eligible"],
        }


class IncomeForm(forms.Form):
    category = forms.ChoiceField(label=_("Source"), choices=IncomeCategory.choices)
    purpose = forms.CharField(
        label=_("From whom"), max_length=200, help_text=_("e.g. town of Köln, membership fees")
    )
    amount = AmountField(label=_("Amount (EUR)"))

    def line(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "side": BudgetLine.Side.INCOME,
            "category": data["category"],
            "purpose": data["purpose"],
            "quantity": Decimal("1"),
            "unit_cost": data["amount"],
            "eligible": True,
        }


class RowFormSet(forms.BaseFormSet):
    """Rows added and removed in place; completely empty rows are ignored, not refused."""

    def initial_form_count(self) -> int:
        # Every posted row may be left empty (then it is dropped), none is "required to exist".
        return 0 if self.is_bound else super().initial_form_count()

    def rows(self) -> list[forms.Form]:
        """The filled rows not marked for removal (valid or not: call is_valid() for that)."""
        return [form for form in self.forms if form.has_changed() and not self._removed(form)]

    def _removed(self, form: forms.Form) -> bool:
        return self.can_delete and bool(form["DELETE"].data)


PartnerFormSet = forms.formset_factory(PartnerForm, formset=RowFormSet, extra=0, can_delete=True, max_num=30, absolute_max=30)  # fmt: skip
ExpenseFormSet = forms.formset_factory(ExpenseForm, formset=RowFormSet, extra=0, can_delete=True, max_num=100, absolute_max=100)  # fmt: skip
IncomeFormSet = forms.formset_factory(IncomeForm, formset=RowFormSet, extra=0, can_delete=True, max_num=50, absolute_max=50)  # fmt: skip


def rows_formset(factory: Any, prefix: str, data: Any, rows: list[dict[str, Any]], add_row: bool) -> RowFormSet:  # fmt: skip
    """Bound to what was posted (no initial rows: any filled row counts), or filled from `rows`.

    `add_row` is the "add a row" button without JavaScript: what was posted, plus an empty row.
    """
    if data is not None and not add_row:
        return factory(data, prefix=prefix)
    if data is not None:
        posted = factory(data, prefix=prefix)
        rows = [raw_row(form) for form in posted.rows()]
    if add_row:
        factory = forms.formset_factory(
            factory.form, formset=factory, extra=1, can_delete=True,
            max_num=factory.max_num, absolute_max=factory.absolute_max,
        )  # fmt: skip
    return factory(prefix=prefix, initial=rows)


def raw_row(form: forms.Form) -> dict[str, Any]:
    return {name: form[name].value() for name in form.fields if name != "DELETE"}


class BudgetForm(forms.Form):
    requested_amount = AmountField(
        label=_("Requested grant (EUR)"),
        help_text=_("At most 80 % of the eligible expenses in categories 1 to 3."),
    )

    def service_fields(self) -> dict[str, Any]:
        return _valid_part(self, ["requested_amount"])


def _valid_part(form: forms.Form, names: list[str]) -> dict[str, Any]:
    """The valid fields of a bound form (all of them when the form is valid)."""
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return {name: cleaned[name] for name in names if name in cleaned and name not in form.errors}


def partner_rows(application: Application) -> list[dict[str, Any]]:
    return [
        {"name": p.name, "country": p.country, "city": p.city, "contact_email": p.contact_email}
        for p in application.partners.all()
    ]


def budget_rows(application: Application) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    expenses, incomes = [], []
    for line in application.budget_lines.all():
        if line.is_income:
            incomes.append({"category": line.category, "purpose": line.purpose, "amount": line.unit_cost})  # fmt: skip
        else:
            expenses.append({
                "category": line.category, "purpose": line.purpose, "quantity": line.quantity,
                "unit_cost": line.unit_cost, "eligible": line.eligible,
            })  # fmt: skip
    return expenses, incomes

"""The few questions of the eligibility check."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.eligibility import Answers
from applications.forms.fields import AmountField, DayField
from applications.forms.organisations import COUNTRIES
from organisations.choices import LegalForm

YES_NO = [("yes", _("yes")), ("no", _("no"))]


class EligibilityForm(forms.Form):
    legal_form = forms.ChoiceField(
        label=_("Who applies?"), choices=LegalForm.choices, widget=forms.RadioSelect
    )
    group_members = forms.IntegerField(
        label=_("How many people belong to the group?"),
        required=False,
        min_value=0,
        max_value=100_000,
        help_text=_("Only for informal groups."),
    )
    country = forms.ChoiceField(
        label=_("In which country is your organisation based?"),
        choices=COUNTRIES,
        widget=forms.RadioSelect,
    )
    start = DayField(label=_("When does the project start?"))
    amount = AmountField(
        label=_("Roughly how much funding do you need (EUR)?"),
        minimum=Decimal("0.01"),
        help_text=_("An estimate is enough, e.g. 4.000"),
    )
    cross_border_partner = forms.ChoiceField(
        label=_("Do you have a partner organisation in the other country?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("legal_form") == LegalForm.INFORMAL_GROUP and data.get("group_members") is None:
            self.add_error("group_members", _("Please say how many people belong to the group."))
        return data

    def answers(self) -> Answers:
        data = self.cleaned_data
        return Answers(
            legal_form=data["legal_form"],
            group_members=data.get("group_members"),
            country=data["country"],
            start=data["start"],
            amount=data["amount"],
            cross_border_partner=data["cross_border_partner"] == "yes",
        )

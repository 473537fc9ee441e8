"""Forms of the organisation pages: profile, bank account, invitations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from organisations.banking import normalise_iban
from organisations.choices import LegalForm, regions_of
from organisations.models import Organisation

COUNTRIES = [("DE", _("Germany")), ("FR", _("France"))]


class GroupMembersField(forms.CharField):
    """One full name per line in the form, a list of names in the model."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return "\n".join(str(name) for name in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in str(text).splitlines() if line.strip()]


def region_choices() -> list[tuple[Any, Any]]:
    """The regions grouped by country, after an empty choice (the field is optional)."""
    return [("", "—"), *((label, regions_of(code)) for code, label in COUNTRIES)]


class OrganisationForm(forms.ModelForm):
    country = forms.ChoiceField(label=_("country"), choices=COUNTRIES)
    region = forms.ChoiceField(
        label=_("region"),
        choices=region_choices,
        required=False,
        help_text=_("Land or région; it only serves the fund's statistics."),
    )
    group_members = GroupMembersField(
        label=_("group members"),
        required=False,
        help_text=_("Informal groups: the full names of at least three members, one per line."),
    )

    class Meta:
        model = Organisation
        fields = [
            "name",
            "legal_form",
            "group_members",
            "registration_id",
            "street",
            "postcode",
            "city",
            "country",
            "region",
            "email",
        ]
        widgets = {"legal_form": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["legal_form"].choices = LegalForm.choices  # type: ignore[attr-defined]
        autocomplete = {
            "name": "organization",
            "street": "street-address",
            "postcode": "postal-code",
            "city": "address-level2",
            "email": "email",
        }
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value


class BankAccountForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["bank_account_holder", "iban", "bic"]
        help_texts = {
            "bank_account_holder": _("As written on the bank statement (at most 70 characters)."),
            "iban": _("Spaces do not matter, e.g. DE89 3704 0044 0532 0130 00."),
            "bic": _("Optional for accounts in Germany and France."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank_account_holder"].required = True
        self.fields["iban"].required = True
        for name in ("iban", "bic"):
            self.fields[name].widget.attrs.update(
                {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
            )

    def clean_iban(self) -> str:
        return normalise_iban(self.cleaned_data["iban"])

    def clean_bic(self) -> str:
        return "".join((self.cleaned_data.get("bic") or "").split()).upper()


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address of the person to invite"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

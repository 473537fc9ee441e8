"""Forms of the partner exchange. They shape and check what was typed; the services decide
(a post for a country the fund does not connect is refused by both, in the same words)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from applications.models import Theme
from organisations.choices import Region
from partners.choices import PostFormat, ReportReason, TargetGroup
from partners.models import MESSAGE_MAX, REPORT_DETAILS_MAX, TEXT_MAX, TITLE_MAX
from workflows.fields import StepTextField


def country_refusal(countries: list[str]) -> str:
    return str(
        _("The fund connects partners in %(countries)s only: please choose one of these.")
        % {"countries": ", ".join(countries)}
    )


class HoneypotForm(forms.Form):
    """A field people do not see (nor reach with the keyboard) and robots fill in."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_spam(self) -> bool:
        return bool(self.data.get("website", "").strip())


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class PostForm(forms.Form):
    title = StepTextField(
        label=_("Title"),
        max_length=TITLE_MAX,
        error_messages={"required": _("Please give your post a title.")},
        help_text=_("e.g. “Choir in Lyon looks for a German choir for a joint concert”"),
    )
    country = forms.ChoiceField(label=_("Partner country sought"), choices=[])
    regions = forms.MultipleChoiceField(
        label=_("Regions sought"),
        choices=Region.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty if any region is fine."),
    )
    themes = forms.MultipleChoiceField(
        label=_("Themes"),
        choices=Theme.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=PostFormat.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    target_groups = forms.MultipleChoiceField(
        label=_("Target groups"),
        choices=TargetGroup.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages we can work in"),
        choices=settings.LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    period_from = forms.DateField(label=_("From"), required=False, widget=DayInput())
    period_to = forms.DateField(label=_("Until"), required=False, widget=DayInput())
    text = StepTextField(
        label=_("What we are looking for"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Please say what kind of partner you are looking for.")},
        help_text=_(
            "Who you are, what you plan and what kind of partner you look for. Please do not "
            "write addresses, phone numbers or names of people: contact goes through the platform."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of this post"),
        choices=settings.LANGUAGES,
        help_text=_("Messages about your post are sent to you in this language."),
    )

    def __init__(self, *args: Any, countries: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["country"]
        field.choices = countries  # type: ignore[attr-defined]
        field.error_messages["invalid_choice"] = country_refusal([c for c, _n in countries])

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and end < start:
            self.add_error("period_to", _("The period cannot end before it begins."))
        return data


class ContactForm(HoneypotForm):
    body = StepTextField(
        label=_("Your message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please write your message.")},
        help_text=_(
            "The organisation receives it by e-mail without your address. Both addresses are "
            "shared only when it replies."
        ),
    )


class ReplyForm(forms.Form):
    body = StepTextField(
        label=_("Your reply"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": _("Please write your reply.")},
        help_text=_("When you reply, you and the sender see each other's e-mail address."),
    )


class ReportForm(HoneypotForm):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=ReportReason.choices, widget=forms.RadioSelect
    )
    details = StepTextField(
        label=_("Details (optional)"),
        max_length=REPORT_DETAILS_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

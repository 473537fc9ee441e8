"""Forms of the showcase: they shape and check input; the services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from applications.models import Theme
from organisations.choices import Region
from public.models import ProjectFormat
from public.selectors import COUNTRY_NAMES, ProjectFilters
from workflows import clock
from workflows.fields import StepTextField

FIRST_YEAR = 2020


class ConsentForm(forms.Form):
    confirm = forms.BooleanField(
        label=_(
            "We agree that the fund shows this project on its public pages (title, summary, "
            "places, dates, themes, partners and the photos we add). We can withdraw this at "
            "any time."
        ),
        error_messages={"required": _("Please tick the box to give your consent.")},
    )


class ShowcaseTextForm(forms.Form):
    title = StepTextField(
        label=_("Public title"),
        max_length=200,
        error_messages={"required": _("Please give the project a title.")},
    )
    summary = StepTextField(
        label=_("Summary for the public"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Two or three sentences. Please name no private persons."),
        error_messages={"required": _("Please write a short summary.")},
    )
    places = StepTextField(label=_("Places"), max_length=300, required=False)
    project_format = forms.ChoiceField(
        label=_("Format"), choices=[("", "–"), *ProjectFormat.choices], required=False
    )
    outcome = StepTextField(
        label=_("Outcome: what the project achieved"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Shown on the page once your final report is accepted."),
    )

    def __init__(self, *args: Any, outcome_open: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not outcome_open:
            del self.fields["outcome"]


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("Photo (JPEG, PNG or WebP, at most 8 MB)"),
        error_messages={
            "required": _("Please choose a photo."),
            "empty": _("The file is empty."),
            "invalid": _("Please choose a photo."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = StepTextField(
        label=_("Text alternative"),
        max_length=300,
        help_text=_("What the photo shows, for people who cannot see it."),
        error_messages={"required": _("Please describe the photo for people who cannot see it.")},
    )
    caption = StepTextField(label=_("Caption"), max_length=300, required=False)
    rights_confirmed = forms.BooleanField(
        label=_(
            "We hold the rights to this photo, and the people who can be recognised on it agree "
            "to its publication."
        ),
        error_messages={
            "required": _(
                "Please confirm that you hold the rights to this photo and that the people on "
                "it agree."
            )
        },
    )


def _year_choices() -> list[tuple[str, Any]]:
    return [("", _("all years"))] + [
        (str(year), str(year)) for year in range(clock.today().year + 1, FIRST_YEAR - 1, -1)
    ]


class PlainSelect(forms.Select):
    """A select drawn in Python: Django renders each <option> through a template of its own,
    4-6 ms for the list's filters (about 190 options) on every uncached list page."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:  # fmt: skip
        chosen = set(self.format_value(value))
        selected = mark_safe(" selected")
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, selected if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        return format_html(
            "<select{}>{}</select>",
            flatatt({"name": name, **self.build_attrs(self.attrs, attrs)}),
            options,
        )


class ProjectFilterForm(forms.Form):
    """The list's filters (GET). An unknown value is dropped with a message, never a 500."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    theme = forms.ChoiceField(label=_("Theme"), required=False, widget=PlainSelect)
    region = forms.ChoiceField(label=_("Region"), required=False, widget=PlainSelect)
    country = forms.ChoiceField(label=_("Country"), required=False, widget=PlainSelect)
    year = forms.TypedChoiceField(
        label=_("Year"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    format = forms.ChoiceField(label=_("Format"), required=False, widget=PlainSelect)
    programme = forms.TypedChoiceField(
        label=_("Programme"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )

    def __init__(self, *args: Any, programmes: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        everything: list[tuple[str, Any]] = [("", _("all"))]
        choices: dict[str, list[tuple[str, Any]]] = {
            "theme": everything + list(Theme.choices),
            "region": everything + list(Region.choices),
            "country": everything + list(COUNTRY_NAMES.items()),
            "year": _year_choices(),
            "format": everything + list(ProjectFormat.choices),
            "programme": everything + [(str(pk), name) for pk, name in programmes],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options

    def filters(self) -> ProjectFilters:
        """The valid part of the input (the whole of it when the form is valid)."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        q = " ".join(str(data.get("q") or "").replace("\x00", "").split())
        return ProjectFilters(
            q=q,
            theme=data.get("theme") or "",
            region=data.get("region") or "",
            country=data.get("country") or "",
            year=data.get("year"),
            project_format=data.get("format") or "",
            programme=data.get("programme"),
        )

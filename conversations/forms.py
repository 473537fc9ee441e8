"""The form to write in a conversation, the form that turns a message into the formal request
for changes, and the staff's e-mail settings. They shape input; the services judge it again
(`services.write_message` refuses what the form would, whatever the door)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from applications.formal_check import CHANGES_MESSAGE_MISSING
from conversations.models import MESSAGE_MAX, Delivery
from conversations.services import MESSAGE_MISSING
from workflows.fields import ReplyDateField, StepTextField

ACCEPTED_FILES = ".pdf,.jpg,.jpeg,.png,.docx,.odt"


class FilesInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several files in one field; each is checked by the service (kind, size, count)."""

    widget = FilesInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", ACCEPTED_FILES)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        # Every check of a file (kind by content, size, count) is the service's.
        return [item for item in files if hasattr(item, "read")]


class MessageForm(forms.Form):
    body = StepTextField(
        label=_("Your message"),
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": MESSAGE_MISSING},
    )
    attachments = FilesField(label=_("Files (optional)"))
    internal = forms.BooleanField(
        label=_("Internal note: only the fund's staff read it; the applicant is not told."),
        required=False,
    )

    def __init__(self, *args: Any, notes: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not notes:  # only staff who read the notes write them
            del self.fields["internal"]


class ChangeRequestForm(forms.Form):
    message = StepTextField(
        label=_("What the applicant is asked to change"),
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": CHANGES_MESSAGE_MISSING},
        help_text=_("The applicant reads this text in the request, the e-mail and the history."),
    )
    reply_by = ReplyDateField(label=_("Reply by"), widget=forms.DateInput(attrs={"type": "date"}))


class MailSettingsForm(forms.Form):
    delivery = forms.ChoiceField(
        label=_("When applicants write"), choices=Delivery.choices, widget=forms.RadioSelect
    )
    language = forms.ChoiceField(label=_("Language of these e-mails"), choices=settings.LANGUAGES)

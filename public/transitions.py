"""The showcase's and its photos' state machines as tables (see workflows.transitions): the
admin's buttons and forms read them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from public import services
from public.models import MODERATION_MESSAGE_MISSING
from workflows.fields import StepTextField
from workflows.transitions import ReasonForm, TransitionSpec


class ChangesForm(forms.Form):
    message = StepTextField(
        label=_("Message to the grantee"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": MODERATION_MESSAGE_MISSING},
    )


SHOWCASE_TRANSITIONS: dict[str, TransitionSpec] = {
    "publish": TransitionSpec(_("Publish"), services.publish_showcase),
    "request_changes": TransitionSpec(
        _("Ask for changes"), services.request_showcase_changes, ChangesForm
    ),
    "hide": TransitionSpec(
        _("Hide"),
        services.hide_showcase,
        ReasonForm,
        _("The page is taken off the public side (410 Gone); the grantee reads the reason."),
    ),
}

PHOTO_TRANSITIONS: dict[str, TransitionSpec] = {
    "approve": TransitionSpec(_("Approve the photo"), services.approve_photo),
    "hide": TransitionSpec(_("Hide the photo"), services.hide_photo, ReasonForm),
}

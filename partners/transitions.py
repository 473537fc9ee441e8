"""The moderation steps of the partner exchange's machines as tables (see
workflows.transitions): the admin's buttons, forms and bulk actions read them. Closing a post is
its organisation's step, on the post's own page, so it is not offered here."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners import services
from workflows.fields import StepTextField
from workflows.transitions import ReasonForm, TransitionSpec


class ReportActionForm(forms.Form):
    reason = StepTextField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "For a post: the reason its organisation reads. Left empty, the reason of the "
            "report is given."
        ),
    )


POST_TRANSITIONS: dict[str, TransitionSpec] = {
    "hide": TransitionSpec(
        _("Hide the post"),
        services.hide_post,
        ReasonForm,
        _("The post leaves the exchange; its organisation sees it with the reason."),
    ),
    "show": TransitionSpec(
        _("Show the post again"),
        services.show_post,
        help_text=_("Back to open, or to closed if its organisation had closed it."),
    ),
}

MESSAGE_TRANSITIONS: dict[str, TransitionSpec] = {
    "hide": TransitionSpec(_("Hide the message"), services.hide_message),
    "show": TransitionSpec(_("Show the message again"), services.show_message),
}

REPORT_TRANSITIONS: dict[str, TransitionSpec] = {
    "act": TransitionSpec(
        _("Hide what was reported"),
        services.hide_reported,
        ReportActionForm,
        _("Hides the post or the message; the other open reports about it are settled too."),
    ),
    "dismiss": TransitionSpec(_("Dismiss the report"), services.dismiss_report),
}

"""The reminder before a change request's reply deadline (sent by the deadline scheduler).

The other reminders of the scheduler (offer, report) live with the applicants' e-mails in
`applications.emails`; this one follows the same conventions (outbox, key, language, links).
"""

from __future__ import annotations

from django.urls import reverse

from applications.emails import absolute, application_link, recipients
from applications.models import Application
from workflows.models import OutboxMessage
from workflows.outbox import queue_mail


def reply_reminder_key(application: Application, days_left: int) -> str:
    return f"reply_reminder:{application.pk}:{application.reply_deadline}:{days_left}"


def reply_reminder(application: Application, days_left: int) -> OutboxMessage | None:
    """Remind the organisation's members that the reply to a change request is due in
    `days_left` days: the queued message, or None if this reminder (application, deadline,
    threshold) was queued before or nobody has an address."""
    if application.reply_deadline is None:
        return None
    return queue_mail(
        "reply_reminder",
        # The members who can answer in the portal, not the organisation's general address.
        to=recipients(application.organisation, with_organisation=False),
        context={
            "application": application,
            "organisation": application.organisation,
            "reference": application.reference or "",
            "title": application.title,
            "message": application.change_request_message,
            "reply_by": application.reply_deadline,
            "days_left": days_left,
            "link": application_link(application),
            "edit_link": absolute(reverse("applications:draft_edit", args=[application.pk])),
        },
        language=application.language,
        key=reply_reminder_key(application, days_left),
        about=application.fund,
    )

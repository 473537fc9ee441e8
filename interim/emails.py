"""The e-mails to the grantee about the interim report: one function and three templates per
message (`emails/interim_report_*`), in the application's language, through the outbox.

- `interim_report_reminder`: the report is due in a few days, or overdue; keyed on the grant,
  the deadline and the threshold, so each reminder goes out once however often the scheduler
  runs (a new deadline, after an amendment or a request for changes, has its own);
- `interim_report_decided`: accepted (with the instalment it released) or sent back with the
  reviewer's message; keyed on the decision's audit row.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from applications.emails import absolute, grant_link, recipients
from grants.models import Grant, Payment
from interim.models import InterimReport
from workflows.models import OutboxMessage, TransitionLog
from workflows.outbox import queue_mail


def interim_link(grant: Grant) -> str:
    return absolute(reverse("interim:report", args=[grant.application_id]))


def _queue(
    name: str,
    grant: Grant,
    *,
    key: str,
    context: dict[str, Any],
    log: TransitionLog | None = None,
) -> OutboxMessage | None:
    application = grant.application
    organisation = application.organisation
    return queue_mail(
        name,
        # The members who write the report in the portal, not the organisation's general address.
        to=recipients(organisation, with_organisation=False),
        context={
            "application": application,
            "organisation": organisation,
            "reference": application.reference or "",
            "title": application.title,
            "grant": grant,
            "grant_link": grant_link(application),
            "link": interim_link(grant),
            **context,
        },
        language=application.language,
        key=key,
        log=log,
        about=application.fund,
    )


def interim_report_reminder(
    grant: Grant, deadline: date, days_left: int, *, changes_requested: bool = False
) -> OutboxMessage | None:
    """The interim report is due by `deadline` in `days_left` days (negative: overdue, the
    one notice after the deadline); `changes_requested`: the deadline is the reply date of a
    request for changes."""
    threshold = "overdue" if days_left < 0 else str(days_left)
    return _queue(
        "interim_report_reminder",
        grant,
        key=f"interim_reminder:{grant.pk}:{deadline}:{threshold}",
        context={
            "due_on": deadline,
            "days_left": max(days_left, 0),
            "overdue": days_left < 0,
            "changes_requested": changes_requested,
        },
    )


def interim_report_decided(report: InterimReport, log: TransitionLog) -> OutboxMessage | None:
    """Accepted (and the instalment released, if any) or sent back with the reviewer's words."""
    payload: dict[str, Any] = log.payload or {}
    accepted = log.transition == "accept"
    payment = (
        Payment.objects.filter(grant=report.grant, trigger="interim_report_accepted")
        .order_by("-sequence")
        .first()
        if accepted
        else None
    )
    return _queue(
        "interim_report_decided",
        report.grant,
        key=f"interim_decided:{log.pk}",
        log=log,
        context={
            "accepted": accepted,
            "payment": payment,
            "message": payload.get("message") if isinstance(payload.get("message"), str) else "",
            "reply_by": report.reply_by,
        },
    )

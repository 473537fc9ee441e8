"""The e-mails that follow the transitions, whoever makes them (portal, admin, API, scheduler).

Registered as side effects (`workflows.effects`): they run in a task after the change commits,
queue their message in the outbox (which enqueues the sending) and are idempotent: each
message is keyed on the transition's audit row, so a second run queues nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from applications import emails
from applications.models import Application
from grants.models import Grant, Payment
from workflows import effects

APPLICATION = "applications.application"
GRANT = "grants.grant"


def _application(log: Any) -> Application:
    return Application.objects.select_related("organisation").get(pk=log.object_id)


def _grant(log: Any) -> Grant:
    return Grant.objects.select_related("application__organisation").get(pk=log.object_id)


@effects.register(APPLICATION, "submit")
@effects.register(APPLICATION, "resubmit")
def mail_application_submitted(log: Any) -> None:
    emails.application_submitted(_application(log), log)


@effects.register(APPLICATION, "request_changes")
def mail_changes_requested(log: Any) -> None:
    emails.changes_requested(_application(log), log)


@effects.register(APPLICATION, "approve")
@effects.register(APPLICATION, "reject")
@effects.register(APPLICATION, "waitlist")
def mail_application_decided(log: Any) -> None:
    emails.application_decided(_application(log), log)


@effects.register(GRANT, "end_project")
def mail_report_due(log: Any) -> None:
    grant = _grant(log)
    if grant.report_due_on is None:
        return
    # Counted from the day the project was ended, so a late or repeated run says the same.
    days_left = (grant.report_due_on - timezone.localtime(log.created_at).date()).days
    emails.report_due(grant, days_left, log=log)


@effects.register(GRANT, "accept_report")
def mail_report_accepted(log: Any) -> None:
    emails.report_accepted(_grant(log), log=log)


@effects.on_event("grants.payment_paid")
def mail_payment_made(payment_id: int) -> None:
    payment = Payment.objects.select_related("grant__application__organisation").get(pk=payment_id)
    emails.payment_made(payment)

"""The e-mails to applicants: one function per message, three templates each (`emails/<name>.*`).

Every message goes to the e-mail addresses of the active members of the applying organisation
(and the organisation's own address, if it has one), in the application's language, through
the outbox (`workflows.outbox.queue_mail`): written with the change, sent by a task, retried
while the mail server is down. Each message has a key that makes it go out once:

- messages about a transition key on its audit row (`application_submitted:<log id>`), so
  running a side effect twice queues one message;
- reminders key on the object, the deadline where it can move, and the threshold
  (`offer_reminder:<grant id>:<days left>`), so each reminder goes out once however often the
  scheduler runs.

Each function returns the queued message, or None when its key was queued before (or nobody
has an address). Call them inside the transaction of the change they report, or after it (the
side effects in `applications.emails_effects`).
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from applications.models import Application, DocumentKind, document_title
from applications.selectors import TIMELINE_LABELS
from grants.models import Grant, Payment, PaymentKind, RepaymentCause, RepaymentClaim
from organisations.models import Membership, Organisation
from workflows.models import OutboxMessage, TransitionLog
from workflows.outbox import queue_mail

# Where the links in the e-mails point (the portal as applicants reach it).
SITE_URL = os.environ.get("MICROGRANTS_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

DECISIONS = {"approve": "approved", "reject": "rejected", "waitlist": "waitlisted"}
DECISION_LETTERS = {"approve": DocumentKind.APPROVAL, "reject": DocumentKind.REJECTION}
_DECISION_LABELS = {
    "approve": TIMELINE_LABELS["approve"],
    "reject": TIMELINE_LABELS["reject"],
    "waitlist": _("on the waiting list"),
}


# --- recipients and links ------------------------------------------------------------------------


def recipients(organisation: Organisation, *, with_organisation: bool = True) -> list[str]:
    """The addresses of the organisation's active members, then (unless told not to) the
    organisation's own; each once."""
    members = (
        Membership.objects.filter(organisation=organisation, is_active=True, user__is_active=True)
        .exclude(user__email="")
        .order_by("joined_at", "pk")
        .values_list("user__email", flat=True)
    )
    addresses: list[str] = []
    own = [organisation.email] if with_organisation else []
    for address in [*members, *own]:
        if address and address.lower() not in {a.lower() for a in addresses}:
            addresses.append(address)
    return addresses


def absolute(path: str) -> str:
    return f"{SITE_URL}{path}"


def application_link(application: Application) -> str:
    return absolute(reverse("applications:detail", args=[application.pk]))


def grant_link(application: Application) -> str:
    return absolute(reverse("applications:grant", args=[application.pk]))


def report_link(application: Application) -> str:
    return absolute(reverse("applications:report", args=[application.pk]))


def _queue(
    name: str,
    application: Application,
    *,
    key: str,
    context: dict[str, Any],
    log: TransitionLog | None = None,
) -> OutboxMessage | None:
    organisation = application.organisation
    return queue_mail(
        name,
        to=recipients(organisation),
        context={
            "application": application,
            "organisation": organisation,
            "reference": application.reference or "",
            "title": application.title,
            "link": application_link(application),
            **context,
        },
        language=application.language,
        key=key,
        log=log,
        about=application.fund,
    )


def _payload_date(log: TransitionLog, name: str) -> date | None:
    value = (log.payload or {}).get(name)
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _payload_amount(log: TransitionLog, name: str) -> Decimal | None:
    value = (log.payload or {}).get(name)
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _payload_text(log: TransitionLog, name: str) -> str:
    value = (log.payload or {}).get(name)
    return value.strip() if isinstance(value, str) else ""


def _day_of(log: TransitionLog) -> date:
    return timezone.localtime(log.created_at).date()


# --- the application's transitions ---------------------------------------------------------------


def application_submitted(application: Application, log: TransitionLog) -> OutboxMessage | None:
    """Confirm a submission (or the submission of the changed application) to the applicants."""
    return _queue(
        "application_submitted",
        application,
        key=f"application_submitted:{log.pk}",
        log=log,
        context={
            "label": TIMELINE_LABELS.get(log.transition, TIMELINE_LABELS["submit"]),
            "resubmitted": log.transition == "resubmit",
            "submitted_on": _day_of(log),
        },
    )


def changes_requested(application: Application, log: TransitionLog) -> OutboxMessage | None:
    """The fund's request for changes: its message and the reply deadline."""
    return _queue(
        "changes_requested",
        application,
        key=f"changes_requested:{log.pk}",
        log=log,
        context={
            "label": TIMELINE_LABELS["request_changes"],
            "message": _payload_text(log, "message") or application.change_request_message,
            "reply_by": _payload_date(log, "reply_by") or application.reply_deadline,
            "edit_link": absolute(reverse("applications:draft_edit", args=[application.pk])),
        },
    )


def application_decided(application: Application, log: TransitionLog) -> OutboxMessage | None:
    """The decision: approved (amount, conditions, acceptance deadline), rejected (reasons) or
    waitlisted (the note, if any)."""
    decision = DECISIONS.get(log.transition)
    if decision is None:
        raise ValueError(f"{log.transition!r} is not a decision")
    grant = (
        Grant.objects.filter(application=application).first() if decision == "approved" else None
    )
    letter = DECISION_LETTERS.get(log.transition)
    context: dict[str, Any] = {
        "label": _DECISION_LABELS[log.transition],
        "decision": decision,
        "grant": grant,
        # The letter that goes with the decision, named as the fund's letters name it.
        "document_title": (
            document_title(letter, application.fund.decision_form) if letter else ""
        ),
    }
    if decision == "approved":
        context.update(
            amount=_payload_amount(log, "amount") or application.awarded_amount,
            conditions=_payload_text(log, "conditions"),
            accept_by=grant.offer_expires_on if grant else None,
            grant_link=grant_link(application),
        )
    elif decision == "rejected":
        context["reasons"] = _payload_text(log, "reasons") or application.decision_note
    else:
        context["reason"] = _payload_text(log, "reason")
    return _queue(
        "application_decided",
        application,
        key=f"application_decided:{log.pk}",
        log=log,
        context=context,
    )


# --- the grant -----------------------------------------------------------------------------------


def _grant_context(grant: Grant) -> dict[str, Any]:
    return {
        "grant": grant,
        "amount": grant.amount_awarded,
        "grant_link": grant_link(grant.application),
        "report_link": report_link(grant.application),
    }


def offer_reminder(grant: Grant, days_left: int) -> OutboxMessage | None:
    """Remind the grantee that the offer lapses in `days_left` days unless accepted."""
    return _queue(
        "offer_reminder",
        grant.application,
        key=f"offer_reminder:{grant.pk}:{days_left}",
        context={
            **_grant_context(grant),
            "days_left": days_left,
            "accept_by": grant.offer_expires_on,
        },
    )


def payment_made(payment: Payment) -> OutboxMessage | None:
    """Tell the grantee that a payment left the fund's account."""
    grant = payment.grant
    return _queue(
        "payment_made",
        grant.application,
        key=f"payment_made:{payment.pk}",
        context={
            **_grant_context(grant),
            "payment": payment,
            "payment_amount": payment.amount,
            "kind": payment.get_kind_display(),
            "transfer_reference": payment.end_to_end_id,
        },
    )


def report_due(
    grant: Grant, days_left: int, *, log: TransitionLog | None = None
) -> OutboxMessage | None:
    """The final report is due in `days_left` days: the notice when the project ends (`log`,
    keyed on it) or a reminder (keyed on the grant, the due date and the threshold)."""
    key = (
        f"report_due:{log.pk}"
        if log is not None
        else f"report_due:{grant.pk}:{grant.report_due_on}:{days_left}"
    )
    return _queue(
        "report_due",
        grant.application,
        key=key,
        log=log,
        context={
            **_grant_context(grant),
            "days_left": days_left,
            "due_on": grant.report_due_on,
            "project_ended": log is not None,
        },
    )


def report_overdue(grant: Grant) -> OutboxMessage | None:
    """The final report has not arrived by its deadline (once per deadline)."""
    return _queue(
        "report_overdue",
        grant.application,
        key=f"report_overdue:{grant.pk}:{grant.report_due_on}",
        context={**_grant_context(grant), "due_on": grant.report_due_on},
    )


def report_accepted(grant: Grant, *, log: TransitionLog | None = None) -> OutboxMessage | None:
    """The final report is accepted: the final entitlement and the balance (a final payment,
    money to pay back, or nothing)."""
    final_payment = grant.payments.filter(kind=PaymentKind.BALANCE).order_by("-sequence").first()
    repayment = (
        RepaymentClaim.objects.filter(grant=grant, cause=RepaymentCause.SETTLEMENT)
        .order_by("-pk")
        .first()
    )
    entitlement = grant.final_amount if grant.final_amount is not None else grant.entitlement()
    return _queue(
        "report_accepted",
        grant.application,
        key=f"report_accepted:{log.pk}" if log is not None else f"report_accepted:{grant.pk}",
        log=log,
        context={
            **_grant_context(grant),
            "label": TIMELINE_LABELS["accept_report"],
            "entitlement": entitlement,
            "final_payment": final_payment,
            "repayment": repayment,
        },
    )

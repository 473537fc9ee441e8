"""The e-mail to the grantee when the fund decides a requested change: three templates
(`emails/amendment_decided.*`), in the application's language, through the outbox, keyed on the
decision's audit row (a side effect that runs twice queues one message)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from amendments import plan
from amendments.models import Amendment
from applications.emails import absolute, grant_link, recipients
from workflows.models import OutboxMessage, TransitionLog
from workflows.outbox import queue_mail


def amendment_link(amendment: Amendment) -> str:
    return absolute(reverse("amendments:detail", args=[amendment.pk]))


def amendment_decided(amendment: Amendment, log: TransitionLog) -> OutboxMessage | None:
    """Approved (what changes, the new amount and period, a repayment to make) or rejected
    (the reasons)."""
    grant = amendment.grant
    application = grant.application
    organisation = application.organisation
    payload: dict[str, Any] = log.payload or {}
    context: dict[str, Any] = {
        "application": application,
        "organisation": organisation,
        "reference": application.reference or "",
        "title": application.title,
        "amendment": amendment,
        "approved": log.transition == "approve",
        "changes": plan.changes_of(amendment),
        "grant": grant,
        "grant_link": grant_link(application),
        "link": amendment_link(amendment),
        "reasons": payload.get("reasons") if isinstance(payload.get("reasons"), str) else "",
        "conditions": payload.get("conditions")
        if isinstance(payload.get("conditions"), str)
        else "",
        "repayment": amendment.repayment_claim,
    }
    return queue_mail(
        "amendment_decided",
        to=recipients(organisation),
        context=context,
        language=application.language,
        key=f"amendment_decided:{log.pk}",
        log=log,
        about=application.fund,
    )

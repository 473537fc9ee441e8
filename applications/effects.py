"""The fund's documents follow the transitions that cause them, whoever makes them.

Registered as side effects (`workflows.effects`), so they exist only for changes that commit,
each as its own row: a document that fails to render (a full disk, a broken template) raises, and
its row is tried again later with back-off, apart from the other effects of the same change (the
reviewers' formal check, the e-mails), which never wait for a PDF. `issue_document` is
idempotent per audit row (or per payment), so a task that runs twice stores one file.

A letter of a fund whose identity is incomplete (`FundNotReady`) is postponed, not failed: its
row waits, without using up its attempts, until the fund's identity is completed in the admin
(`grants.services.resume_letters`), and the transition that caused it is never undone.
"""

from __future__ import annotations

from typing import Any

from applications.documents import FundNotReady, issue_for_ids
from applications.models import DocumentKind
from grants.identity import letters_key
from grants.models import Grant, Payment
from workflows import effects

APPLICATION = "applications.application"
GRANT = "grants.grant"


def _issue(
    application_id: int,
    kind: str,
    *,
    log_id: int | None = None,
    grant_id: int | None = None,
    payment_id: int | None = None,
) -> None:
    try:
        issue_for_ids(application_id, kind, log_id, grant_id, payment_id)
    except FundNotReady as missing:
        raise effects.Postponed(str(missing), key=letters_key(missing.fund)) from missing


@effects.register(APPLICATION, "submit")
@effects.register(APPLICATION, "resubmit")
def issue_summary(log: Any) -> None:
    _issue(int(log.object_id), DocumentKind.SUMMARY, log_id=log.pk)


@effects.register(APPLICATION, "approve")
def issue_approval(log: Any) -> None:
    """The grant is offered in the same transaction as the approval, so it exists by now."""
    application_id = int(log.object_id)
    grant_id = Grant.objects.filter(application_id=application_id).values_list("pk", flat=True)
    _issue(application_id, DocumentKind.APPROVAL, log_id=log.pk, grant_id=grant_id.first())


@effects.register(APPLICATION, "reject")
def issue_rejection(log: Any) -> None:
    _issue(int(log.object_id), DocumentKind.REJECTION, log_id=log.pk)


@effects.register(GRANT, "accept_report")
def issue_settlement(log: Any) -> None:
    grant = Grant.objects.only("pk", "application_id").get(pk=log.object_id)
    _issue(grant.application_id, DocumentKind.SETTLEMENT, log_id=log.pk, grant_id=grant.pk)


@effects.on_event("grants.payment_paid")
def issue_payment_advice(*, payment_id: int) -> None:
    """A payment recorded as paid (`grants.services.record_payment_paid` emits the event)."""
    found = Payment.objects.select_related("grant").filter(pk=payment_id).first()
    if found is None:
        return
    _issue(
        found.grant.application_id,
        DocumentKind.PAYMENT_ADVICE,
        grant_id=found.grant_id,
        payment_id=found.pk,
    )

"""What follows a decision on a requested change, whoever takes it (the staff page, the admin):
the amendment letter (PDF) for an approval and the e-mail to the grantee, as side effects
(`workflows.effects`), each its own row run after the commit, idempotent per audit row."""

from __future__ import annotations

from typing import Any

from amendments import emails
from amendments.models import Amendment
from applications.documents import issue_for_ids
from applications.models import DocumentKind
from workflows import effects

AMENDMENT = "amendments.amendment"


def _amendment(log: Any) -> Amendment:
    return Amendment.objects.select_related(
        "grant__application__organisation", "grant__programme", "repayment_claim"
    ).get(pk=log.object_id)


@effects.register(AMENDMENT, "approve")
def issue_amendment_letter(log: Any) -> None:
    """The amended grant agreement, stored with the approval's audit row."""
    amendment = _amendment(log)
    grant = amendment.grant
    issue_for_ids(grant.application_id, DocumentKind.AMENDMENT, log.pk, grant.pk)


@effects.register(AMENDMENT, "approve")
@effects.register(AMENDMENT, "reject")
def mail_amendment_decided(log: Any) -> None:
    emails.amendment_decided(_amendment(log), log)

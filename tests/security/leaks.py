"""What a role must never read anywhere, derived from the README's record table.

Every answer of the matrix with a body (pages, files, API, admin) is searched for these strings:
titles of applications the role may not see (each title of the world is a word nobody else
uses), internal review comments it may not read, the EndToEndIds of payments it may not see,
invitations of organisations whose members it may not see, the bank account of an
organisation it may not see (funders never read bank data), the messages and internal notes
of conversations it may not read, and for a token limited to programme X the co-funder of
another programme.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.security import spec
from tests.security.world import OTHER_FUNDER, World, interim_progress, internal_comment


@dataclass(frozen=True)
class Secret:
    pattern: re.Pattern[bytes]
    what: str
    kind: str  # title, published, review, interim, payment, invitation, iban, email, funder


def _literal(text: str) -> re.Pattern[bytes]:
    # HTML escapes apostrophes and ampersands; the world's secrets use neither.
    return re.compile(re.escape(text.encode()) + rb"(?![0-9])")


def secrets_for(role: str, world: World) -> list[Secret]:
    found: list[Secret] = []
    for key, application in world.apps.items():
        if not spec.sees_application(role, application, world):
            # A grant published by consent has a public title and reference: the open-data
            # export shows them to every reader of the API ("published"); other pages must not.
            kind = "published" if _published(application) else "title"
            found.append(Secret(_literal(application.title), f"the title of {key}", kind))
            if application.reference:
                reference = _literal(application.reference)
                found.append(Secret(reference, f"the reference of {key}", kind))
    for key, report in world.interim_reports.items():
        if not spec.sees_interim_report(role, report, world):
            text = interim_progress(key)
            found.append(Secret(_literal(text), f"the interim report of {key}", "interim"))
    for key, review in world.reviews.items():
        if not spec.sees_review(role, review, world):
            text = internal_comment(review.application)
            found.append(Secret(_literal(text), f"the internal comment of review {key}", "review"))
    for key, message in world.messages.items():
        if not spec.sees_message(role, message, world):
            kind = "note" if message.internal else "message"
            found.append(Secret(_literal(message.body), f"the {kind} {key}", kind))
    for payment in _payments(world):
        # A payment's reference is also on its ledger booking, which the ledger's readers see.
        if not spec.sees_payment(role, payment, world) and not spec.sees_ledger(role):
            what = f"payment {payment.end_to_end_id}"
            found.append(Secret(_literal(payment.end_to_end_id), what, "payment"))
    for org, (invitation, _token) in world.invitations.items():
        if not spec.sees_members(role, world.organisations[org.upper()], world):
            what = f"the invitation of {org.upper()}"
            found.append(Secret(_literal(invitation.email), what, "invitation"))
    if role == "funder_token":  # a token of programme X: the other programme's co-funder
        for text in OTHER_FUNDER:
            found.append(Secret(_literal(text), "a co-funder of another programme", "funder"))
    funder = role in ("funder", "funder_token")
    if funder:  # nor the applicants' addresses
        for applicant in ("applicant_a", "applicant_b"):
            email = world.users[applicant].email
            found.append(Secret(_literal(email), f"the e-mail of {applicant}", "email"))
    for org, organisation in world.organisations.items():
        hidden = funder or not spec.sees_organisation(role, organisation, world)
        # "What a funder sees: no e-mail addresses, bank data ..."
        if hidden and organisation.email:
            found.append(Secret(_literal(organisation.email), f"the e-mail of {org}", "email"))
        if hidden:
            iban = organisation.iban
            spaced = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
            found.append(Secret(_literal(iban), f"the IBAN of {org}", "iban"))
            found.append(Secret(_literal(spaced), f"the IBAN of {org}", "iban"))
    return found


def _published(application: Any) -> bool:
    """README: the open data holds "the awarded grants whose applicants consented to
    publication" (accepted, in any later state)."""
    grant = getattr(application, "grant", None)
    unpublished = ("offered", "declined", "lapsed")
    return "publication" in application.declarations and grant is not None and grant.status not in unpublished  # fmt: skip


def _payments(world: World) -> list[Any]:
    from grants.models import Payment

    return list(Payment.objects.select_related("grant__application").order_by("pk"))


def leaks_in(body: bytes, secrets: list[Secret], ignore: tuple[str, ...] = ()) -> list[str]:
    found = [s.what for s in secrets if s.kind not in ignore and s.pattern.search(body)]
    return list(dict.fromkeys(found))

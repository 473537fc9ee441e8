"""Writes on organisations: profile and bank account, members, invitations by e-mail."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from organisations import rules
from organisations.models import Invitation, Membership, Organisation
from workflows import clock
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.mail import send_on_commit

# Days an invitation link stays valid.
INVITATION_DAYS = 14


@transaction.atomic
def create_organisation(*, by: Any, **fields: Any) -> Organisation:
    """Create an organisation (or informal group) with `by` as its first administrator."""
    organisation = Organisation(**fields)
    organisation.full_clean()
    organisation.save()
    Membership.objects.create(organisation=organisation, user=by, role=Membership.Role.ADMIN)
    if hasattr(by, "_microgrants_orgs"):
        del by._microgrants_orgs
    return organisation


@transaction.atomic
def update_organisation(organisation: Organisation, *, by: Any, **fields: Any) -> Organisation:
    """Change profile or bank account; every value is validated (IBAN/BIC with schwifty)."""
    if not rules.can_edit_organisation(organisation, by):
        raise TransitionForbidden()
    locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked


def add_member(
    organisation: Organisation, user: Any, *, role: str = Membership.Role.MEMBER
) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        organisation=organisation, user=user, defaults={"role": role, "is_active": True}
    )
    if hasattr(user, "_microgrants_orgs"):
        del user._microgrants_orgs
    return membership


def may_manage_organisation(organisation: Organisation, user: Any) -> bool:
    """Administrators of the organisation invite people and change the bank account."""
    return (
        Membership.objects.filter(
            organisation=organisation, user=user, is_active=True, role=Membership.Role.ADMIN
        ).exists()
        if getattr(user, "is_authenticated", False)
        else False
    )


@transaction.atomic
def invite_member(
    organisation: Organisation, *, by: Any, email: str, link_for: Callable[[str], str]
) -> Invitation:
    """Invite someone by e-mail to join; an open invitation to the same address is replaced.

    Sends the invitation mail on commit; `link_for(token)` builds the absolute link.
    """
    if not may_manage_organisation(organisation, by):
        raise TransitionForbidden()
    email = Invitation._meta.get_field("email").clean(email.strip().lower(), None)
    if organisation.memberships.filter(user__email__iexact=email, is_active=True).exists():
        raise WorkflowError(
            _("%(email)s is already a member of this organisation.") % {"email": email},
            code="already_member",
        )
    now = clock.now()
    Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at=None, revoked_at=None
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        token_hash=_token_hash(token),
        invited_by=by,
        created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    send_on_commit(
        "invitation",
        to=[email],
        context={
            "organisation": organisation,
            "inviter": by.get_full_name() or by.get_username(),
            "link": link_for(token),
            "days": INVITATION_DAYS,
        },
    )
    return invitation


def invitation_by_token(token: str) -> Invitation | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_token_hash(token))
        .first()
    )


@transaction.atomic
def accept_invitation(invitation: Invitation, *, by: Any) -> Membership:
    """Join the organisation with the account whose e-mail the invitation was sent to."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open:
        raise WorkflowError(
            _(
                "This invitation is no longer valid (it was used, withdrawn or has expired). "
                "Please ask for a new one."
            ),
            code="invitation_closed",
        )
    if (by.email or "").strip().lower() != locked.email:
        raise WorkflowError(
            _(
                "This invitation was sent to %(email)s. Please sign in with that address, or ask "
                "for an invitation to your own address."
            )
            % {"email": locked.email},
            code="invitation_other_address",
        )
    membership = add_member(locked.organisation, by)
    locked.accepted_at = clock.now()
    locked.accepted_by = by
    locked.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def revoke_invitation(invitation: Invitation, *, by: Any) -> None:
    """Withdraw an invitation that was not accepted yet."""
    if not may_manage_organisation(invitation.organisation, by):
        raise TransitionForbidden()
    Invitation.objects.filter(pk=invitation.pk, accepted_at=None, revoked_at=None).update(
        revoked_at=clock.now()
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

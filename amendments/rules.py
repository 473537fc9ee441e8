"""Who may see and do what with amendments. One rule set for the grant page, the staff queue,
the admin, the API, the documents and the transitions (`permission=`).

- Seeing an amendment: whoever sees its grant (`applications.rules.visibility`: the grantee's
  members, staff in their scope and without a conflict, funders through a token within its
  programmes), except a draft, which is its organisation's alone (as a draft application is).
- Asking for one, changing and sending the draft, withdrawing it: members of the grantee
  organisation, nobody else.
- Deciding (approve, reject): a programme manager who may decide the application (no conflict,
  within the request's programmes) and did not review it, and who did not write or send the
  request (four-eyes, as for the approval of the application).

Imports flow amendments -> applications -> grants; this module imports no model of its own app
(amendments.models imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from applications import rules as application_rules
from grants import rules as grant_rules
from organisations.rules import memberships_of
from workflows.roles import Role, has_role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from amendments.models import Amendment

DRAFT = "draft"


def amendments_visible_to(queryset: QuerySet[Amendment], user: Any) -> QuerySet[Amendment]:
    """The amendments of the grants `user` sees; drafts only to the grantee's members."""
    seen = application_rules.visibility(user, prefix="grant__application__")
    if seen is None:
        return queryset.none()
    members = Exists(
        memberships_of(user).filter(organisation_id=OuterRef("grant__application__organisation_id"))
    )
    return queryset.filter(seen & (~Q(status=DRAFT) | Q(members)))


def may_ask(grant: Any, user: Any) -> bool:
    """Start a request for a grant: a member of the grantee organisation."""
    return grant_rules.can_act_for_grantee(grant, user)


def is_grantee(amendment: Any, user: Any) -> bool:
    """Change, send or withdraw a request: a member of the grantee organisation."""
    return grant_rules.can_act_for_grantee(amendment.grant, user)


def asked_by(amendment: Any, user: Any) -> bool:
    """The user wrote or sent the request."""
    pk = getattr(user, "pk", None)
    return pk is not None and pk in (amendment.created_by_id, amendment.submitted_by_id)


def can_decide(amendment: Any, user: Any) -> bool:
    """A programme manager who may decide the application and did not review it, and who did
    not ask for the change (four-eyes)."""
    application = amendment.grant.application
    return application_rules.can_decide(application, user) and not asked_by(amendment, user)


def may_open_queue(user: Any) -> bool:
    """The staff queue of requests: programme managers (who decide) and administrators (who
    watch); the list shows only what each may see."""
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def sees_working_fields(user: Any) -> bool:
    """The grantee's explanation, the fund's notes, budget lines and partners: staff (and the
    grantee on its pages); funders read the public field set through the API."""
    return grant_rules.sees_internal_api_fields(user)

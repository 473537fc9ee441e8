"""Who reads and writes an application's conversation: one rule set for every door (the
application and grant pages, the conversation list, the header's count, the files, the e-mails
and their digest, the API).

- The conversation is read by the applying organisation's active members and by the staff who
  see behind the application (`applications.rules.visibility` without funders: reviewers of its
  programmes, managers, finance officers and administrators; whoever is in conflict with the
  application, declared or found, reads nothing of it as staff). Funders never read it: it
  holds personal data, like the application's files. A draft has no conversation: the fund
  cannot see it yet.
- Internal notes are read by those staff only, and never by an active member of the applying
  organisation, whatever else that person is.
- Both sides write while the application is not a draft; notes are the staff's.

Predicates take (application, user); the querysets are filtered with conditions on the rows they
are given (this module imports no model of its own app).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from applications import rules as application_rules
from organisations.rules import memberships_of
from workflows.roles import STAFF_ROLES, Role, has_role, is_active_user

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from conversations.models import Conversation, Message

DRAFT = "draft"


# --- one application --------------------------------------------------------------------------


def is_member(application: Any, user: Any) -> bool:
    """An active member of the applying organisation: writes for the organisation."""
    return application_rules.is_applicant(application, user)


def reads_as_staff(application: Any, user: Any) -> bool:
    """Staff who see behind the application (not a draft, no conflict, within their scope) and
    are not members of the applying organisation (members read as members, whatever their
    role; reviewers and managers who ever were are in conflict anyway)."""
    if not has_role(user, *STAFF_ROLES) or application.status == DRAFT:
        return False
    if is_member(application, user):
        return False
    return application_rules.sees_behind(application, user)


def may_read(application: Any, user: Any) -> bool:
    """The conversation: the organisation's members and the staff who see behind it."""
    if application.status == DRAFT:
        return False
    return is_member(application, user) or reads_as_staff(application, user)


def may_write(application: Any, user: Any) -> bool:
    """Both sides write once the application is submitted (whatever became of it since)."""
    return may_read(application, user)


def may_read_notes(application: Any, user: Any) -> bool:
    return reads_as_staff(application, user)


def may_write_note(application: Any, user: Any) -> bool:
    return reads_as_staff(application, user)


def may_offer_change_request(application: Any, user: Any) -> bool:
    """Whether a page offers to turn messages into the formal request for changes: staff with
    the reviewer's role, while the application waits for its formal check. Cheap (state and
    role only), for every message of a page; the page that does it asks `may_request_changes`
    and `perform()` asks the transition's permission."""
    return application.status == "submitted" and has_role(user, Role.REVIEWER)


def may_request_changes(application: Any, user: Any) -> bool:
    """Whether to offer turning a message into the formal request for changes: the application
    waits for its formal check and `user` may check it (the transition's own permission,
    which `perform()` asks again)."""
    return (
        application.status == "submitted"
        and reads_as_staff(application, user)
        and application_rules.can_check_formally(application, user)
    )


# --- querysets ------------------------------------------------------------------------------------


def _staff_side(user: Any, prefix: str) -> Q | None:
    """Applications (reached by `prefix`) whose notes `user` reads, as a condition."""
    if not has_role(user, *STAFF_ROLES):
        return None
    behind = application_rules.visibility(user, prefix=prefix, include_funders=False)
    if behind is None:
        return None
    own = memberships_of(user).filter(organisation_id=OuterRef(f"{prefix}organisation_id"))
    return behind & ~Q(Exists(own)) & ~Q(**{f"{prefix}status": DRAFT})


def _member_side(user: Any, prefix: str) -> Q:
    own = memberships_of(user).filter(organisation_id=OuterRef(f"{prefix}organisation_id"))
    return Q(Exists(own)) & ~Q(**{f"{prefix}status": DRAFT})


def conversation_condition(user: Any, prefix: str = "") -> Q | None:
    """Applications (reached by `prefix`) whose conversation `user` reads; None for none."""
    if not is_active_user(user):
        return None
    condition = _member_side(user, prefix)
    staff = _staff_side(user, prefix)
    return condition if staff is None else condition | staff


def conversations_visible_to(queryset: QuerySet[Conversation], user: Any) -> QuerySet[Conversation]:
    condition = conversation_condition(user, "application__")
    return queryset.none() if condition is None else queryset.filter(condition)


def messages_visible_to(queryset: QuerySet[Message], user: Any) -> QuerySet[Message]:
    """The messages of the conversations `user` reads; internal notes only on the staff side."""
    if not is_active_user(user):
        return queryset.none()
    prefix = "conversation__application__"
    condition = _member_side(user, prefix) & Q(internal=False)
    staff = _staff_side(user, prefix)
    if staff is not None:
        condition |= staff
    return queryset.filter(condition)

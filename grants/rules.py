"""Who may see and do what on the funder side. One rule set for views, API, transitions, querysets.

Predicates take (obj, user) in django-fsm's order; `user=None` is the system (scheduler).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workflows.roles import Role, has_role
from workflows.roles import is_system as system_actor

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from grants.models import Grant


def is_reviewer(obj: Any, user: Any) -> bool:
    return has_role(user, Role.REVIEWER)


def is_manager(obj: Any, user: Any) -> bool:
    return has_role(user, Role.MANAGER)


def is_finance(obj: Any, user: Any) -> bool:
    return has_role(user, Role.FINANCE, Role.ADMINISTRATOR)


def is_system(obj: Any, user: Any) -> bool:
    """Only the scheduler or an automatic completion (`by=None`)."""
    return system_actor(user)


def can_act_for_grantee(grant: Any, user: Any) -> bool:
    """A member of the grantee organisation (never anyone else, not even staff)."""
    return user is not None and grant.application.organisation.has_member(user)


def can_accept_report(grant: Any, user: Any) -> bool:
    """A reviewer who has not handled this grant's money (four-eyes with the payer)."""
    return (
        has_role(user, Role.REVIEWER) and not grant.payments.filter(recorded_paid_by=user).exists()
    )


def can_cancel_grant(grant: Any, user: Any) -> bool:
    return can_act_for_grantee(grant, user) or has_role(user, Role.MANAGER)


def can_close_grant(grant: Any, user: Any) -> bool:
    return user is None or has_role(user, Role.FINANCE)


def sees_all_grants(user: Any) -> bool:
    return has_role(
        user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.FUNDER, Role.ADMINISTRATOR
    )


def grants_visible_to(queryset: QuerySet[Grant], user: Any) -> QuerySet[Grant]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if sees_all_grants(user):
        return queryset
    from django.apps import apps

    memberships = apps.get_model("applications", "Membership").objects
    own = memberships.filter(user=user, is_active=True).values("organisation_id")
    return queryset.filter(application__organisation__in=own)


# --- the REST API ---------------------------------------------------------------------------------


def may_use_api_token(user: Any) -> bool:
    """A token reads the API for funders and staff; an applicant's account has no API."""
    return has_role(
        user, Role.FUNDER, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR
    )


def may_use_api_session(user: Any) -> bool:
    """Signed-in staff may read the API in the browser. Funders use their token: its programmes
    are the limit of what they read, and a session has none."""
    return has_role(user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR)


def sees_internal_api_fields(user: Any) -> bool:
    """Staff see the working fields (addresses, notes, scores); funders the public ones."""
    return has_role(user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR)


def may_read_payments(user: Any) -> bool:
    return is_finance(None, user)

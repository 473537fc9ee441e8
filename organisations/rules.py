"""Who may see and change organisations, their memberships and invitations.

Predicates take (obj, user) in django-fsm's order. This app sits below the applications: what an
organisation's applications decide (a reviewer sees the organisations of the applications they
may see) is asked through the reverse relation, never imported. This module imports no model of
its own app either; it reaches memberships through the user (`user.memberships`) and the
querysets it is given, so that `models -> rules` stays one way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef

from workflows.roles import Role, has_role, is_active_user

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from organisations.models import Invitation, Membership, Organisation


def memberships_of(user: Any, *, active_only: bool = True) -> QuerySet[Membership]:
    """The memberships of an account (callers have checked `is_active_user`), only the active
    ones unless `active_only=False`."""
    memberships = user.memberships.all()
    return memberships.filter(is_active=True) if active_only else memberships


def organisations_visible_to(queryset: QuerySet[Organisation], user: Any) -> QuerySet[Organisation]:
    """Members see their organisations; administrators, finance officers and managers all;
    reviewers those with an application they may see; funders none (the API shows them the
    public part of an organisation with its applications)."""
    if not is_active_user(user):
        return queryset.none()
    if has_role(user, Role.ADMINISTRATOR, Role.FINANCE, Role.MANAGER):
        return queryset
    own = Exists(memberships_of(user).filter(organisation_id=OuterRef("pk")))
    if has_role(user, Role.REVIEWER):
        seen = _application_model(queryset.model)._default_manager.visible_to(user)
        return queryset.filter(own | Exists(seen.filter(organisation_id=OuterRef("pk"))))
    return queryset.filter(own)


def _application_model(model: Any) -> Any:
    """The applications of an organisation (the applicant side, above this app)."""
    return model._meta.get_field("applications").related_model


def memberships_visible_to(queryset: QuerySet[Membership], user: Any) -> QuerySet[Membership]:
    """Who belongs to an organisation: its members and administrators."""
    if has_role(user, Role.ADMINISTRATOR):
        return queryset
    if not is_active_user(user):
        return queryset.none()
    return queryset.filter(organisation__in=memberships_of(user).values("organisation_id"))


def invitations_visible_to(queryset: QuerySet[Invitation], user: Any) -> QuerySet[Invitation]:
    """Invitations of an organisation: its members and administrators."""
    return memberships_visible_to(queryset, user)  # type: ignore[arg-type, return-value]


def can_edit_organisation(organisation: Organisation, user: Any) -> bool:
    return organisation.has_member(user) or has_role(user, Role.ADMINISTRATOR)

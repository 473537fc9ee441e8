"""Who may do what with the showcase of funded projects. One place for the views, the admin and
the transitions (`permission=`).

- Members of the grantee organisation consent, write the public page, upload photos, submit
  it and withdraw consent; nobody else, not even staff, speaks for the organisation.
- Programme managers and administrators moderate: publish, ask for changes, hide.
- What the public reads is not a question of the user: `selectors.public_showcases`.

Predicates take (obj, user) in django-fsm's order. This module imports no model of its own app
(`models -> rules` stays one way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef

from organisations.rules import memberships_of
from workflows.roles import Role, has_role, is_active_user

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from public.models import ProjectShowcase, ShowcasePhoto

MODERATORS = (Role.MANAGER, Role.ADMINISTRATOR)


def _grant_of(obj: Any) -> Any:
    """The grant a showcase, a photo or a grant itself belongs to."""
    if hasattr(obj, "showcase_id") and hasattr(obj, "alt_text"):  # a photo
        obj = obj.showcase
    return getattr(obj, "grant", obj)


def may_manage_showcase(obj: Any, user: Any) -> bool:
    """A member of the grantee organisation (never anyone else, not even staff)."""
    if not is_active_user(user):
        return False
    return bool(_grant_of(obj).application.organisation.has_member(user))


def may_moderate(obj: Any, user: Any) -> bool:
    return has_role(user, *MODERATORS)


def showcases_visible_to(queryset: QuerySet[ProjectShowcase], user: Any) -> QuerySet[ProjectShowcase]:  # fmt: skip
    """Moderators see every showcase; members their organisation's; nobody else any (the
    public reads the published ones through the selectors, not as a user)."""
    if not is_active_user(user):
        return queryset.none()
    if has_role(user, *MODERATORS):
        return queryset
    own = memberships_of(user).filter(
        organisation_id=OuterRef("grant__application__organisation_id")
    )
    return queryset.filter(Exists(own))


def photos_visible_to(queryset: QuerySet[ShowcasePhoto], user: Any) -> QuerySet[ShowcasePhoto]:
    if not is_active_user(user):
        return queryset.none()
    if has_role(user, *MODERATORS):
        return queryset
    own = memberships_of(user).filter(
        organisation_id=OuterRef("showcase__grant__application__organisation_id")
    )
    return queryset.filter(Exists(own))

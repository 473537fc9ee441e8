"""Staff roles are Django groups; these helpers are the only place that names them."""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    REVIEWER = "reviewer"
    MANAGER = "programme_manager"
    FINANCE = "finance_officer"
    FUNDER = "funder"
    ADMINISTRATOR = "administrator"


STAFF_ROLES = (Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR)

# What a page calls each role (never its code).
ROLE_LABELS = {
    Role.REVIEWER: _("reviewer"),
    Role.MANAGER: _("programme manager"),
    Role.FINANCE: _("finance officer"),
    Role.FUNDER: _("funder"),
    Role.ADMINISTRATOR: _("administrator"),
}


def role_label(name: str) -> str:
    """A role's name in the active language ("programme_manager" -> "Programmverantwortliche")."""
    try:
        return str(ROLE_LABELS[Role(name)])
    except ValueError:
        return name


def is_active_user(user: Any) -> bool:
    """Signed in (or authenticated by a token) with an account that is not disabled."""
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def role_names(user: Any) -> frozenset[str]:
    """The user's role names, cached on the user object for the length of a request."""
    if not is_active_user(user):
        return frozenset()
    cached = getattr(user, "_microgrants_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            cached = cached | {Role.ADMINISTRATOR.value}
        user._microgrants_roles = cached
    return cached


def has_role(user: Any, *roles: Role) -> bool:
    names = role_names(user)
    return any(role.value in names for role in roles)


def is_system(user: Any) -> bool:
    """The scheduler and internal completions act as `by=None`; no request ever carries None."""
    return user is None

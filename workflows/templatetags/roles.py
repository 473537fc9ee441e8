"""`{% load roles %}`: `{% if user|has_any_role:"programme_manager administrator" %}`.

The same role check as the views (cached on the user for the request), so a menu entry costs
no query of its own."""

from __future__ import annotations

from typing import Any

from django import template

from workflows import roles
from workflows.roles import Role, has_role

register = template.Library()


@register.filter
def has_any_role(user: Any, names: str) -> bool:
    roles = [Role(name) for name in names.split() if name in Role._value2member_map_]
    return has_role(user, *roles)


@register.filter(name="role_label")
def role_label_filter(name: str) -> str:
    """`{{ name|role_label }}`: the role by its name in the page's language."""
    return roles.role_label(name)

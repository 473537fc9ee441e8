"""`{% load roles %}`: `{% if user|has_any_role:"programme_manager administrator" %}`.

The same role check as the views (cached on the user for the request), so a menu entry costs
no query of its own."""

from __future__ import annotations

from typing import Any

from django import template

from workflows.roles import Role, has_role

register = template.Library()


@register.filter
def has_any_role(user: Any, names: str) -> bool:
    roles = [Role(name) for name in names.split() if name in Role._value2member_map_]
    return has_role(user, *roles)

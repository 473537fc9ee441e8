"""Who may see and manage webhook subscriptions and their delivery logs.

Administrators create, change, disable and renew them (the admin); a subscription's owner (a
funder or staff account) sees their own and its deliveries on the website; nobody else sees any.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from grants.rules import may_use_api_token
from workflows.roles import Role, has_role, is_active_user


def manages_webhooks(user: Any) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def subscriptions_visible_to(queryset: QuerySet[Any], user: Any) -> QuerySet[Any]:
    if not is_active_user(user):
        return queryset.none()
    if manages_webhooks(user):
        return queryset
    return queryset.filter(owner=user)


def may_see_subscriptions_page(user: Any) -> bool:
    """The page of one's subscriptions: whoever may own one (funders and staff)."""
    return is_active_user(user) and may_use_api_token(user)

"""Where each role lands after signing in: its own workspace, not the applicants' list."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from workflows.roles import Role, has_role

# The first that applies, in this order: someone with several roles lands where the most of
# their work waits (a manager who also reviews: the review workspace, where both are).
WORKSPACES: tuple[tuple[tuple[Role, ...], str], ...] = (
    ((Role.ADMINISTRATOR, Role.MANAGER, Role.REVIEWER), "reviews:overview"),
    ((Role.FINANCE,), "finance:payments"),
    ((Role.FUNDER,), "dashboards:overview"),
)
APPLICANT_WORKSPACE = "applications:home"


def workspace_url(user: Any) -> str:
    for roles, name in WORKSPACES:
        if has_role(user, *roles):
            return reverse(name)
    return reverse(APPLICANT_WORKSPACE)

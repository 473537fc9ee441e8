"""Who reads the programme dashboard: programme managers and administrators (every programme,
the applications they may see), and funders signed in on the website (the programmes of their
API tokens, sums only: no application, organisation or person).

The funder's programme scope is the API's (`grants.rules.token_programmes`): a funder reads on
the website what their tokens read through the API, nothing more.
"""

from __future__ import annotations

from typing import Any

from workflows.roles import Role, has_role


def reads_as_staff(user: Any) -> bool:
    """Programme managers and administrators: the dashboard of every programme."""
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def reads_as_funder(user: Any) -> bool:
    """A funder (without a managing role): the dashboard within their tokens' programmes."""
    return has_role(user, Role.FUNDER) and not reads_as_staff(user)


def sees_dashboard(user: Any) -> bool:
    return reads_as_staff(user) or reads_as_funder(user)


def sees_personal_data(user: Any) -> bool:
    """Staff may follow a figure to the applications behind it; funders read sums only."""
    return reads_as_staff(user)

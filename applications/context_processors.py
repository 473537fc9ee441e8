"""What every page's header needs: the user's organisations and the one they work for.

Both are callables, so a page that does not show them (the admin) runs no query for them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest

from applications import selectors


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organisation": partial(selectors.current_organisation, request),
        "my_organisations": partial(selectors.my_organisations, request),
    }

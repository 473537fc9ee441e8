"""What every page's header needs: the user's organisations and the one they work for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from applications import selectors


def portal(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_organisation": selectors.current_organisation(request),
        "my_organisations": selectors.my_organisations(request),
    }

"""Who reaches the finance workspace: finance officers and administrators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from grants import rules


def finance_only(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in required (anonymous visitors go to the sign-in page); anyone signed in but finance
    officers and administrators gets 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not rules.is_finance(None, request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper

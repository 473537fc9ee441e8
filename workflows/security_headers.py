"""Response headers that tell the browser which of its features no page of the app may use.

The Content-Security-Policy comes from django-csp (settings.CONTENT_SECURITY_POLICY); this
module adds the Permissions-Policy, built once from settings.MICROGRANTS_PERMISSIONS_POLICY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

HEADER = "Permissions-Policy"


def permissions_policy(features: Mapping[str, Sequence[str]]) -> str:
    """The header's value: `camera=()` denies a feature, `fullscreen=(self)` allows it to the
    page's own origin, `x=("https://a.example")` to a listed origin."""
    parts = []
    for feature, allowed in features.items():
        origins = " ".join(o if o in ("self", "*") else f'"{o}"' for o in allowed)
        parts.append(f"{feature}=({origins})")
    return ", ".join(parts)


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy to every response that does not carry its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.value = permissions_policy(settings.MICROGRANTS_PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.value and HEADER not in response:
            response[HEADER] = self.value
        return response

"""Rate limits of the partner exchange: contacting organisations and reporting abuse.

Counted per hour in the (shared) cache, per account and per client address (behind the trusted
proxies, `workflows.http.client_ip`), so that neither one account nor one machine can flood the
posters. Only what was accepted counts; over a limit the page says so (status 429) and keeps
what was typed.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from workflows import clock
from workflows.http import client_ip

WINDOW = timedelta(hours=1)


class Action(StrEnum):
    CONTACT = "contact"
    REPORT = "report"


def _limits(action: Action) -> tuple[int, int]:
    """(per account, per client address) for one hour."""
    if action == Action.CONTACT:
        return (
            settings.MICROGRANTS_PARTNER_CONTACTS_PER_USER,
            settings.MICROGRANTS_PARTNER_CONTACTS_PER_CLIENT,
        )
    return (
        settings.MICROGRANTS_PARTNER_REPORTS_PER_USER,
        settings.MICROGRANTS_PARTNER_REPORTS_PER_CLIENT,
    )


def _keys(action: Action, request: HttpRequest) -> list[tuple[str, int]]:
    per_user, per_client = _limits(action)
    window = int(clock.now().timestamp()) // int(WINDOW.total_seconds())
    keys = [(f"partners:{action}:client:{client_ip(request) or 'unknown'}:{window}", per_client)]
    user: Any = request.user
    if user.is_authenticated:
        keys.append((f"partners:{action}:user:{user.pk}:{window}", per_user))
    return keys


def is_limited(action: Action, request: HttpRequest) -> bool:
    """Has this account or this client reached its limit of `action` for the hour?"""
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(action, request))


def count(action: Action, request: HttpRequest) -> None:
    """Count one accepted `action` for this account and this client."""
    timeout = 2 * int(WINDOW.total_seconds())
    for key, _limit in _keys(action, request):
        cache.add(key, 0, timeout=timeout)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)


LIMITED_MESSAGES = {
    Action.CONTACT: _(
        "You have sent many messages in the last hour. To protect the organisations from "
        "spam, please wait an hour before you write again. Your text is kept below."
    ),
    Action.REPORT: _(
        "Many reports have come from your connection in the last hour. Please try again in an hour."
    ),
}

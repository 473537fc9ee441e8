"""The header's count of unread messages, as a callable: a page that does not show it (the
admin, a download) runs no query for it, and the header asks it once."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.http import HttpRequest

from conversations import selectors
from grants.rules import is_funder_only


def unread(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        # Funders read no conversation: no link for them.
        "messages_nav": partial(_shows_link, user),
        "unread_messages": partial(selectors.unread_count, user),
    }


def _shows_link(user: Any) -> bool:
    return not is_funder_only(user)

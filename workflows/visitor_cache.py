"""Public pages (the public side and the partner exchange) are cached per language and address for visitors who are not signed in, and
all of them are invalidated at once when something they show changes: a page text, the fund,
a programme, a call, a publication or a consent (see `invalidate_public_pages`).

The key carries a generation token kept in the cache itself: invalidating replaces the token,
so every older entry is unreachable at once and ages out. The cache must be shared by all web
workers for that (Redis or the database table; the deploy check warns about a per-process
cache). The day is part of the key too, because a call opens and closes by date."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from workflows import clock

GENERATION_KEY = "public-pages:generation"
# Answers worth keeping: pages, and the answers that say a project is gone or never was.
CACHED_STATUSES = frozenset({200, 404, 410})
# Headers of the view's own that belong to the content (a download's file name, say); cookies
# and anything else about one visitor are never kept.
KEPT_HEADERS = ("Content-Disposition", "Cache-Control", "Last-Modified", "X-Robots-Tag")

View = Callable[..., HttpResponse]


def public_generation() -> str:
    """The current generation token (made on first use)."""
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        token = cache.get(GENERATION_KEY) or ""
    return str(token)


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)


def invalidate_public_pages(**_signal_arguments: Any) -> None:
    """Forget every cached public page (a signal receiver, too): now, and again when the
    transaction that made the change commits. A visitor who asks in between still reads the
    old rows and may cache them under the new token; the second replacement forgets that."""
    _new_generation()
    transaction.on_commit(_new_generation)


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if request.user.is_authenticated:
        return False  # their header names them
    # A message waiting to be shown (after signing out, say) belongs to this visitor alone.
    return len(messages.get_messages(request)) == 0


def _key(request: HttpRequest) -> str:
    # The host is part of it: pages carry absolute addresses (canonical, hreflang, sitemap).
    address = request.get_host() + request.get_full_path()
    raw = f"{public_generation()}|{get_language()}|{clock.today().isoformat()}|{address}"
    return "public-pages:page:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_for_visitors(view: View) -> View:
    """Serve the view's answer from the cache for visitors who are not signed in. Only the
    status, the body and the content's own headers are kept: no cookie and no token of one
    visitor reaches another."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _cacheable_request(request):
            return view(request, *args, **kwargs)
        key = _key(request)
        kept = cache.get(key)
        if kept is not None:
            status, headers, body = kept
            answer = HttpResponse(body, status=status)
            for name, value in headers:
                answer[name] = value
            return answer
        response = view(request, *args, **kwargs)
        if (
            response.status_code in CACHED_STATUSES
            and not response.streaming
            and not response.cookies
            and not getattr(response, "csrf_cookie_set", False)
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            headers = [
                (name, response[name])
                for name in ("Content-Type", *KEPT_HEADERS)
                if response.has_header(name)
            ]
            cache.set(
                key,
                (response.status_code, headers, response.content),
                settings.PUBLIC_PAGES_CACHE_SECONDS,
            )
        return response

    return wrapper

"""Issuing, finding and revoking the secret address of a user's calendar feed.

Like the API tokens (grants/api/tokens.py): the secret is shown once and stored as a SHA-256;
a short prefix in clear finds the row, and the hash is compared in constant time. A new address
replaces the old one at once; revoking deletes the feed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from calendars.models import CalendarFeed
from workflows import clock
from workflows.roles import is_active_user

# mgc_<8 hex: the prefix, stored in clear>_<43 characters of secret>
TOKEN_PATTERN = re.compile(r"^mgc_(?P<prefix>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})$")
# Calendar apps poll every few minutes to hours; stamping each fetch would be a write a poll.
LAST_FETCH_RESOLUTION = timedelta(minutes=15)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    prefix = secrets.token_hex(4)
    return prefix, f"mgc_{prefix}_{secrets.token_urlsafe(32)}"


def _language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return language if language in codes else codes[0]


@transaction.atomic
def issue_feed(user: Any, *, language: str) -> tuple[CalendarFeed, str]:
    """A new secret address for `user`'s feed (the old one stops working); returns the feed and
    the secret, which is stored nowhere."""
    prefix, raw = _new_token()
    while CalendarFeed.objects.filter(prefix=prefix).exists():  # 1 in 4 billion per feed
        prefix, raw = _new_token()
    feed, _created = CalendarFeed.objects.select_for_update().update_or_create(
        user=user,
        defaults={
            "prefix": prefix,
            "token_hash": token_hash(raw),
            "language": _language(language),
            "created_at": clock.now(),
            "last_fetched_at": None,
        },
    )
    return feed, raw


def set_language(user: Any, *, language: str) -> bool:
    """The language of the events' texts; False if the user has no feed."""
    return bool(CalendarFeed.objects.filter(user=user).update(language=_language(language)))


def revoke_feed(user: Any) -> bool:
    """The feed's address answers 404 from now on; False if there was none."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def feed_of(user: Any) -> CalendarFeed | None:
    """The user's feed, if they made one (its secret is not in it)."""
    return CalendarFeed.objects.filter(user=user).first()


def feed_for(raw: str) -> CalendarFeed | None:
    """The feed whose secret is `raw`, of an active account; else None (tampered, replaced,
    revoked, or the account disabled)."""
    match = TOKEN_PATTERN.match(raw)
    if match is None:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(prefix=match["prefix"]).first()
    if feed is None or not hmac.compare_digest(feed.token_hash, token_hash(raw)):
        return None
    if not is_active_user(feed.user):
        return None
    return feed


def record_fetch(feed: CalendarFeed) -> None:
    """Stamp last_fetched_at, at most once per LAST_FETCH_RESOLUTION."""
    now = clock.now()
    if feed.last_fetched_at is not None and now - feed.last_fetched_at < LAST_FETCH_RESOLUTION:
        return
    CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    feed.last_fetched_at = now

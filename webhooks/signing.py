"""Signatures of webhook payloads: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's
secret, sent as `Microgrants-Signature: v1=<hex>` beside `Microgrants-Timestamp: <unix seconds>`.

A receiver recomputes the HMAC over the timestamp header, a dot and the raw body, compares it in
constant time and refuses a timestamp older than a few minutes (a replayed request). The README
("Webhooks") shows it in a few lines of Python.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Microgrants-Signature"
TIMESTAMP_HEADER = "Microgrants-Timestamp"
ID_HEADER = "Microgrants-Delivery"
EVENT_HEADER = "Microgrants-Event"
VERSION = "v1"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, no secret
# How old a timestamp a receiver should still accept (what `verify` uses by default).
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value for `body` sent at `timestamp`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def verify(
    secret: str,
    *,
    timestamp: str,
    body: bytes,
    header: str,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (the README's snippet, as the tests run it)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > tolerance:
        return False
    expected = signature(secret, sent, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in header.split(","))

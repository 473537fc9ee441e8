"""Who is at the other end of a request, when the app runs behind reverse proxies; and the
outcomes of a bulk POST carried to the page it redirects to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, as the outermost of MICROGRANTS_TRUSTED_PROXIES proxies saw it.

    Each proxy appends the address it was reached from to X-Forwarded-For, so with N trusted
    proxies the client is the N-th entry from the right; what stands further left came from
    the client and may be forged. Without proxies (the default) it is REMOTE_ADDR, and the
    header is ignored. The sign-in limit (django-axes) and the account-mail limit use this.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.MICROGRANTS_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    entries = [entry.strip() for entry in forwarded if entry.strip()]
    if not entries:
        return remote
    # Fewer entries than proxies: a proxy did not add one; the left-most is the best known.
    chosen = entries[-proxies] if len(entries) >= proxies else entries[0]
    return _valid(chosen) or remote


# --- the outcomes of a bulk POST, for the page it redirects to -------------------------------------


@dataclass(frozen=True)
class BulkOutcomes:
    """What a bulk action did, one dict per item with at least an "ok" key. Kept in the
    session by the POST and taken (once) by the page it redirects to, so that reloading that
    page sends nothing again."""

    rows: list[dict[str, Any]]

    @property
    def ok(self) -> int:
        return sum(1 for row in self.rows if row["ok"])

    @property
    def refused(self) -> int:
        return len(self.rows) - self.ok


def keep_bulk_outcomes(request: HttpRequest, key: str, rows: list[dict[str, Any]]) -> None:
    request.session[key] = rows


def take_bulk_outcomes(request: HttpRequest, key: str) -> BulkOutcomes | None:
    rows = request.session.pop(key, None)
    return BulkOutcomes(rows) if rows else None

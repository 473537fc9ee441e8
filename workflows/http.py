"""Who is at the other end of a request, when the app runs behind reverse proxies."""

from __future__ import annotations

import ipaddress

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

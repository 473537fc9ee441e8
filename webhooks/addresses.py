"""Which receiver addresses a webhook may be sent to (against server-side request forgery).

A receiver must be https, and its host must resolve to public addresses only: none private,
loopback, link-local, multicast, reserved or otherwise not global. Both are checked when the
subscription is saved AND at every delivery, where the connection then goes to the very address
that was checked (so a name that resolves to a public address at the check and to 127.0.0.1 a
moment later, DNS rebinding, cannot slip through). Development (DEBUG) allows http and private
addresses; `MICROGRANTS_WEBHOOK_ALLOW_HTTP` and `MICROGRANTS_WEBHOOK_ALLOW_PRIVATE` allow them
outside it (tests, a receiver on the same private network on purpose).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class Target:
    """Where a delivery connects: the URL's parts and the checked address to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def allows_http() -> bool:
    return bool(settings.DEBUG or getattr(settings, "MICROGRANTS_WEBHOOK_ALLOW_HTTP", False))


def allows_private() -> bool:
    return bool(settings.DEBUG or getattr(settings, "MICROGRANTS_WEBHOOK_ALLOW_PRIVATE", False))


def _parts(url: str) -> tuple[str, str, int, str]:
    """Scheme, host, port and path of `url`, or a ValidationError in words."""
    try:
        split = urlsplit((url or "").strip())
        port = split.port
    except ValueError:
        raise ValidationError(_("This is not a valid web address."), code="invalid_url") from None
    scheme = split.scheme.lower()
    if scheme not in DEFAULT_PORTS or not split.hostname:
        raise ValidationError(
            _("Enter a full web address starting with https://."), code="invalid_url"
        )
    if scheme != "https" and not allows_http():
        raise ValidationError(
            _(
                "The receiver must use https:// (an http:// address would send the events unencrypted)."
            ),
            code="not_https",
        )
    if split.username or split.password:
        raise ValidationError(
            _("The address must not contain a user name or password."), code="credentials_in_url"
        )
    path = split.path or "/"
    if split.query:
        path += "?" + split.query
    return scheme, split.hostname, port or DEFAULT_PORTS[scheme], path


def is_public(address: str) -> bool:
    """A global unicast address: not private, loopback, link-local, multicast, reserved,
    unspecified, shared (100.64/10) or a mapped form of one of them."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to now (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(
            _("The receiver's host name “%(host)s” cannot be resolved.") % {"host": host[:100]},
            code="unresolvable",
        ) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check(url: str) -> Target:
    """The target to connect to for `url`, or a ValidationError saying why it is refused."""
    scheme, host, port, path = _parts(url)
    addresses = resolve(host, port)
    if not addresses:
        raise ValidationError(
            _("The receiver's host name “%(host)s” cannot be resolved.") % {"host": host[:100]},
            code="unresolvable",
        )
    if not allows_private():
        refused = [address for address in addresses if not is_public(address)]
        if refused:
            raise ValidationError(
                _(
                    "The receiver's host resolves to %(address)s, a private, loopback or "
                    "reserved address; webhooks are only sent to public addresses."
                )
                % {"address": refused[0]},
                code="private_address",
            )
    return Target(scheme=scheme, host=host, port=port, path=path, address=addresses[0])


def validate_receiver_url(url: str) -> None:
    """For forms and services: the ValidationError of `check`, nothing otherwise."""
    check(url)

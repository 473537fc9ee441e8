"""Who the e-mails come from: the display name of From, the Reply-To, and the words the
templates sign with.

`workflows` knows no fund, so the app that does registers one function (`register`) that names
the sender of a message, asked under the recipient's language while the message is rendered
(`workflows.outbox.queue_mail`, and the password-reset mail Django sends itself). Its `context`
reaches every template of the message: the sign-off (`emails/_sign_off.*`) reads it. The address
of From stays the one of DEFAULT_FROM_EMAIL (the mail server must be allowed to send for it);
only its display name changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings


@dataclass(frozen=True)
class Sender:
    """The sender of one message, in its recipient's language."""

    name: str = ""  # the display name of From; empty: DEFAULT_FROM_EMAIL as it is
    reply_to: tuple[str, ...] = ()
    context: Mapping[str, Any] = field(default_factory=dict)  # for the templates


SenderFor = Callable[[Any], Sender]
_provider: list[SenderFor] = []


def register(provider: SenderFor) -> SenderFor:
    """Make `provider(about)` the one that names senders (`about`: what the message is about,
    e.g. a fund, or None). The last registration wins."""
    _provider[:] = [provider]
    return provider


def site_host() -> str:
    """The site's host name (from MICROGRANTS_SITE_URL): what a message calls the site when no
    one has named it."""
    url = os.environ.get("MICROGRANTS_SITE_URL", "http://127.0.0.1:8000")
    return urlsplit(url).netloc or url


def fallback() -> Sender:
    """The sender of an installation that has not named itself yet."""
    return Sender(context={"site_name": site_host()})


def sender_for(about: Any = None) -> Sender:
    """The sender of a message about `about`, in the active language."""
    if not _provider:
        return fallback()
    return _provider[0](about)


def from_header(sender: Sender | str) -> str:
    """The From of a message: DEFAULT_FROM_EMAIL's address with the sender's display name
    (a name or a Sender). Quotes and line breaks in the name cannot leave the quoted part."""
    name = sender.name if isinstance(sender, Sender) else sender
    _default_name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    address = address or settings.DEFAULT_FROM_EMAIL
    name = " ".join((name or "").split())
    if not name:
        return str(settings.DEFAULT_FROM_EMAIL)
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{address}>'

"""E-mails rendered from three templates each: `emails/<name>.subject.txt`, `.txt`, `.html`.

Rendered in the recipient's language and queued in the durable outbox (`workflows.outbox`)
with the surrounding transaction, so a rolled-back change sends nothing and a mail server that
is down delays the message instead of losing it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.utils import translation

from workflows.outbox import queue_mail


def _language(language: str | None) -> str:
    return language or translation.get_language() or settings.LANGUAGE_CODE


def send_on_commit(
    name: str, *, to: list[str], context: dict[str, Any], language: str | None = None
) -> None:
    """Render now (in the current language) and queue it in the outbox; it goes out once the
    transaction commits.

    Each call is a new message (an account mail may legitimately be sent again, e.g. a new
    confirmation link), so the key is the message's name and a random part.
    """
    queue_mail(
        name,
        to=to,
        context=context,
        language=_language(language),
        key=f"{name}:{uuid.uuid4().hex}",
    )

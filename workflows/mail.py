"""E-mails rendered from three templates each: `emails/<name>.subject.txt`, `.txt`, `.html`.

Rendered in the recipient's language and sent when the surrounding transaction commits, so a
rolled-back change sends nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation


def render_mail(
    name: str, *, to: list[str], context: dict[str, Any], language: str | None = None
) -> EmailMultiAlternatives:
    """The message, rendered in `language` (default: the active one)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, to)
    message.attach_alternative(html, "text/html")
    return message


def send_on_commit(
    name: str, *, to: list[str], context: dict[str, Any], language: str | None = None
) -> None:
    """Render now (in the current language) and send once the transaction commits.

    A mail server that fails is logged and does not turn the saved change into an error page.
    """
    message = render_mail(name, to=to, context=context, language=language)
    transaction.on_commit(message.send, robust=True)

"""The e-mails of a conversation, through the outbox (`workflows.outbox.queue_mail`): one function
per message, three templates each (`emails/conversation_*.{subject.txt,txt,html}`).

- `message_to_applicants`: the fund's message to the organisation's members (and its own
  address), in the application's language; key `conversation_message:<message id>`.
- `message_to_staff`: an organisation's message to one staff member, in their language; key
  `conversation_message:<message id>:<user id>`.
- `digest_to_staff`: a staff member's hourly digest; key `conversation_digest:<user id>:<hour>`,
  so at most one an hour whatever the scheduler does.

Internal notes are never handed to these functions (`services.tell_the_other_side`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils import timezone

from applications.emails import absolute, recipients
from workflows.models import OutboxMessage
from workflows.outbox import queue_mail


def conversation_link(application_id: int) -> str:
    return absolute(reverse("applications:detail", args=[application_id]) + "#conversation")


def _files(message: Any) -> list[str]:
    return [row.original_name for row in message.files.all()]


def message_to_applicants(message: Any) -> OutboxMessage | None:
    """Tell the applying organisation of the fund's message (its text, the files' names)."""
    application = message.conversation.application
    organisation = application.organisation
    return queue_mail(
        "conversation_message",
        to=recipients(organisation),
        context={
            "to_fund": False,
            "application": application,
            "organisation": organisation,
            "reference": application.reference or "",
            "title": application.title,
            "body": message.body,
            "files": _files(message),
            "link": conversation_link(application.pk),
        },
        language=application.language,
        key=f"conversation_message:{message.pk}",
        about=application.fund,
    )


def message_to_staff(message: Any, user: Any, *, language: str) -> OutboxMessage | None:
    """Tell one staff member of an organisation's message."""
    application = message.conversation.application
    return queue_mail(
        "conversation_message",
        to=[user.email],
        context={
            "to_fund": True,
            "application": application,
            "organisation": application.organisation,
            "reference": application.reference or "",
            "title": application.title,
            "author": message.author.get_full_name() or message.author.get_username(),
            "body": message.body,
            "files": _files(message),
            "link": conversation_link(application.pk),
        },
        language=language,
        key=f"conversation_message:{message.pk}:{user.pk}",
        about=application.fund,
    )


def _hour(now: datetime) -> str:
    return timezone.localtime(now).strftime("%Y-%m-%dT%H")


def _digest_key(user: Any, now: datetime) -> str:
    return f"conversation_digest:{user.pk}:{_hour(now)}"


def digest_sent(user: Any, now: datetime) -> bool:
    """Has this hour's digest of `user` been queued?"""
    return OutboxMessage.objects.filter(key=_digest_key(user, now)).exists()


def digest_to_staff(
    user: Any, messages: Sequence[Any], *, now: datetime, language: str
) -> OutboxMessage | None:
    """The messages of the last hour that `user` has not read, grouped by application."""
    groups: dict[int, dict[str, Any]] = {}
    fund = None
    for message in messages:
        application = message.conversation.application
        fund = fund or application.fund
        group = groups.setdefault(
            application.pk,
            {
                "reference": application.reference or "",
                "title": application.title,
                "link": conversation_link(application.pk),
                "messages": [],
            },
        )
        group["messages"].append(message)
    return queue_mail(
        "conversation_digest",
        to=[user.email],
        context={
            "groups": list(groups.values()),
            "count": len(messages),
        },
        language=language,
        key=_digest_key(user, now),
        about=fund,
    )

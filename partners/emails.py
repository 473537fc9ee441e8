"""The e-mails of the partner exchange, each rendered in its recipient's language and queued in
the outbox with the change that causes it (`workflows.outbox.queue_mail`), keyed so that each
goes out once:

- a message relayed to the members of the posting organisation, in the post's language; it
  does not carry the sender's address (nor any name: the sender's organisation's public face);
- the reply relayed to the sender, in the sender's language, with the address of the member who
  replied: from now on both sides may write to each other directly;
- the reminder before a post expires, with the link to renew it.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from applications.emails import absolute, recipients
from partners.models import PartnerMessage, PartnerPost
from workflows.models import OutboxMessage
from workflows.outbox import queue_mail


def message_relayed(message: PartnerMessage) -> OutboxMessage | None:
    post = message.post
    face = message.sender_face
    return queue_mail(
        "partner_message",
        to=recipients(post.organisation, with_organisation=False),
        context={
            "post": post,
            "sender": face.name if face else "",
            "sender_place": f"{face.city} ({face.country})" if face else "",
            "body": message.body,
            "link": absolute(reverse("partners:message", args=[message.pk])),
            "organisation": post.organisation,
        },
        language=post.language,
        key=f"partner_message:{message.pk}",
        about=post.fund,
    )


def reply_relayed(message: PartnerMessage) -> OutboxMessage | None:
    post = message.post
    replier = message.replied_by
    return queue_mail(
        "partner_reply",
        to=[message.sender.email],
        context={
            "post": post,
            "poster": post.poster,
            "reply": message.reply,
            "reply_address": replier.email if replier is not None else "",
            "link": absolute(reverse("partners:message", args=[message.pk])),
        },
        language=message.language,
        key=f"partner_reply:{message.pk}",
        about=post.fund,
    )


def expiry_reminder_key(post: PartnerPost) -> str:
    return f"partner_post_expiring:{post.pk}:{post.expires_on}"


def expiry_reminder(post: PartnerPost, *, days_left: int) -> OutboxMessage | None:
    """Once per expiry date: renewing moves the date, and the next reminder is a new one."""
    expires_on: date = post.expires_on
    return queue_mail(
        "partner_post_expiring",
        to=recipients(post.organisation, with_organisation=False),
        context={
            "post": post,
            "expires_on": expires_on,
            "days_left": days_left,
            "renew_link": absolute(reverse("partners:renew", args=[post.pk])),
            "link": absolute(post.get_absolute_url()),
            "organisation": post.organisation,
        },
        language=post.language,
        key=expiry_reminder_key(post),
        about=post.fund,
    )

"""One conversation per application (its grant shares it): the messages the applying
organisation's members and the fund's staff exchange, with files, and the fund's internal
notes, which applicants never read.

A message is written once and never changed or deleted (only the change request it became is
recorded on it), so a conversation keeps what both sides said. Who reads what is decided in
`conversations.rules`; the e-mails that tell the other side are side effects of the write
(`conversations.effects`), run after the message is stored.

- `ReadMarker`: how far a person has read a conversation; the header's unread count and the
  conversation list read it. A member of the organisation follows the conversations of the
  organisation; a staff member those they opened, wrote in or were told about.
- `Notice`: a staff member to be told of an applicant's message by e-mail, at once or in the
  hourly digest (`MailSettings`); `mailed_at` says when it went out.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from conversations import rules
from workflows import clock
from workflows.fields import CleanCharField, CleanTextField
from workflows.text import LONG_TEXT

# A letter's worth, as every other text a person sends the fund or an applicant.
MESSAGE_MAX = LONG_TEXT
# Files one message may carry (the application's upload rules for each of them).
FILES_PER_MESSAGE = 5


class ConversationQuerySet(models.QuerySet["Conversation"]):
    def visible_to(self, user: Any) -> models.QuerySet[Conversation]:
        return rules.conversations_visible_to(self, user)


class Conversation(models.Model):
    """The conversation of one application and of the grant that follows it."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="conversation"
    )
    created_at = models.DateTimeField(default=clock.now)
    # The latest message both sides read (not an internal note): the conversation list's order.
    last_message_at = models.DateTimeField(null=True, blank=True)

    objects = ConversationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        indexes = [models.Index(fields=["last_message_at", "id"], name="conversation_recent")]

    def __str__(self) -> str:
        return str(_("Conversation on %(application)s") % {"application": self.application})


class MessageQuerySet(models.QuerySet["Message"]):
    def visible_to(self, user: Any) -> models.QuerySet[Message]:
        return rules.messages_visible_to(self, user)


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Written for the fund (staff) or for the applying organisation (one of its members):
    # which side is told, and how the author is named to applicants.
    from_fund = models.BooleanField(_("from the fund"), default=False)
    internal = models.BooleanField(
        _("internal note"), default=False, help_text=_("read by the fund's staff only")
    )
    body = CleanTextField(_("message"), max_length=MESSAGE_MAX)
    created_at = models.DateTimeField(_("written"), default=clock.now)
    # The formal request for changes this message became (its audit row).
    change_request = models.ForeignKey(
        "workflows.TransitionLog",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "id"], name="message_in_conversation")]
        constraints = [
            models.CheckConstraint(
                condition=Q(internal=False) | Q(from_fund=True), name="message_notes_by_the_fund"
            )
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.body[:60]}"


def message_file_path(instance: MessageFile, filename: str) -> str:
    """A generated name, in the folder of the conversation's application: nothing of what the
    writer called the file reaches the file system."""
    return f"conversations/{instance.application_id}/{uuid.uuid4().hex}"


class MessageFile(models.Model):
    """A file sent with a message, checked as the application's attachments are."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="files")
    # Kept beside the message for the storage folder and the conversation's total size.
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="+"
    )
    file = models.FileField(upload_to=message_file_path)
    original_name = CleanCharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("file of a message")
        verbose_name_plural = _("files of messages")
        ordering = ["message", "id"]

    def __str__(self) -> str:
        return self.original_name


class ReadMarker(models.Model):
    """The newest message of a conversation a person has read (by id)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="read_markers"
    )
    last_read_id = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_marker_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.conversation_id} to {self.last_read_id}"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", _("an e-mail for each message")
    HOURLY = "hourly", _("one e-mail an hour with the new messages (digest)")


class MailSettings(models.Model):
    """How a staff member is told of applicants' messages, and in which language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversation_settings"
    )
    delivery = models.CharField(
        _("e-mails about messages"), max_length=16, choices=Delivery, default=Delivery.IMMEDIATE
    )
    language = models.CharField(
        _("language of the e-mails"), max_length=2, choices=settings.LANGUAGES, default="de"
    )

    class Meta:
        verbose_name = _("e-mail settings for messages")
        verbose_name_plural = _("e-mail settings for messages")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.delivery}, {self.language}"


class Notice(models.Model):
    """A staff member to be told by e-mail of one message: at once (`mailed_at` set when it is
    queued) or in the next hourly digest."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_notice_per_recipient")
        ]
        indexes = [
            models.Index(
                fields=["user", "id"],
                condition=Q(mailed_at__isnull=True),
                name="notice_waiting",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} about {self.message_id}"

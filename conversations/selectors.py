"""Reads of the conversations, each in a fixed number of queries whatever their length: one
application's conversation as a page shows it, a person's unread count (the header) and their
list of conversations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from applications.models import Application
from conversations import rules
from conversations.models import Conversation, Message, MessageFile, ReadMarker
from organisations.rules import memberships_of
from workflows.roles import is_active_user

INBOX_SIZE = 50


@dataclass(frozen=True)
class Access:
    """What `user` may do in one application's conversation."""

    member: bool  # writes for the applying organisation
    staff: bool  # reads and writes internal notes

    @property
    def reads(self) -> bool:
        return self.member or self.staff


def access_to(application: Application, user: Any) -> Access:
    if application.status == rules.DRAFT or not is_active_user(user):
        return Access(member=False, staff=False)
    member = rules.is_member(application, user)
    return Access(member=member, staff=not member and rules.reads_as_staff(application, user))


@dataclass
class ConversationPage:
    application: Application
    access: Access
    messages: list[Message] = field(default_factory=list)
    conversation_id: int | None = None
    # The newest message the reader had read before this page (0: none).
    last_read_id: int = 0
    has_marker: bool = False
    # Offer to turn messages into the formal request for changes (rules.may_offer_change_request).
    may_request_changes: bool = False

    @property
    def unread(self) -> int:
        return len([message for message in self.messages if getattr(message, "unread", False)])

    @property
    def newest_id(self) -> int:
        return self.messages[-1].pk if self.messages else 0


def conversation_page(application: Application, user: Any) -> ConversationPage:
    """The conversation as `user` reads it, oldest message first, each with its files, its
    author as the reader may know them and whether it is new to the reader. Three queries
    (messages, files, the reader's marker) plus the rules' own."""
    access = access_to(application, user)
    page = ConversationPage(application=application, access=access)
    if not access.reads:
        return page
    # The reader's marker rides along with the messages (one query less on every page).
    marker = ReadMarker.objects.filter(user=user, conversation_id=OuterRef("conversation_id"))
    messages: list[Message] = list(
        messages_of(application, user)
        .annotate(read_up_to=Subquery(marker.values("last_read_id")[:1]))
        .select_related("author", "change_request")
        .prefetch_related("files")
    )
    if messages:
        page.conversation_id = messages[0].conversation_id
        read_up_to = messages[0].read_up_to  # type: ignore[attr-defined]
        page.has_marker = read_up_to is not None
        page.last_read_id = read_up_to or 0
    page.may_request_changes = access.staff and rules.may_offer_change_request(application, user)
    fund = _("The fund")
    for message in messages:
        message.unread = message.author_id != user.pk and message.pk > page.last_read_id  # type: ignore[attr-defined]
        message.author_label = _author_label(message, fund=fund, staff=access.staff)  # type: ignore[attr-defined]
        message.offer_change_request = (  # type: ignore[attr-defined]
            page.may_request_changes and message.change_request_id is None
        )
    page.messages = messages
    return page


def _author_label(message: Message, *, fund: str, staff: bool) -> str:
    """Applicants read "the fund" for its staff (as in the history); staff read every name."""
    name = message.author.get_full_name() or message.author.get_username()
    if message.from_fund:
        return f"{name} ({fund})" if staff else fund
    return name


def messages_of(application: Application, user: Any) -> QuerySet[Message]:
    """The application's messages `user` reads (notes only on the staff side), oldest first."""
    return (
        Message.objects.visible_to(user)
        .filter(conversation__application_id=application.pk)
        .order_by("created_at", "id")
    )


def message_for(user: Any, pk: int) -> Message | None:
    """One message `user` reads, with its application, or None (the caller answers 404)."""
    return (
        Message.objects.visible_to(user)
        .select_related("conversation__application__organisation", "author")
        .filter(pk=pk)
        .first()
    )


def file_for(user: Any, pk: int) -> MessageFile | None:
    """A file of a message `user` reads (a note's files only for the staff side), or None."""
    readable = Message.objects.visible_to(user).filter(pk=OuterRef("message_id"))
    return MessageFile.objects.filter(Exists(readable), pk=pk).first()


# --- unread messages ------------------------------------------------------------------------------


def unread_messages(user: Any) -> QuerySet[Message]:
    """Messages by others, newer than the reader's marker, in the conversations `user` follows:
    those of the organisations they belong to, and (staff) those they opened, wrote in or were
    told about."""
    if not is_active_user(user):
        return Message.objects.none()
    markers = ReadMarker.objects.filter(user=user, conversation_id=OuterRef("conversation_id"))
    own = memberships_of(user).filter(
        organisation_id=OuterRef("conversation__application__organisation_id")
    )
    return (
        Message.objects.visible_to(user)
        .exclude(author=user)
        .filter(Q(Exists(own)) | Q(Exists(markers)))
        .exclude(Exists(markers.filter(last_read_id__gte=OuterRef("pk"))))
    )


def unread_count(user: Any) -> int:
    """The header's number: one query (and the rules' cached role and scope lookups)."""
    return unread_messages(user).count()


@dataclass(frozen=True)
class InboxRow:
    conversation: Conversation
    unread: int


def inbox(user: Any) -> list[InboxRow]:
    """The conversations `user` follows, with new messages first, then the latest activity."""
    if not is_active_user(user):
        return []
    counts = dict(
        unread_messages(user)
        .order_by()
        .values_list("conversation_id")
        .annotate(count=Count("id"))
        .values_list("conversation_id", "count")
    )
    followed = ReadMarker.objects.filter(user=user, conversation_id=OuterRef("pk"))
    own = memberships_of(user).filter(organisation_id=OuterRef("application__organisation_id"))
    # The latest activity the reader may know of (notes only on the staff side).
    latest = (
        Message.objects.visible_to(user)
        .filter(conversation_id=OuterRef("pk"))
        .order_by("-created_at", "-id")
        .values("created_at")[:1]
    )
    conversations = (
        Conversation.objects.visible_to(user)
        .filter(Q(Exists(own)) | Q(Exists(followed)) | Q(pk__in=list(counts)))
        .select_related("application__organisation")
        .annotate(latest=Subquery(latest))
        .order_by(F("latest").desc(nulls_last=True), "-pk")[:INBOX_SIZE]
    )
    rows = [InboxRow(c, counts.get(c.pk, 0)) for c in conversations]
    return sorted(rows, key=lambda row: row.unread == 0)

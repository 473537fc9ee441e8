"""Reads of the conversations, each in a fixed number of queries whatever their length: one
application's conversation as a page shows it, a person's unread count (the header) and their
list of conversations."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.urls import reverse
from django.utils.formats import date_format, time_format
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import gettext as _

from applications.models import Application
from conversations import rules
from conversations.models import Conversation, Message, MessageFile, ReadMarker
from organisations.rules import memberships_of
from workflows import typography
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


@dataclass(frozen=True, slots=True)
class FileView:
    url: str
    name: str
    size: str  # as Django writes file sizes, in the reader's language


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message as a page draws it: plain values, formatted and escaped once here (a page
    may hold hundreds, and each value a template formats costs it more than Python does)."""

    pk: int
    from_fund: bool
    internal: bool
    body: str
    created_at: datetime
    iso: str  # the time for the <time> element
    when: str  # the date and time in the reader's language
    css: str  # the classes of the message's element
    author_label: str  # with "Internal note – " before it for a note
    body_html: str  # the text, escaped, its line breaks as <br>
    unread: bool
    files: tuple[FileView, ...]
    change_requested_on: str  # the day it became the formal request for changes, or ""
    change_url: str  # where to turn it into the formal request for changes, or ""
    html: str = ""  # the whole <li> as pages draw it (`message_html`)

    def __getitem__(self, name: str) -> Any:
        # Templates look a name up as a key first: answering it spares them an exception
        # (and a fallback to the attribute) for every value of every message.
        return getattr(self, name)


@dataclass
class ConversationPage:
    application: Application
    access: Access
    messages: list[MessageView] = field(default_factory=list)
    conversation_id: int | None = None
    # The newest message the reader had read before this page (0: none).
    last_read_id: int = 0
    has_marker: bool = False
    # Offer to turn messages into the formal request for changes (rules.may_offer_change_request).
    may_request_changes: bool = False

    @property
    def unread(self) -> int:
        return len([message for message in self.messages if message.unread])

    @property
    def newest_id(self) -> int:
        return self.messages[-1].pk if self.messages else 0


MESSAGE_COLUMNS = (
    "pk",
    "conversation_id",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
    "from_fund",
    "internal",
    "body",
    "created_at",
    "change_request_id",
    "change_request__created_at",
    "read_up_to",
)


def conversation_page(application: Application, user: Any) -> ConversationPage:
    """The conversation as `user` reads it, oldest message first, each with its files, its
    author as the reader may know them and whether it is new to the reader. Two queries (the
    messages with the reader's marker, their files) plus the rules' own, read as plain rows:
    a conversation of hundreds of messages costs no model instances."""
    access = access_to(application, user)
    page = ConversationPage(application=application, access=access)
    if not access.reads:
        return page
    # The reader's marker rides along with the messages (one query less on every page).
    marker = ReadMarker.objects.filter(user=user, conversation_id=OuterRef("conversation_id"))
    rows = list(
        messages_of(application, access)
        .annotate(read_up_to=Subquery(marker.values("last_read_id")[:1]))
        .values(*MESSAGE_COLUMNS)
    )
    if not rows:
        return page
    page.conversation_id = rows[0]["conversation_id"]
    page.has_marker = rows[0]["read_up_to"] is not None
    page.last_read_id = rows[0]["read_up_to"] or 0
    page.may_request_changes = access.staff and rules.may_offer_change_request(application, user)
    files = _files_of([row["pk"] for row in rows])
    fund, note = _("The fund"), _("Internal note")
    # One reversed address, filled in per message (reversing 200 times costs milliseconds).
    change_url = reverse("conversations:request_changes", args=[_PLACEHOLDER])
    when = _When()
    page.messages = [
        MessageView(
            pk=row["pk"],
            from_fund=row["from_fund"],
            internal=row["internal"],
            body=row["body"],
            created_at=row["created_at"],
            iso=row["created_at"].isoformat(),
            when=when(row["created_at"]),
            css=_css(row, unread := row["author_id"] != user.pk and row["pk"] > page.last_read_id),
            author_label=_author_label(row, fund=fund, staff=access.staff, note=note),
            body_html=linebreaksbr(row["body"], autoescape=True),
            unread=unread,
            files=files.get(row["pk"], ()),
            change_requested_on=(
                date_format(localtime(row["change_request__created_at"]), "DATE_FORMAT")
                if row["change_request_id"]
                else ""
            ),
            # The fund's own messages and notes become requests for changes (the reviewer
            # drafts the request in the conversation, then sends it formally).
            change_url=(
                change_url.replace(str(_PLACEHOLDER), str(row["pk"]))
                if page.may_request_changes and row["from_fund"] and not row["change_request_id"]
                else ""
            ),
        )
        for row in rows
    ]
    texts = _MessageTexts()
    page.messages = [
        replace(message, html=message_html(message, texts)) for message in page.messages
    ]
    return page


class _MessageTexts:
    """The fixed words of a message's element, translated once per page."""

    def __init__(self) -> None:
        self.new = _("new")
        self.colon = typography.colon()
        self.note_help = _("Only the fund's staff read this note; the applicant never sees it.")
        self.requested_on = _("Sent as the formal request for changes on %(day)s.")
        self.turn_into_request = _("Turn into a formal request for changes")


def message_html(message: MessageView, texts: _MessageTexts | None = None) -> SafeString:
    """One message as an <li> of a history or a conversation. Built here rather than by an
    included template (or format_html): a page holds hundreds, and either costs each several
    times more. Every value is escaped here but `body_html`, which comes escaped."""
    t = texts or _MessageTexts()
    badge = f' <span class="badge">{escape(t.new)}</span>' if message.unread else ""
    parts = [
        f'<li class="{escape(message.css)}" id="message-{message.pk:d}"><p class="message-head">'
        f'<time datetime="{escape(message.iso)}">{escape(message.when)}</time>{t.colon} '
        f"<strong>{escape(message.author_label)}</strong>{badge}</p>"
    ]
    if message.internal:
        parts.append(f'<p class="helptext">{escape(t.note_help)}</p>')
    parts.append(f'<div class="message-body">{conditional_escape(message.body_html)}</div>')
    if message.files:
        items = "".join(
            f'<li><a href="{escape(file.url)}">{escape(file.name)}</a> ({escape(file.size)})</li>'
            for file in message.files
        )
        parts.append(f'<ul class="message-files">{items}</ul>')
    if message.change_requested_on:
        line = t.requested_on % {"day": message.change_requested_on}
        parts.append(f'<p class="helptext">{escape(line)}</p>')
    if message.change_url:
        link = f'<a href="{escape(message.change_url)}">{escape(t.turn_into_request)}</a>'
        parts.append(f"<p>{link}</p>")
    return mark_safe("\n".join(parts) + "</li>")  # noqa: S308  (escaped above)


_PLACEHOLDER = 987_654_321_987


class _When:
    """A message's date and time as the reader's language writes them, each day and each minute
    of the day formatted once (a conversation repeats them)."""

    def __init__(self) -> None:
        self.zone = get_current_timezone()
        self.days: dict[Any, str] = {}
        self.times: dict[tuple[int, int], str] = {}

    def __call__(self, moment: datetime) -> str:
        local = moment.astimezone(self.zone)
        day, minute = local.date(), (local.hour, local.minute)
        if day not in self.days:
            self.days[day] = date_format(day, "DATE_FORMAT")
        if minute not in self.times:
            self.times[minute] = time_format(local.time(), "TIME_FORMAT")
        return f"{self.days[day]}, {self.times[minute]}"


def _css(row: dict[str, Any], unread: bool) -> str:
    classes = ["message", "from-fund" if row["from_fund"] else "from-organisation"]
    if row["internal"]:
        classes.append("internal")
    if unread:
        classes.append("unread")
    return " ".join(classes)


def _files_of(message_ids: list[int]) -> dict[int, tuple[FileView, ...]]:
    """The files of these messages (the caller may read them), by message, in upload order."""
    found: dict[int, list[FileView]] = {}
    download = reverse("conversations:file", args=[_PLACEHOLDER])
    rows = (
        MessageFile.objects.filter(message_id__in=message_ids)
        .order_by("message_id", "id")
        .values_list("message_id", "pk", "original_name", "size")
    )
    for message_id, pk, name, size in rows:
        url = download.replace(str(_PLACEHOLDER), str(pk))
        found.setdefault(message_id, []).append(FileView(url, name, str(filesizeformat(size))))
    return {message_id: tuple(views) for message_id, views in found.items()}


def _author_label(row: dict[str, Any], *, fund: str, staff: bool, note: str) -> str:
    """Applicants read "the fund" for its staff (as in the history); staff read every name."""
    full = f"{row['author__first_name']} {row['author__last_name']}".strip()
    name = full or row["author__username"]
    if row["internal"]:
        return f"{note} – {name}"
    if row["from_fund"]:
        return f"{name} ({fund})" if staff else fund
    return name


def messages_of(application: Application, access: Access) -> QuerySet[Message]:
    """The application's messages a reader with `access` (the rules' answer for this reader
    and application) reads, oldest first: none without access, notes only on the staff side."""
    if not access.reads:
        return Message.objects.none()
    found = Message.objects.filter(conversation__application_id=application.pk)
    if not access.staff:
        found = found.filter(internal=False)
    return found.order_by("created_at", "id")


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
    # The followed conversations first, as sets of ids: the index on (conversation, id) finds
    # their messages without reading anybody else's.
    followed = ReadMarker.objects.filter(user=user).values("conversation_id")
    own = Conversation.objects.filter(
        application__organisation_id__in=memberships_of(user).values("organisation_id")
    ).values("pk")
    read = ReadMarker.objects.filter(
        user=user, conversation_id=OuterRef("conversation_id"), last_read_id__gte=OuterRef("pk")
    )
    return (
        Message.objects.filter(Q(conversation_id__in=followed) | Q(conversation_id__in=own))
        .visible_to(user)
        .exclude(author=user)
        .exclude(Exists(read))
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

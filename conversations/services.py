"""Every write of a conversation: messages and notes with their files, reading, the formal request
for changes a message becomes, the staff's e-mail settings, and telling the other side.

A message is stored (with its files) in one transaction that also writes the row of its side
effect (`workflows.effects.emit`); the e-mails are queued by that side effect after the commit,
so a mail server that is down, or a template that fails, never loses or delays a message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from applications import services as application_services
from applications.attachments import clean_file_name, display_name, inspect_upload, size_limit
from applications.models import Application
from conversations import emails, rules
from conversations.models import (
    FILES_PER_MESSAGE,
    MESSAGE_MAX,
    Conversation,
    Delivery,
    MailSettings,
    Message,
    MessageFile,
    Notice,
    ReadMarker,
)
from workflows import clock, effects
from workflows.errors import InvalidInput, TransitionForbidden
from workflows.models import TransitionLog
from workflows.roles import Role, is_active_user
from workflows.storage import all_or_no_files
from workflows.text import clean_text

# The event a stored message emits; its handler tells the other side (conversations.effects).
MESSAGE_WRITTEN = "conversations.message_written"

MESSAGE_MISSING = _("Please write your message.")


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int
    sha256: str


# --- writing -------------------------------------------------------------------------------------


def write_message(
    application: Application,
    *,
    by: Any,
    body: str,
    internal: bool = False,
    uploads: Sequence[UploadedFile] = (),
) -> Message:
    """Store a message (or, with `internal`, a note for the fund's staff) with its files; after
    the commit the other side is told by e-mail (notes tell nobody). Refused, with nothing
    stored: someone who may not write here (TransitionForbidden), empty or invalid text and
    files the application's upload rules refuse (InvalidInput naming `body` or `attachments`), a
    storage that fails (StorageUnavailable)."""
    _check_may_write(application, by, internal=internal)
    text = clean_text(
        body, field="body", max_length=MESSAGE_MAX, required=MESSAGE_MISSING, code="message_missing"
    )
    checked = check_files(uploads)
    _check_room(application, checked)
    with all_or_no_files() as written:
        rows = []
        for item in checked:
            row = MessageFile(
                application=application,
                original_name=item.name,
                content_type=item.content_type,
                size=item.size,
                sha256=item.sha256,
            )
            # The name passed here is ignored by `message_file_path`; it generates its own.
            written.save(row.file, "upload", item.upload)
            rows.append(row)
        with transaction.atomic():
            locked = (
                Application.objects.select_related("organisation")
                .select_for_update(of=("self",))
                .get(pk=application.pk)
            )
            _check_may_write(locked, by, internal=internal)
            _check_room(locked, checked)
            message = _store(locked, by=by, text=text, internal=internal, files=rows)
    # Inside a caller's transaction that later rolls back, the files stay behind without rows:
    # `manage.py remove_orphaned_files` removes them.
    return message


def _check_may_write(application: Application, user: Any, *, internal: bool) -> None:
    allowed = rules.may_write_note if internal else rules.may_write
    if not allowed(application, user):
        raise TransitionForbidden()


def check_files(uploads: Iterable[UploadedFile]) -> list[CheckedFile]:
    """Each file as the application's attachments are checked (kind by content, size); the
    refusal names the file."""
    uploads = [upload for upload in uploads if upload is not None]
    if len(uploads) > FILES_PER_MESSAGE:
        raise InvalidInput(
            _("Please send at most %(count)d files with one message.")
            % {"count": FILES_PER_MESSAGE},
            code="too_many_files",
            field="attachments",
        )
    checked = []
    for upload in uploads:
        try:
            kind, size, sha256 = inspect_upload(upload)
        except ValidationError as error:
            raise InvalidInput(
                _("“%(name)s”: %(reason)s")
                % {"name": display_name(upload.name), "reason": " ".join(error.messages)},
                code=error.code or "bad_file",
                field="attachments",
            ) from error
        checked.append(
            CheckedFile(upload, clean_file_name(upload.name, kind), kind.content_type, size, sha256)
        )
    return checked


def _check_room(application: Application, checked: list[CheckedFile]) -> None:
    """All files of a conversation together stay within the application's total limit."""
    if not checked:
        return
    limit = settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES
    used = MessageFile.objects.filter(application_id=application.pk).aggregate(used=Sum("size"))
    if (used["used"] or 0) + sum(item.size for item in checked) > limit:
        raise InvalidInput(
            _(
                "All files of this conversation together may have at most %(limit)s, and these "
                "do not fit. Please make them smaller or send them as a link."
            )
            % {"limit": size_limit(limit)},
            code="files_total",
            field="attachments",
        )


def _store(
    application: Application, *, by: Any, text: str, internal: bool, files: list[MessageFile]
) -> Message:
    now = clock.now()
    conversation, _created = Conversation.objects.get_or_create(
        application=application, defaults={"created_at": now}
    )
    message = Message.objects.create(
        conversation=conversation,
        author=by,
        from_fund=not rules.is_member(application, by),
        internal=internal,
        body=text,
        created_at=now,
    )
    for row in files:
        row.message = message
    MessageFile.objects.bulk_create(files)
    if not internal:
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
    _move_marker(conversation.pk, by, message.pk)
    effects.emit(MESSAGE_WRITTEN, message_id=message.pk)
    return message


# --- reading -------------------------------------------------------------------------------------


def _move_marker(conversation_id: int, user: Any, last_read_id: int) -> None:
    """The reader has read up to `last_read_id` (a marker never moves back)."""
    updated = ReadMarker.objects.filter(
        user=user, conversation_id=conversation_id, last_read_id__lt=last_read_id
    ).update(last_read_id=last_read_id)
    if not updated:
        ReadMarker.objects.bulk_create(
            [ReadMarker(user=user, conversation_id=conversation_id, last_read_id=last_read_id)],
            ignore_conflicts=True,
        )


def mark_read(conversation_id: int, *, by: Any, up_to: int, known: bool | None = None) -> None:
    """`by` has seen the conversation up to message `up_to` (the page they opened). `known`:
    whether the reader has a marker already (the page read it), which spares a query."""
    if not is_active_user(by):
        return
    if known is None:
        _move_marker(conversation_id, by, up_to)
    elif known:
        ReadMarker.objects.filter(
            user=by, conversation_id=conversation_id, last_read_id__lt=up_to
        ).update(last_read_id=up_to)
    else:
        ReadMarker.objects.bulk_create(
            [ReadMarker(user=by, conversation_id=conversation_id, last_read_id=up_to)],
            ignore_conflicts=True,
        )


# --- the formal request for changes ---------------------------------------------------------------


@transaction.atomic
def request_changes_from(
    message: Message, *, by: Any, text: str, reply_by: date, note: str = ""
) -> Application:
    """Turn a message into the formal request for changes (the application's `request_changes`
    through `perform()`, with its permission, audit row, e-mail and reply deadline); the message
    keeps the audit row."""
    locked = Message.objects.select_for_update().select_related("conversation").get(pk=message.pk)
    application = Application.objects.select_related("organisation").get(
        pk=locked.conversation.application_id
    )
    if not rules.reads_as_staff(application, by):
        raise TransitionForbidden()
    if not locked.from_fund:
        raise InvalidInput(
            _("Only the fund's own messages and notes can become a request for changes."),
            code="not_the_funds",
        )
    if locked.change_request_id is not None:
        raise InvalidInput(
            _("This message has already become a request for changes."),
            code="already_requested",
        )
    changed = application_services.request_changes(
        application, by=by, message=text, reply_by=reply_by, note=note
    )
    log = (
        TransitionLog.objects.for_object(changed)
        .filter(transition="request_changes", actor=by)
        .order_by("-pk")
        .first()
    )
    locked.change_request = log
    locked.save(update_fields=["change_request"])
    return changed


# --- the staff's e-mail settings ------------------------------------------------------------------


def save_mail_settings(user: Any, *, delivery: str, language: str) -> MailSettings:
    """How `user` (staff) is told of applicants' messages: each at once or an hourly digest."""
    if delivery not in Delivery.values:
        raise InvalidInput(_("Please choose from the options offered."), code="bad_choice", field="delivery")  # fmt: skip
    if language not in dict(settings.LANGUAGES):
        raise InvalidInput(_("Please choose from the options offered."), code="bad_choice", field="language")  # fmt: skip
    found, _created = MailSettings.objects.update_or_create(
        user=user, defaults={"delivery": delivery, "language": language}
    )
    return found


def mail_settings_of(user: Any) -> MailSettings:
    """The user's settings, or the defaults (not stored) when they chose none."""
    found = MailSettings.objects.filter(user=user).first()
    return found or MailSettings(user=user, language=settings.LANGUAGE_CODE)


# --- telling the other side (the side effect of a message) -----------------------------------------


def tell_the_other_side(message_id: int) -> None:
    """The fund's message goes to the organisation's members by e-mail; an organisation's
    message to the staff who follow the application, each at once or in their hourly digest;
    a note to nobody. Idempotent: run twice, it queues each e-mail once."""
    message = (
        Message.objects.select_related(
            "author",
            "conversation__application__organisation",
            "conversation__application__programme",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None or message.internal:
        return
    if message.from_fund:
        emails.message_to_applicants(message)
        return
    with transaction.atomic():
        for user in staff_to_tell(message):
            notice, _created = Notice.objects.get_or_create(message=message, user=user)
            # Whoever is told follows the conversation from here (the header counts it).
            ReadMarker.objects.get_or_create(
                user=user,
                conversation_id=message.conversation_id,
                defaults={"last_read_id": message.pk - 1},
            )
            chosen = mail_settings_of(user)
            if notice.mailed_at is None and chosen.delivery == Delivery.IMMEDIATE:
                emails.message_to_staff(message, user, language=chosen.language)
                Notice.objects.filter(pk=notice.pk).update(mailed_at=clock.now())


def staff_to_tell(message: Message) -> list[Any]:
    """The staff who follow the application: those who wrote in its conversation and those who
    hold one of its review tasks; when nobody does yet, the programme managers. Each of them
    only while they may read the conversation (no conflict, their programmes)."""
    application = message.conversation.application
    writers = Message.objects.filter(conversation_id=message.conversation_id, from_fund=True)
    ids = set(writers.values_list("author_id", flat=True))
    ids |= set(
        application.review_tasks.filter(status="claimed").values_list("assignee_id", flat=True)
    )
    ids.discard(None)
    users = get_user_model()._default_manager.filter(is_active=True)
    candidates = list(users.filter(pk__in=ids).order_by("pk"))
    if not candidates:
        candidates = list(users.filter(groups__name=Role.MANAGER.value).distinct().order_by("pk"))
    return [
        user
        for user in candidates
        if user.pk != message.author_id and rules.reads_as_staff(application, user)
    ]


def send_digest(user: Any, *, now: datetime | None = None) -> bool:
    """One e-mail with the messages `user` was told of and has not read yet, at most one per
    hour (its key names the hour); did it queue one? Messages read meanwhile, or no longer
    readable by `user`, are dropped from it."""
    now = now or clock.now()
    waiting = list(
        Notice.objects.filter(user=user, mailed_at__isnull=True)
        .select_related("message__conversation__application")
        .order_by("message_id")
    )
    if not waiting:
        return False
    if emails.digest_sent(user, now):
        return False  # this hour's digest went out: the rest waits for the next hour
    readable = set(
        Message.objects.visible_to(user)
        .filter(pk__in=[n.message_id for n in waiting])
        .values_list("pk", flat=True)
    )
    markers = dict(
        ReadMarker.objects.filter(
            user=user, conversation_id__in={n.message.conversation_id for n in waiting}
        ).values_list("conversation_id", "last_read_id")
    )
    unread = [
        notice.message
        for notice in waiting
        if notice.message_id in readable
        and notice.message_id > markers.get(notice.message.conversation_id, 0)
    ]
    queued = None
    if unread:
        queued = emails.digest_to_staff(
            user, unread, now=now, language=mail_settings_of(user).language
        )
    Notice.objects.filter(pk__in=[n.pk for n in waiting]).update(mailed_at=now)
    return queued is not None

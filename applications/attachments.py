"""Files attached to an application: documents for the application and receipts for the report.

A file is recognised by its content (never by its name or the browser's word), stored under a
generated name through Django's storage API, and served only by the portal's download view. The
name the applicant gave it is kept, cleaned, for display and as the download name.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from applications import rules
from applications.models import Application, Attachment, AttachmentPurpose
from applications.selectors import application_for
from applications.services import EDITABLE_STATES
from grants.models import Grant, GrantStatus
from workflows import clock
from workflows.errors import TransitionForbidden
from workflows.storage import all_or_no_files, remove_file

# How much of a file is read to recognise it; the signatures we look for sit at the very start.
HEAD_BYTES = 8192
# Bounds for looking inside a DOCX/ODT container without trusting what it says about itself.
ZIP_MAX_MEMBERS = 5000
ODT_MIMETYPE_MAX_BYTES = 128
CONTENT_TYPES_MAX_BYTES = 256 * 1024
# Long enough for any real document title, short enough for every file system and header.
NAME_MAX_LENGTH = 120
# Characters that some file systems refuse in a name; the browser would rewrite them anyway.
NAME_UNSAFE = frozenset('<>:"/\\|?*')

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DOCX_MAIN_PART = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str  # the one added when the applicant's name has none of `extensions`
    extensions: tuple[str, ...]


PDF = FileKind("application/pdf", "pdf", ("pdf",))
JPEG = FileKind("image/jpeg", "jpg", ("jpg", "jpeg"))
PNG = FileKind("image/png", "png", ("png",))
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", ("docx",)
)
ODT = FileKind("application/vnd.oasis.opendocument.text", "odt", ("odt",))
ACCEPTED_KINDS = (PDF, JPEG, PNG, DOCX, ODT)
# What `filetype` answers for the kinds it can tell apart by their first bytes alone.
KIND_BY_SIGNATURE = {
    "application/pdf": PDF,
    "image/jpeg": JPEG,
    "image/png": PNG,
    "image/apng": PNG,  # an animated PNG is still a valid PNG
}
ZIP_SIGNATURE = b"PK\x03\x04"


# --- who may change ----------------------------------------------------------------------------

# The rule of a purpose whose documents belong to a higher app (the interim report's): it
# raises TransitionForbidden, saying why, unless the member may change them now. Registered by
# that app when it is ready.
PurposeRule = Callable[[Application, Any], None]
_PURPOSE_RULES: dict[str, PurposeRule] = {}


def add_purpose_rule(purpose: str, rule: PurposeRule) -> None:
    _PURPOSE_RULES[purpose] = rule


def check_may_change_attachments(application: Application, user: Any, purpose: str) -> None:
    """Raise TransitionForbidden, saying why, unless `user` may add or delete these files now."""
    if not rules.is_applicant(application, user):
        # Staff included: they never upload or delete on an applicant's behalf.
        raise TransitionForbidden()
    if purpose == AttachmentPurpose.APPLICATION:
        if application.status not in EDITABLE_STATES:
            raise TransitionForbidden(
                _(
                    "The documents of this application can no longer be changed "
                    "(status: %(status)s)."
                )
                % {"status": application.get_status_display()},
                code="attachments_frozen",
            )
        return
    if purpose == AttachmentPurpose.RECEIPT:
        grant_status = (
            Grant.objects.filter(application_id=application.pk)
            .values_list("status", flat=True)
            .first()
        )
        if grant_status != GrantStatus.REPORT_DUE:
            raise TransitionForbidden(
                _("Receipts can only be added or removed while the final report is due."),
                code="receipts_frozen",
            )
        return
    rule = _PURPOSE_RULES.get(purpose)
    if rule is not None:
        rule(application, user)
        return
    raise TransitionForbidden(_("This kind of document is not known."), code="unknown_purpose")


def may_change_attachments(application: Application, user: Any, purpose: str) -> bool:
    """May `user` add or delete files of `purpose` on this application right now?"""
    try:
        check_may_change_attachments(application, user, purpose)
    except TransitionForbidden:
        return False
    return True


# --- reads -------------------------------------------------------------------------------------


def attachment_for(user: Any, pk: int) -> Attachment | None:
    """One attachment if `user` may read it (rules.attachments_visible_to), else None (-> 404)."""
    attachment = Attachment.objects.visible_to(user).filter(pk=pk).first()
    if attachment is None:
        return None
    application = application_for(user, attachment.application_id)
    if application is None:
        return None
    attachment.application = application
    return attachment


def attachments_of(application: Application, purpose: str) -> QuerySet[Attachment]:
    """The application's files of one purpose, in upload order."""
    return Attachment.objects.filter(application=application, purpose=purpose).order_by(
        "uploaded_at", "id"
    )


# --- writes ------------------------------------------------------------------------------------


def add_attachment(
    application: Application,
    *,
    by: Any,
    upload: UploadedFile,
    purpose: str = AttachmentPurpose.APPLICATION,
) -> Attachment:
    """Check and store an uploaded file; writes the file, then its row (the file goes if the row
    cannot be written). StorageUnavailable if the file cannot be stored (nothing is kept)."""
    check_may_change_attachments(application, by, purpose)
    kind, size, sha256 = inspect_upload(upload)
    _check_room(application, purpose, size)
    attachment = Attachment(
        application=application,
        purpose=purpose,
        original_name=clean_file_name(upload.name, kind),
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
        uploaded_by=by,
        uploaded_at=clock.now(),
    )
    with all_or_no_files() as written:
        # The name passed here is ignored by `attachment_path`; it generates one of its own.
        written.save(attachment.file, "upload", upload)
        with transaction.atomic():
            locked = _lock(application, purpose)
            check_may_change_attachments(locked, by, purpose)
            _check_room(locked, purpose, size)
            attachment.application = locked
            attachment.save()
    # Called inside a caller's transaction that later rolls back, the file stays behind without
    # a row: unreachable (no row names it), and removed by `manage.py remove_orphaned_files`.
    return attachment


def delete_attachment(attachment: Attachment, *, by: Any) -> None:
    """Delete the row now and its stored file once the deletion is committed."""
    with transaction.atomic():
        locked = _lock(attachment.application, attachment.purpose)
        check_may_change_attachments(locked, by, attachment.purpose)
        stored_name = attachment.file.name
        deleted, _rows = Attachment.objects.filter(pk=attachment.pk).delete()
        if deleted:
            transaction.on_commit(lambda: _delete_file(stored_name))


def _lock(application: Application, purpose: str) -> Application:
    """Lock the application (and the grant for a report's documents) against a concurrent
    submission."""
    locked = (
        Application.objects.select_for_update()
        .select_related("organisation")
        .get(pk=application.pk)
    )
    if purpose != AttachmentPurpose.APPLICATION:  # receipts and the interim report's documents
        list(Grant.objects.select_for_update().filter(application_id=locked.pk))
    return locked


def _storage() -> Storage:
    return Attachment._meta.get_field("file").storage  # type: ignore[attr-defined, no-any-return]


def _delete_file(name: str | None) -> None:
    remove_file(_storage(), name)


# --- checking a file ---------------------------------------------------------------------------


def inspect_upload(upload: UploadedFile) -> tuple[FileKind, int, str]:
    """The file's kind, size and SHA-256; ValidationError if it is empty, too large or of a kind
    we do not accept. The announced size is checked before a single byte is read."""
    limit = settings.MICROGRANTS_ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise _too_large(limit)
    if upload.size == 0:
        raise _empty()
    kind = detect_kind(upload)
    if kind is None:
        raise ValidationError(
            _(
                "This kind of file is not accepted. Please upload a PDF, a JPEG or PNG image, "
                "a Word document (DOCX) or an OpenDocument text (ODT)."
            ),
            code="file_type",
        )
    digest = hashlib.sha256()
    size = 0
    for chunk in upload.chunks():
        size += len(chunk)
        if size > limit:  # the announced size was wrong
            raise _too_large(limit)
        digest.update(chunk)
    if size == 0:
        raise _empty()
    return kind, size, digest.hexdigest()


def detect_kind(upload: IO[bytes] | UploadedFile) -> FileKind | None:
    """Recognise an accepted kind of file from its content alone, or None."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not head:
        return None
    if head.startswith(ZIP_SIGNATURE):
        try:
            return _office_kind(upload)
        finally:
            upload.seek(0)
    guess = filetype.guess(head)
    if guess is None:
        return None
    return KIND_BY_SIGNATURE.get(guess.mime)


def _office_kind(upload: IO[bytes] | UploadedFile) -> FileKind | None:
    """DOCX or ODT if the ZIP container really is one; read from the central directory and at
    most two small members, with bounded reads, never extracted."""
    try:
        with zipfile.ZipFile(upload) as archive:  # type: ignore[arg-type]
            members = archive.infolist()
            if len(members) > ZIP_MAX_MEMBERS:
                return None
            names = {member.filename for member in members}
            if "mimetype" in names:
                declared = _read_member(archive, "mimetype", ODT_MIMETYPE_MAX_BYTES)
                return ODT if declared is not None and declared.strip() == ODT_MIMETYPE else None
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                types = _read_member(archive, "[Content_Types].xml", CONTENT_TYPES_MAX_BYTES)
                return DOCX if types is not None and DOCX_MAIN_PART in types else None
            return None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RuntimeError,  # an encrypted member
        NotImplementedError,  # an unknown compression method
    ):
        return None


def _read_member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """At most `limit` bytes of a member, or None if it is longer (whatever its header says)."""
    with archive.open(name) as member:
        data = member.read(limit + 1)
    return data if len(data) <= limit else None


def _check_room(application: Application, purpose: str, size: int) -> None:
    total_limit = settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES
    used = (
        Attachment.objects.filter(application_id=application.pk, purpose=purpose).aggregate(
            used=Sum("size")
        )["used"]
        or 0
    )
    if used + size > total_limit:
        room = max(total_limit - used, 0)
        raise ValidationError(
            _(
                "All files together may have at most %(limit)s, and this file does not fit: "
                "there is room for %(room)s more. Please delete a document you no longer need "
                "or make this file smaller."
            ),
            code="attachments_total",
            params={"limit": size_limit(total_limit), "room": filesizeformat(room)},
        )


def _too_large(limit: int) -> ValidationError:
    return ValidationError(
        _(
            "This file is too large: a file may have at most %(limit)s. Please make it "
            "smaller (for example scan with a lower resolution) or split it."
        ),
        code="file_too_large",
        params={"limit": size_limit(limit)},
    )


def _empty() -> ValidationError:
    return ValidationError(
        _("This file is empty. Please choose the file again."), code="file_empty"
    )


def size_limit(size: int) -> str:
    """A limit for a message in the reader's number format: '10 MB' when it is a whole number of
    megabytes (as configured), else as Django writes file sizes ('2,5 MB', '900 Bytes')."""
    if size >= 2**20 and size % 2**20 == 0:
        return f"{number_format(size // 2**20, use_l10n=True)}\xa0MB"
    return str(filesizeformat(size))


# --- names -------------------------------------------------------------------------------------


def display_name(name: str | None) -> str:
    """The last part of a name as the applicant's computer gave it, safe to show and to send as
    a download name: no directories, control or format characters, limited length."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join(
        "_" if ch in NAME_UNSAFE else ch
        for ch in text
        # C*: control, format (e.g. right-to-left override), surrogate, private, unassigned;
        # Z[lp]: line and paragraph separators.
        if unicodedata.category(ch)[0] != "C" and unicodedata.category(ch) not in ("Zl", "Zp")
    )
    # Trailing dots and spaces vanish on Windows; leading dots are dropped by `clean_file_name`.
    text = " ".join(text.split()).rstrip(" .")
    return text[:NAME_MAX_LENGTH].rstrip(" .")


def clean_file_name(name: str | None, kind: FileKind) -> str:
    """The name to show and offer for download: the applicant's, cleaned, ending in an extension
    that fits the recognised kind (added if missing or misleading); 'document.<ext>' if none."""
    text = display_name(name)
    stem, dot, extension = text.rpartition(".")
    if not dot or extension.lower() not in kind.extensions:
        stem, extension = text, kind.extension
    stem = stem.lstrip(" .")[: NAME_MAX_LENGTH - len(extension) - 1].rstrip(" .")
    return f"{stem or 'document'}.{extension}"

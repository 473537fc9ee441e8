"""Attachments: an applicant adds documents to a draft and receipts to a due report; the files are
recognised by their content, stored under generated names, and served only to those who may see
the application."""

from __future__ import annotations

import hashlib
import io
import os
import struct
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.management import call_command
from django.db import IntegrityError
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from applications import services
from applications.attachments import PDF as PDF_KIND
from applications.attachments import (
    add_attachment,
    attachment_for,
    clean_file_name,
    delete_attachment,
    detect_kind,
    may_change_attachments,
)
from applications.models import Attachment, AttachmentPurpose
from demo import builders as demo
from tests.support import assert_readable
from workflows.errors import TransitionForbidden

# --- tiny but valid files -----------------------------------------------------------------------

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


def pdf_bytes(padding: int = 0) -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * padding + b"\ntrailer <<>>\n%%EOF\n"


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\xff\xd9"


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x80")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def zip_bytes(members: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if stored_first:
            archive.writestr(stored_first, members[stored_first], zipfile.ZIP_STORED)
        for name, data in members.items():
            if name != stored_first:
                archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/word/document.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                b"</Types>"
            ),
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
        }
    )


def odt_bytes() -> bytes:
    return zip_bytes(
        {
            "mimetype": ODT_TYPE.encode(),
            "content.xml": b'<?xml version="1.0"?><office:document-content/>',
            "META-INF/manifest.xml": b'<?xml version="1.0"?><manifest:manifest/>',
        },
        stored_first="mimetype",
    )


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


ACCEPTED = [
    ("Einladung.pdf", pdf_bytes(), "application/pdf"),
    ("Foto.jpg", jpeg_bytes(), "image/jpeg"),
    ("Plakat.png", png_bytes(), "image/png"),
    ("Programm.docx", docx_bytes(), DOCX_TYPE),
    ("Programme.odt", odt_bytes(), ODT_TYPE),
]

REFUSED = {
    "a program renamed to .pdf": ("Antrag.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200),
    "an empty file": ("leer.pdf", b""),
    "a plain ZIP renamed to .docx": ("Programm.docx", zip_bytes({"notes.txt": b"hello"})),
    "an HTML page named .png": ("bild.png", b"<!DOCTYPE html><script>alert(1)</script>"),
    "a ZIP with Word's name list but no Word part": (
        "fake.docx",
        zip_bytes({"[Content_Types].xml": b"wordprocessingml", "notes/a.xml": b"<a/>"}),
    ),
    "a ZIP claiming to be an ODT spreadsheet": (
        "Tabelle.odt",
        zip_bytes(
            {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"},
            stored_first="mimetype",
        ),
    ),
    "a macro-enabled Word file": (
        "makro.docx",
        zip_bytes(
            {
                "[Content_Types].xml": b"application/vnd.ms-word.document.macroEnabled.main+xml",
                "word/document.xml": b"<w:document/>",
            }
        ),
    ),
    "a broken ZIP": ("kaputt.docx", b"PK\x03\x04" + b"\x00" * 100),
}


# --- fixtures and helpers ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Every file of these stories lands in a temporary folder, never in the project."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def english_pages(client: Any) -> None:
    """Pages answer in English here, so the stories read the same before and after translation."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload_url(application: Any) -> str:
    return reverse("applications:attachment_upload", args=[application.pk])


def download_url(attachment: Attachment) -> str:
    return reverse("applications:attachment_download", args=[attachment.pk])


def delete_url(attachment: Attachment) -> str:
    return reverse("applications:attachment_delete", args=[attachment.pk])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def downloaded(response: Any) -> bytes:
    # Reading to the end closes the response (the test client wraps it); closing it again
    # would send request_finished, which closes the database connection in the middle of
    # the test on PostgreSQL.
    return b"".join(response.streaming_content)


@pytest.fixture
def attached(cast: demo.Cast, draft: Any) -> Attachment:
    """A draft with one PDF on it."""
    return add_attachment(draft, by=cast.applicant, upload=upload("Einladung.pdf", pdf_bytes()))


@pytest.fixture
def submitted_with_file(cast: demo.Cast, attached: Attachment) -> Attachment:
    services.submit_application(attached.application, by=cast.applicant)
    attached.application.refresh_from_db()
    return attached


# --- what is accepted ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), ACCEPTED, ids=lambda v: str(v)[:12])
def test_each_accepted_kind_is_stored_under_a_generated_name_and_downloads_intact(
    client: Any,
    cast: demo.Cast,
    draft: Any,
    media_root: Path,
    name: str,
    content: bytes,
    content_type: str,
) -> None:
    client.force_login(cast.applicant)
    # The browser's word for the type is ignored: everything claims to be a plain stream here.
    response = client.post(
        upload_url(draft),
        {"file": upload(name, content, "application/octet-stream")},
    )
    assert response.status_code == 302
    attachment = Attachment.objects.get(application=draft)
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.uploaded_by == cast.applicant
    assert attachment.purpose == AttachmentPurpose.APPLICATION
    assert str(attachment.file.name).startswith(f"attachments/{draft.pk}/")
    assert Path(name).stem not in str(attachment.file.name)
    assert [p.read_bytes() for p in stored_files(media_root)] == [content]
    assert any(name in message for message in messages_of(response))

    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert hashlib.sha256(downloaded(response)).hexdigest() == attachment.sha256
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "private" in response["Cache-Control"]


def test_a_name_with_a_wrong_extension_gets_the_extension_of_what_the_file_is(
    cast: demo.Cast, draft: Any
) -> None:
    attachment = add_attachment(draft, by=cast.applicant, upload=upload("scan.png", pdf_bytes()))
    assert attachment.original_name == "scan.png.pdf"
    assert attachment.content_type == "application/pdf"


def test_several_files_in_one_post_each_get_their_own_answer(
    client: Any, cast: demo.Cast, draft: Any
) -> None:
    client.force_login(cast.applicant)
    response = client.post(
        upload_url(draft),
        {"file": [upload("Einladung.pdf", pdf_bytes()), upload("virus.pdf", b"MZ" + b"\0" * 64)]},
    )
    assert response.status_code == 302
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["Einladung.pdf"]
    answers = messages_of(response)
    assert len(answers) == 2
    assert "Einladung.pdf" in answers[0]
    assert "virus.pdf" in answers[1] and "not accepted" in answers[1]


# --- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_refused_file_leaves_neither_row_nor_file(
    cast: demo.Cast, draft: Any, media_root: Path, case: str
) -> None:
    name, content = REFUSED[case]
    with pytest.raises(ValidationError) as refusal:
        add_attachment(draft, by=cast.applicant, upload=upload(name, content))
    for message in refusal.value.messages:
        assert_readable(message)
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_a_refusal_is_shown_to_the_volunteer_after_the_redirect(
    client: Any, cast: demo.Cast, draft: Any, media_root: Path
) -> None:
    client.force_login(cast.applicant)
    response = client.post(upload_url(draft), {"file": upload("Antrag.pdf", b"MZ" + b"\0" * 64)})
    assert response.status_code == 302
    (answer,) = messages_of(response)
    assert "Antrag.pdf" in answer and "not accepted" in answer and "PDF" in answer
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


class Unreadable(io.BytesIO):
    def read(self, *args: Any) -> bytes:
        raise AssertionError("the file was read although its size alone refuses it")


def test_an_eleven_megabyte_file_is_refused_before_it_is_read(
    cast: demo.Cast, draft: Any, media_root: Path
) -> None:
    big = UploadedFile(
        Unreadable(), name="Video.pdf", content_type="application/pdf", size=11 * 2**20
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as refusal:
            add_attachment(draft, by=cast.applicant, upload=big)
        # The message is lazy: read it in English too, not in whatever language the process
        # was left in by an earlier test (German by default).
        (message,) = refusal.value.messages
    assert_readable(message)
    assert "at most 10\xa0MB" in message
    assert refusal.value.code == "file_too_large"
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_an_eleven_megabyte_upload_is_refused_through_the_page(
    client: Any, cast: demo.Cast, draft: Any, media_root: Path
) -> None:
    client.force_login(cast.applicant)
    content = pdf_bytes(padding=11 * 2**20)
    response = client.post(upload_url(draft), {"file": upload("gross.pdf", content)})
    assert response.status_code == 302
    assert "10" in messages_of(response)[0]
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_going_over_the_total_is_refused_and_says_how_much_room_is_left(
    cast: demo.Cast, draft: Any, media_root: Path, settings: Any
) -> None:
    settings.MICROGRANTS_ATTACHMENT_MAX_BYTES = 2048
    settings.MICROGRANTS_ATTACHMENTS_TOTAL_MAX_BYTES = 2500
    first = add_attachment(draft, by=cast.applicant, upload=upload("a.pdf", pdf_bytes(1500)))
    room = 2500 - first.size
    with translation.override("en"), pytest.raises(ValidationError) as refusal:
        add_attachment(draft, by=cast.applicant, upload=upload("b.pdf", pdf_bytes(1500)))
    (message,) = refusal.value.messages
    assert_readable(message)
    assert f"{room}\xa0bytes" in message
    assert "at most 2.4\xa0KB" in message
    assert refusal.value.code == "attachments_total"
    assert Attachment.objects.count() == 1
    assert len(stored_files(media_root)) == 1


def test_a_path_in_the_file_name_never_reaches_the_file_system(
    client: Any, cast: demo.Cast, draft: Any, media_root: Path
) -> None:
    client.force_login(cast.applicant)
    client.post(upload_url(draft), {"file": upload("../../etc/passwd.pdf", pdf_bytes())})
    attachment = Attachment.objects.get()
    assert attachment.original_name == "passwd.pdf"
    assert "passwd" not in str(attachment.file.name) and ".." not in str(attachment.file.name)
    (stored,) = stored_files(media_root)
    assert stored.is_relative_to(media_root / "attachments" / str(draft.pk))
    response = client.get(download_url(attachment))
    downloaded(response)
    assert response["Content-Disposition"] == 'attachment; filename="passwd.pdf"'


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\Anna\\Desktop\\Kostenplan.PDF", "Kostenplan.PDF"),
        ("Rechnung\x00\x07 März.pdf", "Rechnung März.pdf"),
        ("rechnung\u202egpj.exe.pdf", "rechnunggpj.exe.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        (".pdf", "document.pdf"),
        ("bericht", "bericht.pdf"),
        ('a<b>"c|d?.pdf', "a_b__c_d_.pdf"),
        ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
    ],
)
def test_the_original_name_is_cleaned_for_display_and_download(given: str, shown: str) -> None:
    assert clean_file_name(given, PDF_KIND) == shown


def test_the_browser_content_type_and_name_do_not_decide_the_kind() -> None:
    assert detect_kind(io.BytesIO(png_bytes())).content_type == "image/png"  # type: ignore[union-attr]
    assert detect_kind(io.BytesIO(b"just text, named whatever")) is None


def test_if_the_row_cannot_be_written_the_stored_file_is_removed_again(
    cast: demo.Cast, draft: Any, media_root: Path, monkeypatch: Any
) -> None:
    def broken_save(self: Attachment, *args: Any, **kwargs: Any) -> None:
        raise IntegrityError("simulated")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with pytest.raises(IntegrityError):
        add_attachment(draft, by=cast.applicant, upload=upload("a.pdf", pdf_bytes()))
    assert stored_files(media_root) == []


# --- who may do what -----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, attached: Attachment) -> None:
    login = reverse("login")
    urls = [upload_url(attached.application), download_url(attached), delete_url(attached)]
    for url in urls:
        for method in (client.get, client.post):
            response = method(url, {"confirmed": "1"} if method == client.post else {})
            assert response.status_code == 302, url
            assert response["Location"].startswith(login), url
    assert Attachment.objects.filter(pk=attached.pk).exists()


def test_a_member_of_another_organisation_finds_nothing(
    client: Any, attached: Attachment, other_applicant: Any, media_root: Path
) -> None:
    client.force_login(other_applicant)
    assert client.get(download_url(attached)).status_code == 404
    assert client.get(delete_url(attached)).status_code == 404
    assert client.post(delete_url(attached), {"confirmed": "1"}).status_code == 404
    response = client.post(upload_url(attached.application), {"file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 404
    assert attachment_for(other_applicant, attached.pk) is None
    assert list(Attachment.objects.all()) == [attached]
    assert len(stored_files(media_root)) == 1


def test_staff_may_download_but_neither_upload_nor_delete(
    cast: demo.Cast, submitted_with_file: Attachment, media_root: Path
) -> None:
    attachment = submitted_with_file
    application = attachment.application
    for person in (cast.reviewer, cast.manager, cast.admin):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(person)
        response = client.get(download_url(attachment))
        assert response.status_code == 200
        assert downloaded(response) == pdf_bytes()
        # They see the application, so they are refused rather than told it does not exist.
        response = client.post(upload_url(application), {"file": upload("x.pdf", pdf_bytes())})
        assert response.status_code == 403
        response = client.post(delete_url(attachment), {"confirmed": "1"})
        assert response.status_code == 403
        assert client.get(delete_url(attachment)).status_code == 403
        assert not may_change_attachments(application, person, AttachmentPurpose.APPLICATION)
        with pytest.raises(TransitionForbidden):
            delete_attachment(attachment, by=person)
    assert list(Attachment.objects.all()) == [attachment]
    assert len(stored_files(media_root)) == 1


def test_staff_do_not_see_the_files_of_drafts(
    client: Any, cast: demo.Cast, attached: Attachment
) -> None:
    client.force_login(cast.reviewer)
    assert client.get(download_url(attached)).status_code == 404


def test_after_submission_the_applicant_can_no_longer_upload_or_delete(
    client: Any, cast: demo.Cast, submitted_with_file: Attachment, media_root: Path
) -> None:
    attachment = submitted_with_file
    application = attachment.application
    client.force_login(cast.applicant)
    response = client.post(upload_url(application), {"file": upload("spät.pdf", pdf_bytes())})
    (answer,) = messages_of(response)
    assert_readable(answer)
    assert "can no longer be changed" in answer
    response = client.post(delete_url(attachment), {"confirmed": "1"})
    assert "can no longer be changed" in messages_of(response)[0]
    response = client.get(delete_url(attachment))  # not even the question is asked
    assert response.status_code == 302
    with pytest.raises(TransitionForbidden) as refusal:
        add_attachment(application, by=cast.applicant, upload=upload("a.pdf", pdf_bytes()))
    assert refusal.value.code == "attachments_frozen"
    assert list(Attachment.objects.all()) == [attachment]
    assert len(stored_files(media_root)) == 1
    # Still theirs to read.
    assert client.get(download_url(attachment)).status_code == 200


def test_a_request_for_changes_opens_the_documents_again(cast: demo.Cast) -> None:
    application = demo.drive(cast, "changes_requested")
    attachment = add_attachment(
        application, by=cast.applicant, upload=upload("Nachtrag.pdf", pdf_bytes())
    )
    delete_attachment(attachment, by=cast.applicant)
    assert not Attachment.objects.exists()


def test_receipts_can_be_uploaded_only_while_the_report_is_due(
    cast: demo.Cast, other_applicant: Any
) -> None:
    receipt = AttachmentPurpose.RECEIPT
    accepted = demo.drive(cast, "approved", "accepted")
    with pytest.raises(TransitionForbidden) as refusal:
        add_attachment(
            accepted, by=cast.applicant, upload=upload("r.pdf", pdf_bytes()), purpose=receipt
        )
    assert_readable(refusal.value.message)

    due = demo.drive(cast, "approved", "report_due")
    stored = add_attachment(
        due, by=cast.applicant, upload=upload("Beleg.jpg", jpeg_bytes()), purpose=receipt
    )
    assert stored.purpose == receipt
    # Documents of the application itself stay frozen, and only members add receipts.
    for by, purpose in [
        (cast.applicant, AttachmentPurpose.APPLICATION),
        (cast.reviewer, receipt),
        (other_applicant, receipt),
    ]:
        with pytest.raises(TransitionForbidden):
            add_attachment(due, by=by, upload=upload("r.pdf", pdf_bytes()), purpose=purpose)
    assert not may_change_attachments(due, cast.applicant, "something-else")

    submitted = demo.drive(cast, "approved", "report_submitted")
    assert not may_change_attachments(submitted, cast.applicant, receipt)
    assert may_change_attachments(due, cast.applicant, receipt)
    assert list(Attachment.objects.all()) == [stored]


def test_the_upload_page_applies_the_same_rules_to_receipts(client: Any, cast: demo.Cast) -> None:
    accepted = demo.drive(cast, "approved", "accepted")
    due = demo.drive(cast, "approved", "report_due")
    client.force_login(cast.applicant)
    file = upload("Beleg.pdf", pdf_bytes())
    client.post(upload_url(accepted), {"file": file, "purpose": "receipt"})
    assert not Attachment.objects.exists()
    file = upload("Beleg.pdf", pdf_bytes())
    client.post(upload_url(due), {"file": file, "purpose": "receipt"})
    assert Attachment.objects.get().purpose == "receipt"


# --- deleting ------------------------------------------------------------------------------------


def test_deleting_asks_first_then_removes_row_and_file(
    client: Any,
    cast: demo.Cast,
    attached: Attachment,
    media_root: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(cast.applicant)
    back = reverse("applications:detail", args=[attached.application_id])
    question = client.get(delete_url(attached), {"next": back})
    assert question.status_code == 200
    page = question.content.decode()
    assert "Einladung.pdf" in page and 'name="confirmed"' in page
    # A post without the confirmation (the form of the list without JavaScript) only asks.
    assert client.post(delete_url(attached)).status_code == 200
    assert Attachment.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(delete_url(attached), {"confirmed": "1", "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    assert "Einladung.pdf" in messages_of(response)[0]
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []


def test_the_file_stays_until_the_deletion_is_committed(
    cast: demo.Cast, attached: Attachment, media_root: Path
) -> None:
    delete_attachment(attached, by=cast.applicant)  # inside the test's transaction
    assert not Attachment.objects.exists()
    assert len(stored_files(media_root)) == 1


# --- pages: htmx, next, the partial ---------------------------------------------------------------


def test_with_htmx_the_upload_answers_with_the_refreshed_list(
    client: Any, cast: demo.Cast, draft: Any
) -> None:
    client.force_login(cast.applicant)
    response = client.post(
        upload_url(draft),
        {
            "file": [upload("Plan.pdf", pdf_bytes()), upload("böse.png", b"<html></html>")],
            "next": "/somewhere/",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="alert"' in page and "böse.png" in page
    assert "Plan.pdf" in page and download_url(Attachment.objects.get()) in page
    assert 'value="/somewhere/"' in page
    assert messages_of(response) == []  # nothing left over for the next full page


def test_with_htmx_delete_answers_with_the_refreshed_list(
    client: Any, cast: demo.Cast, attached: Attachment
) -> None:
    client.force_login(cast.applicant)
    page_url = f"http://testserver/applications/{attached.application_id}/edit/?step=3"
    response = client.post(
        delete_url(attached),
        {"confirmed": "1"},
        headers={"HX-Request": "true", "HX-Current-URL": page_url},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Einladung.pdf" in page  # in the notice that it was deleted
    assert f'href="{download_url(attached)}"' not in page
    # Without JavaScript the next form would still return to the page the browser shows.
    assert f'value="/applications/{attached.application_id}/edit/?step=3"' in page
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)"],
)
def test_next_never_leads_to_another_site(
    client: Any, cast: demo.Cast, draft: Any, next_url: str
) -> None:
    client.force_login(cast.applicant)
    response = client.post(
        upload_url(draft), {"file": upload("a.pdf", pdf_bytes()), "next": next_url}
    )
    assert response["Location"] == reverse("applications:detail", args=[draft.pk])


def test_next_returns_to_the_page_the_upload_came_from(
    client: Any, cast: demo.Cast, draft: Any
) -> None:
    client.force_login(cast.applicant)
    back = f"/applications/{draft.pk}/edit/?step=3"
    response = client.post(upload_url(draft), {"file": upload("a.pdf", pdf_bytes()), "next": back})
    assert response["Location"] == back


def test_the_partial_lists_files_and_explains_the_limits(
    cast: demo.Cast, attached: Attachment
) -> None:
    request = RequestFactory().get("/applications/1/edit/")
    request.user = cast.applicant
    context = {
        "application": attached.application,
        "attachments": [attached],
        "can_edit_attachments": True,
    }
    with translation.override("en"):
        page = render_to_string("applications/_attachments.html", context, request=request)
    assert "Einladung.pdf" in page and download_url(attached) in page
    assert delete_url(attached) in page and "hx-confirm" in page
    assert 'name="file"' in page and "multiple" in page
    assert 'accept=".pdf,.jpg,.jpeg,.png,.docx,.odt"' in page
    assert "10\xa0MB per file" in page and "50\xa0MB for all files" in page
    assert 'aria-describedby="attachments-application-' in page
    assert 'value="/applications/1/edit/"' in page

    context["can_edit_attachments"] = False
    with translation.override("en"):
        page = render_to_string("applications/_attachments.html", context, request=request)
    assert "Einladung.pdf" in page
    assert delete_url(attached) not in page and 'name="file"' not in page


def test_sizes_are_written_in_the_readers_number_format(cast: demo.Cast, draft: Any) -> None:
    attachment = add_attachment(draft, by=cast.applicant, upload=upload("a.pdf", pdf_bytes(1500)))
    request = RequestFactory().get("/")
    request.user = cast.applicant
    context = {"application": draft, "attachments": [attachment], "can_edit_attachments": False}
    with translation.override("de"):
        german = render_to_string("applications/_attachments.html", context, request=request)
    with translation.override("en"):
        english = render_to_string("applications/_attachments.html", context, request=request)
    assert "1,5\xa0KB" in german
    assert "1.5\xa0KB" in english


def test_a_large_upload_spooled_to_disk_is_checked_and_stored_intact(
    client: Any, cast: demo.Cast, draft: Any, media_root: Path, settings: Any
) -> None:
    content = pdf_bytes(padding=settings.FILE_UPLOAD_MAX_MEMORY_SIZE + 1000)
    client.force_login(cast.applicant)
    client.post(upload_url(draft), {"file": upload("Dokumentation.pdf", content)})
    attachment = Attachment.objects.get()
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert [p.read_bytes() for p in stored_files(media_root)] == [content]


def test_upload_and_delete_change_nothing_on_a_plain_get(
    client: Any, cast: demo.Cast, attached: Attachment
) -> None:
    client.force_login(cast.applicant)
    assert client.get(upload_url(attached.application)).status_code == 405
    assert client.get(delete_url(attached), {"confirmed": "1"}).status_code == 200  # asks only
    assert Attachment.objects.filter(pk=attached.pk).exists()


def test_files_left_without_a_row_are_swept_once_they_are_old(
    cast: demo.Cast, attached: Attachment, media_root: Path
) -> None:
    storage = attached.file.storage
    folder = f"attachments/{attached.application_id}"
    old = storage.save(f"{folder}/{'a' * 32}", ContentFile(b"left by a rolled-back save"))
    young = storage.save(f"{folder}/{'b' * 32}", ContentFile(b"an upload on its way"))
    a_day_ago = time.time() - 86400
    os.utime(media_root / old, (a_day_ago, a_day_ago))
    os.utime(media_root / str(attached.file.name), (a_day_ago, a_day_ago))
    output = io.StringIO()
    call_command("remove_orphaned_attachments", stdout=output)
    assert "1 file(s) removed" in output.getvalue()
    assert sorted(p.relative_to(media_root).as_posix() for p in stored_files(media_root)) == sorted(
        [str(attached.file.name), young]
    )


def test_funders_on_the_website_see_neither_applications_nor_their_files(
    client, cast, draft, settings, tmp_path
):
    """Attachments may hold personal data; the funder API gives funders a non-personal view,
    and the website none at all (their programmes live in their tokens)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from applications.attachments import add_attachment

    settings.MEDIA_ROOT = tmp_path
    attachment = add_attachment(draft, by=cast.applicant, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n%%EOF\n"))  # fmt: skip
    from applications import services

    services.submit_application(draft, by=cast.applicant)
    client.force_login(cast.funder)
    assert client.get(reverse("applications:detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("applications:attachment_download", args=[attachment.pk])).status_code == 404  # fmt: skip
    home = client.get(reverse("applications:home"))
    assert home.status_code == 200
    assert reverse("api:docs") in home.content.decode()

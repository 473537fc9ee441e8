"""A full disk: an upload, a document or a bank file that cannot be stored says so in the reader's
language, keeps what was typed, and leaves no file and no row behind; the sweep removes what an
older crash left in any folder the project writes into."""

from __future__ import annotations

import errno
import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from applications.attachments import add_attachment
from applications.documents import issue_document
from applications.models import Attachment, Document, DocumentKind, Receipt
from applications.tasks import issue_document_task
from demo import builders as demo
from grants import finance
from grants.models import BatchStatus, PaymentStatus
from tests.applications.test_attachments import messages_of, pdf_bytes, upload, upload_url
from tests.applications.test_documents import submit_log, submitted_quietly
from tests.applications.test_reports import edit_page, receipt, saved_state, url, with_receipts
from tests.grants.test_finance import approved
from workflows import clock
from workflows.api.problems import problem_exception_handler
from workflows.storage import (
    StorageUnavailable,
    all_or_no_files,
    storage_unavailable,
    stored_folders,
)

NO_SPACE = (
    "The file could not be stored because the server has no space left. "
    "Nothing was saved. Please try again later."
)
DAY = 86400


class FillingDisk(FileSystemStorage):
    """A disk with room for `files_that_fit` more files; the next one is written in part (as a
    real disk fills up), then the write fails with `error`."""

    files_that_fit = 0
    written_before_failing = b"%PDF-1."
    error = errno.ENOSPC

    def _save(self, name: str, content: Any) -> str:
        if FillingDisk.files_that_fit > 0:
            FillingDisk.files_that_fit -= 1
            return super()._save(name, content)  # type: ignore[misc]
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(FillingDisk.written_before_failing)
        raise OSError(FillingDisk.error, os.strerror(FillingDisk.error), str(path))


@pytest.fixture
def disk_fills_up(settings: Any, monkeypatch: Any) -> Any:
    """`disk_fills_up(files_that_fit=0, leaves=b"%PDF-1.", error=ENOSPC)`: from now on the media
    folder is a disk that takes that many more files."""

    def fill(
        *, files_that_fit: int = 0, leaves: bytes = b"%PDF-1.", error: int = errno.ENOSPC
    ) -> None:
        monkeypatch.setattr(FillingDisk, "files_that_fit", files_that_fit)
        monkeypatch.setattr(FillingDisk, "written_before_failing", leaves)
        monkeypatch.setattr(FillingDisk, "error", error)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": f"{__name__}.FillingDisk"},
        }

    return fill


@pytest.fixture
def media_root(settings: Any) -> Path:
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


def files_under(root: Path, folder: str = "") -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in (root / folder).rglob("*") if p.is_file())


def in_german(message: str) -> str:
    with translation.override("de"):
        return translation.gettext(message)


@pytest.fixture
def due(cast: demo.Cast) -> Any:
    """An application whose grant waits for its final report."""
    return demo.drive(cast, "approved", "report_due")


# --- uploads in the portal -------------------------------------------------------------------


def test_a_full_disk_keeps_the_typed_report_and_says_so_in_german(
    client: Any, cast: demo.Cast, due: Any, disk_fills_up: Any, media_root: Path
) -> None:
    client.force_login(cast.applicant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    _page, data = edit_page(client, due)
    before = saved_state(due)
    data["narrative"] = "Dreißig Mitglieder waren eine Woche in Lyon."
    day = due.grant.project_start
    bus = receipt(day, "100", file=upload("Rechnung Bus.pdf", pdf_bytes()))
    hostel = receipt(day, "40", payee="Auberge de Jeunesse Lyon", file=upload("Q.pdf", pdf_bytes()))
    with_receipts(data, bus, hostel)
    disk_fills_up(files_that_fit=1)  # the first receipt is stored, the second no more

    response = client.post(url("report", due), data)

    assert response.status_code == 503
    page = response.content.decode()
    assert '<html lang="de"' in page
    assert in_german(NO_SPACE) != NO_SPACE  # the catalogue has it
    assert escape(in_german(NO_SPACE)) in page
    assert "Dreißig Mitglieder waren eine Woche in Lyon." in page
    assert "Rheinland Reisen GmbH" in page and "Auberge de Jeunesse Lyon" in page
    assert saved_state(due) == before
    assert not Attachment.objects.exists() and not Receipt.objects.exists()
    assert files_under(media_root, "attachments") == []  # neither the first nor the half one


def test_a_full_disk_answers_the_upload_with_a_message_and_keeps_nothing(
    client: Any, cast: demo.Cast, draft: Any, disk_fills_up: Any, media_root: Path
) -> None:
    client.force_login(cast.applicant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    disk_fills_up()

    with_js = client.post(
        upload_url(draft), {"file": upload("Einladung.pdf", pdf_bytes())}, HTTP_HX_REQUEST="true"
    )
    without_js = client.post(upload_url(draft), {"file": upload("Einladung.pdf", pdf_bytes())})

    assert with_js.status_code == 200  # htmx swaps the list only on success codes
    assert escape(in_german(NO_SPACE)) in with_js.content.decode()
    assert "Einladung.pdf" in with_js.content.decode()
    assert without_js.status_code == 302
    (message,) = messages_of(without_js)
    assert "Einladung.pdf" in message and in_german(NO_SPACE) in message
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


def test_an_upload_that_cannot_be_stored_raises_a_clear_error_and_leaves_nothing(
    cast: demo.Cast, draft: Any, disk_fills_up: Any, media_root: Path
) -> None:
    disk_fills_up(error=errno.EIO)
    with pytest.raises(StorageUnavailable) as refused:
        add_attachment(draft, by=cast.applicant, upload=upload("Einladung.pdf", pdf_bytes()))
    assert refused.value.code == "storage_unavailable" and refused.value.http_status == 503
    with translation.override("en"):  # a lazy message, in each reader's language
        assert "problem on the server" in str(refused.value.message)
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


def test_the_api_answers_a_full_disk_with_503_and_the_message() -> None:
    """No API endpoint takes files yet; any that stores one answers like this."""
    error = storage_unavailable(OSError(errno.ENOSPC, "No space left on device"))
    with translation.override("en"):
        response = problem_exception_handler(error, {"request": None})
    assert response is not None and response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert response.data["code"] == "storage_full"
    assert response.data["detail"].startswith(NO_SPACE)


# --- documents rendered in the background -----------------------------------------------------


@pytest.mark.parametrize("leaves", [b"", b"%PDF-1."], ids=["empty file", "half a file"])
def test_a_document_that_cannot_be_stored_raises_for_a_retry_and_leaves_no_file(
    cast: demo.Cast, disk_fills_up: Any, media_root: Path, leaves: bytes
) -> None:
    application = submitted_quietly(cast)
    log = submit_log(application)
    disk_fills_up(leaves=leaves)

    with pytest.raises(StorageUnavailable):
        issue_document_task.call(application.pk, DocumentKind.SUMMARY, log.pk)

    assert not Document.objects.exists()
    assert files_under(media_root) == []


def test_a_document_rendered_again_on_a_full_disk_keeps_the_one_it_had(
    cast: demo.Cast, disk_fills_up: Any, media_root: Path
) -> None:
    application = submitted_quietly(cast)
    log = submit_log(application)
    before = issue_document(application, kind=DocumentKind.SUMMARY, log=log)
    disk_fills_up()

    with pytest.raises(StorageUnavailable):
        issue_document(application, kind=DocumentKind.SUMMARY, log=log, replace=True)

    after = Document.objects.get()
    assert (after.file.name, after.sha256, after.size) == (
        before.file.name,
        before.sha256,
        before.size,
    )
    assert files_under(media_root) == [before.file.name]


# --- bank files ------------------------------------------------------------------------------


def test_a_batch_whose_files_cannot_be_stored_stays_a_draft_without_files(
    cast: demo.Cast, disk_fills_up: Any, media_root: Path
) -> None:
    payments = approved(cast)
    batch = finance.create_batch(payments, by=cast.finance, execution_date=clock.today())
    disk_fills_up(files_that_fit=2)  # the SEPA XML and the CSV fit, the XLSX no more

    with pytest.raises(StorageUnavailable):
        finance.export_batch(batch, by=cast.finance)

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and not batch.sepa_file and not batch.sepa_sha256
    assert {p.status for p in batch.payments.all()} == {PaymentStatus.APPROVED}
    assert files_under(media_root) == []


def test_the_batch_page_says_the_disk_is_full(
    client: Any, cast: demo.Cast, disk_fills_up: Any, media_root: Path
) -> None:
    batch = finance.create_batch(approved(cast), by=cast.finance, execution_date=clock.today())
    client.force_login(cast.finance)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    disk_fills_up()
    response = client.post(
        reverse("finance:export", args=[batch.pk]),
        {"execution_date": clock.today().isoformat()},
    )
    assert response.status_code == 302
    assert any(NO_SPACE in message for message in messages_of(response))
    assert files_under(media_root) == []


# --- the sweep -------------------------------------------------------------------------------


def put(root: Path, name: str, content: bytes = b"some bytes", *, age: float = 0) -> str:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return name


@pytest.fixture
def leftovers(cast: demo.Cast, draft: Any, media_root: Path) -> dict[str, str]:
    """Files of every kind in every folder: some named by rows, some left by crashes."""
    attached = add_attachment(draft, by=cast.applicant, upload=upload("Plan.pdf", pdf_bytes()))
    named = put(media_root, str(attached.file.name), pdf_bytes(), age=DAY)
    return {
        "named": named,
        "old orphan": put(media_root, f"attachments/{draft.pk}/{'a' * 32}", age=DAY),
        "young orphan": put(media_root, f"documents/{draft.pk}/summary-{'b' * 32}.pdf"),
        "old empty": put(media_root, f"documents/{draft.pk}/summary-{'c' * 32}.pdf", b"", age=DAY),
        "young empty": put(media_root, f"documents/{draft.pk}/summary-{'d' * 32}.pdf", b""),
        "old batch file": put(media_root, "batches/MG-20260101-1.xml", age=DAY),
        "not ours": put(media_root, "elsewhere/notes.txt", age=DAY),
    }


def sweep(*args: str) -> str:
    output = io.StringIO()
    call_command(*args, stdout=output)
    return output.getvalue()


def test_the_sweep_removes_old_orphans_and_empty_files_in_every_folder_and_keeps_the_rest(
    leftovers: dict[str, str], media_root: Path
) -> None:
    everything = files_under(media_root)

    listed = sweep("remove_orphaned_files", "--dry-run")
    assert files_under(media_root) == everything  # a dry run removes nothing
    assert "3 file(s) would be removed" in listed

    output = sweep("remove_orphaned_files")

    gone = {leftovers[k] for k in ("old orphan", "old empty", "old batch file")}
    assert files_under(media_root) == sorted(set(everything) - gone)
    for name in gone:
        assert name in listed and f"removed {name}" in output
    assert "3 file(s) removed" in output


def test_the_sweep_waits_as_long_as_it_is_told(leftovers: dict[str, str], media_root: Path) -> None:
    output = sweep("remove_orphaned_files", "--hours", "0")
    assert "5 file(s) removed" in output  # the young orphan and the young empty file too
    assert files_under(media_root) == sorted([leftovers["named"], leftovers["not ours"]])


def test_an_empty_file_a_row_names_is_removed_and_the_row_named(
    cast: demo.Cast, draft: Any, media_root: Path
) -> None:
    attached = add_attachment(draft, by=cast.applicant, upload=upload("Plan.pdf", pdf_bytes()))
    put(media_root, str(attached.file.name), b"", age=DAY)
    output = sweep("remove_orphaned_files")
    assert f"applications.Attachment {attached.pk} names it" in output
    assert files_under(media_root) == []


def test_the_old_command_name_still_sweeps(leftovers: dict[str, str], media_root: Path) -> None:
    assert "3 file(s) removed" in sweep("remove_orphaned_attachments")
    assert leftovers["old orphan"] not in files_under(media_root)


def test_the_sweep_knows_the_folders_from_the_file_fields() -> None:
    folders = {place.folder: place.fields for place in stored_folders()}
    assert folders["attachments"] == ("applications.Attachment.file",)
    assert folders["documents"] == ("applications.Document.file",)
    assert set(folders["batches"]) == {
        "grants.PaymentBatch.sepa_file",
        "grants.PaymentBatch.csv_file",
        "grants.PaymentBatch.xlsx_file",
    }


def test_a_stored_file_is_written_whole(media_root: Path) -> None:
    """The helper writes like FieldFile.save when the disk has room."""
    document = Document(application_id=1, kind=DocumentKind.SUMMARY)
    with all_or_no_files() as written:
        name = written.save(document.file, "x.pdf", ContentFile(b"%PDF-1.7 whole"))
    assert document.file.name == name and name.startswith("documents/1/summary-")
    assert (media_root / name).read_bytes() == b"%PDF-1.7 whole"

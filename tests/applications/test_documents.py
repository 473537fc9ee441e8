"""The fund's documents: made by the transitions that cause them (and only if those commit), once
per cause, bilingual with the figures in each language's notation, loading nothing but static
files, and served only to those who may see the application's files.

Rendering a PDF takes 60-400 ms: the tests render few and read them back with pypdf.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from pypdf import PdfReader

from applications import documents, services
from applications.documents import (
    ResourceRefused,
    allowed_static_path,
    issue_document,
    languages_for,
    mask_iban,
    render_pdf,
    static_files_fetcher,
)
from applications.models import Application, Document, DocumentKind
from applications.tasks import issue_document_task
from demo import builders as demo
from grants.models import Grant, Payment, PaymentKind
from workflows import clock, effects
from workflows.models import TransitionLog

STATIC = Path(settings.STATICFILES_DIRS[0])
# These tests read real PDFs: a suite-wide fixture that stubs the rendering out elsewhere (it
# costs ~130 ms per document) leaves the modules that say so alone.
RENDERS_PDF = True

# --- helpers ------------------------------------------------------------------------------------


class InLanguage(demo.StepHooks):
    """Drive an application whose applicant chose `language` before submitting."""

    def __init__(self, language: str) -> None:
        self.language = language

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        if step == "submit":
            Application.objects.filter(pk=obj.pk).update(language=self.language)
        return None


def normalised(text: str) -> str:
    """Whitespace as one plain space: French groups digits with a (narrow) no-break space, and
    lines wrap wherever the layout likes."""
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def text_of(document: Document) -> str:
    with document.file.open("rb") as handle:
        reader = PdfReader(handle)
        return normalised(" ".join(page.extract_text() for page in reader.pages))


def day(value: date, language: str) -> str:
    with translation.override(language):
        return normalised(formats.date_format(value, "DATE_FORMAT"))


MONEY = {  # the same amount in each language's notation
    "de": {"4000": "4.000,00 EUR", "3000": "3.000,00 EUR", "1000": "1.000,00 EUR"},
    "fr": {"4000": "4 000,00 EUR", "3000": "3 000,00 EUR", "1000": "1 000,00 EUR"},
}


def assert_bilingual(text: str, first: str, *, amount: str, on: date) -> None:
    """Both parts show the amount and the date in their notation, `first`'s part first."""
    second = "fr" if first == "de" else "de"
    for language in (first, second):
        assert MONEY[language][amount] in text, (language, amount)
        assert day(on, language) in text, (language, on)
    assert text.index(MONEY[first][amount]) < text.index(MONEY[second][amount])
    assert text.index(day(on, first)) < text.index(day(on, second))


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "documents").rglob("*") if p.is_file())


@pytest.fixture
def media_root(settings: Any) -> Path:
    return Path(settings.MEDIA_ROOT)


# --- every kind, in both languages ---------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "fr"])
def test_each_kind_is_issued_by_its_cause_in_both_languages_with_the_right_figures(
    cast: demo.Cast, committed: Any, language: str
) -> None:
    with committed():
        settled = demo.drive(cast, "approved", "settled", steps=InLanguage(language))
        rejected = demo.drive(cast, "rejected", steps=InLanguage(language), title="Abgelehnt")
    grant = Grant.objects.get(application=settled)
    advance = Payment.objects.get(grant=grant, kind=PaymentKind.ADVANCE)
    balance = Payment.objects.get(grant=grant, kind=PaymentKind.BALANCE)
    issued = {(d.application_id, d.kind): d for d in Document.objects.all()}
    assert sorted(issued) == sorted(
        [
            (settled.pk, DocumentKind.SUMMARY),
            (settled.pk, DocumentKind.APPROVAL),
            (settled.pk, DocumentKind.PAYMENT_ADVICE),
            (settled.pk, DocumentKind.SETTLEMENT),
            (rejected.pk, DocumentKind.SUMMARY),
            (rejected.pk, DocumentKind.REJECTION),
        ]
    )
    for document in issued.values():
        assert document.language == language
        assert document.size == document.file.size > 1000
        with document.file.open("rb") as handle:
            assert handle.read(5) == b"%PDF-"
    for (_pk, kind), document in issued.items():
        text = text_of(document)
        application = document.application
        assert application.reference and application.reference in text, kind
        assert "Partnerschaftskomitee Köln–Lyon e.V." in text, kind
        if kind == DocumentKind.SUMMARY:
            assert_bilingual(text, language, amount="4000", on=application.start_date)
            assert "Comité de jumelage Lyon" in text  # the partners
            assert "Bus Köln–Lyon, 30 Personen" in text  # the budget plan
        elif kind == DocumentKind.APPROVAL:
            assert document.log.transition == "approve"
            assert document.grant == grant
            assert_bilingual(text, language, amount="4000", on=grant.offer_expires_on)
            assert_bilingual(text, language, amount="3000", on=grant.project_start)
            assert "75 %" in text and "25 %" in text  # the payment plan
        elif kind == DocumentKind.PAYMENT_ADVICE:
            assert document.payment == advance
            assert_bilingual(text, language, amount="3000", on=advance.due_on)
            assert advance.end_to_end_id in text
            assert "**** **** **** **** **30 00" in text  # DE89 3704 0044 0532 0130 00
            assert "DE89" not in text
        elif kind == DocumentKind.SETTLEMENT:
            assert document.log.transition == "accept_report"
            assert_bilingual(text, language, amount="4000", on=balance.due_on)  # entitlement
            assert MONEY[language]["3000"] in text  # paid before
            assert MONEY[language]["1000"] in text  # the balance payment
        elif kind == DocumentKind.REJECTION:
            assert "Nicht förderfähig / non éligible." in text
            assert day(timezone.localdate(document.log.created_at), language) in text
    # The footer of each part counts the pages in its own language.
    summary_text = text_of(issued[(settled.pk, DocumentKind.SUMMARY)])
    assert (
        "Page 1 of" in summary_text or "Seite 1 von" in summary_text or "Page 1 sur" in summary_text
    )


def test_english_speakers_read_german_first_then_french() -> None:
    assert languages_for(Application(language="en")) == ["de", "fr"]
    assert languages_for(Application(language="fr")) == ["fr", "de"]
    assert languages_for(Application(language="de"), "fr") == ["fr", "de"]


def test_the_iban_shows_only_its_last_four_characters() -> None:
    assert mask_iban("DE89 3704 0044 0532 0130 00") == "**** **** **** **** **30 00"
    assert mask_iban("FR1420041010050500013M02606").replace(" ", "").endswith("2606")
    assert mask_iban("") == ""


# --- once per cause, and only for changes that commit ---------------------------------------------


class Boom(Exception):
    pass


def test_a_rolled_back_submission_issues_no_document(
    cast: demo.Cast, draft: Application, committed: Any, media_root: Path
) -> None:
    with committed(), pytest.raises(Boom), transaction.atomic():
        services.submit_application(draft, by=cast.applicant)
        raise Boom
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert not Document.objects.exists()
    assert not (media_root / "documents").exists()


def test_a_document_that_fails_waits_for_a_retry_and_keeps_the_other_effects_going(
    cast: demo.Cast, draft: Application, committed: Any, monkeypatch: Any
) -> None:
    from reviews.models import ReviewTask
    from workflows.models import SideEffect, SideEffectStatus

    def broken(html: str) -> bytes:
        raise RuntimeError("the renderer broke")

    working = documents.render_pdf
    monkeypatch.setattr(documents, "render_pdf", broken)
    with committed():
        submitted = services.submit_application(draft, by=cast.applicant)
    assert not Document.objects.exists()
    assert ReviewTask.objects.filter(application=submitted).exists()  # the formal check opened
    [waiting] = [e for e in SideEffect.objects.all() if "summary" in e.handler]
    assert (waiting.status, waiting.attempts) == (SideEffectStatus.PENDING, 1)
    assert "the renderer broke" in waiting.last_error

    # The renderer works again: the sweeper's next run issues the letter.
    monkeypatch.setattr(documents, "render_pdf", working)
    assert effects.run(waiting.pk, force=True) == "done"
    assert Document.objects.filter(application=submitted, kind="summary").count() == 1


def submitted_quietly(cast: demo.Cast, **kwargs: Any) -> Application:
    """A submitted application whose side effects did not run: no document yet."""
    with effects.suspended():
        return demo.drive(cast, "submitted", **kwargs)


def submit_log(application: Application) -> TransitionLog:
    return TransitionLog.objects.for_object(application).get(transition="submit")


def test_running_the_task_twice_stores_one_document(cast: demo.Cast, media_root: Path) -> None:
    application = submitted_quietly(cast)
    log = submit_log(application)
    first = issue_document_task.call(application.pk, DocumentKind.SUMMARY, log.pk)
    second = issue_document_task.call(application.pk, DocumentKind.SUMMARY, log.pk)
    assert first == second
    document = Document.objects.get()
    assert (document.kind, document.log, document.language) == ("summary", log, "de")
    assert len(stored_files(media_root)) == 1
    assert str(document.file.name).startswith(f"documents/{application.pk}/summary-")


def test_when_another_run_stored_it_first_its_document_wins_and_ours_is_removed(
    cast: demo.Cast, media_root: Path, monkeypatch: Any
) -> None:
    application = submitted_quietly(cast)
    log = submit_log(application)
    theirs = issue_document(application, kind=DocumentKind.SUMMARY, log=log)
    real = documents.existing_document
    calls: list[int] = []

    def first_misses(*args: Any, **kwargs: Any) -> Document | None:
        calls.append(1)  # our run looked before theirs had committed
        return None if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(documents, "existing_document", first_misses)
    ours = issue_document(application, kind=DocumentKind.SUMMARY, log=log)
    assert ours == theirs
    assert stored_files(media_root) == [media_root / str(theirs.file.name)]


# --- nothing but static files ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.org/print.css",
        "https://example.org/logo.svg",
        "ftp://example.org/x",
        "data:text/css,body{}",
        "file:///etc/passwd",
        "file://otherhost" + str(STATIC / "css" / "print.css"),
        (STATIC / ".." / "config" / "settings.py").as_uri(),
        (STATIC / "css" / "missing.css").as_uri(),
    ],
)
def test_the_url_fetcher_refuses_anything_but_static_files(url: str) -> None:
    with pytest.raises(ResourceRefused):
        static_files_fetcher().fetch(url)


def test_the_url_fetcher_serves_the_stylesheet_and_the_logo() -> None:
    fetcher = static_files_fetcher()
    stylesheet = fetcher.fetch((STATIC / "css" / "print.css").as_uri())
    assert stylesheet.content_type == "text/css"
    assert b"@page" in stylesheet.read()
    logo = fetcher.fetch((STATIC / "img" / "logo.svg").as_uri())
    assert logo.content_type == "image/svg+xml"
    assert allowed_static_path((STATIC / "img" / "logo.svg").as_uri()).name == "logo.svg"


def test_a_document_that_asks_for_another_server_or_file_is_not_rendered() -> None:
    with pytest.raises(ResourceRefused):
        render_pdf('<p>x</p><img src="http://example.org/tracker.png">')
    with pytest.raises(ResourceRefused):
        render_pdf('<link rel="stylesheet" href="file:///etc/passwd"><p>x</p>')


# --- listing and download ----------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.7\n% a stored document\n%%EOF\n"


@pytest.fixture
def stored(cast: demo.Cast) -> Document:
    """A stored summary (its bytes are not a real rendering: the view only serves them)."""
    application = submitted_quietly(cast)
    document = Document(
        application=application,
        kind=DocumentKind.SUMMARY,
        log=submit_log(application),
        language="de",
        sha256="0" * 64,
        size=len(PDF_BYTES),
    )
    document.file.save("x.pdf", ContentFile(PDF_BYTES))
    return document


def test_members_and_staff_download_a_document_as_pdf(cast: demo.Cast, stored: Document) -> None:
    url = reverse("applications:document_download", args=[stored.pk])
    for person in (cast.applicant, cast.reviewer, cast.manager, cast.finance, cast.admin):
        client = Client()
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == 200, person
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "sandbox"
        assert "no-store" in response["Cache-Control"]
        assert (
            f"{stored.application.reference}-antragsuebersicht-de.pdf"
            in response["Content-Disposition"]
        )
        assert b"".join(response.streaming_content) == PDF_BYTES


def test_other_organisations_and_funders_get_404_and_anonymous_visitors_sign_in(
    client: Any, cast: demo.Cast, other_applicant: Any, stored: Document
) -> None:
    url = reverse("applications:document_download", args=[stored.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    for person in (other_applicant, cast.funder):
        client.force_login(person)
        assert client.get(url).status_code == 404, person
    client.force_login(cast.applicant)
    missing = reverse("applications:document_download", args=[stored.pk + 1000])
    assert client.get(missing).status_code == 404
    assert client.post(url).status_code == 405


def test_the_application_page_lists_the_documents(
    client: Any, cast: demo.Cast, stored: Document
) -> None:
    client.force_login(cast.applicant)
    response = client.get(
        reverse("applications:detail", args=[stored.application_id]), HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert reverse("applications:document_download", args=[stored.pk]) in page
    assert "Application summary" in page


def test_after_a_resubmission_the_page_tells_the_current_summary_from_the_earlier_one(
    client: Any, cast: demo.Cast, stored: Document
) -> None:
    application = stored.application
    with effects.suspended():
        services.request_changes(application, by=cast.reviewer, message="Bitte das Budget ergänzen.", reply_by=clock.today() + timedelta(days=14))  # fmt: skip
        services.resubmit_application(application, by=cast.applicant)
    resubmit = TransitionLog.objects.for_object(application).get(transition="resubmit")
    later = Document(application=application, kind=DocumentKind.SUMMARY, log=resubmit, language="de", sha256="1" * 64, size=len(PDF_BYTES))  # fmt: skip
    later.file.save("y.pdf", ContentFile(PDF_BYTES))
    client.force_login(cast.applicant)

    page = client.get(reverse("applications:detail", args=[application.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip

    earlier_link = reverse("applications:document_download", args=[stored.pk])
    current_link = reverse("applications:document_download", args=[later.pk])
    earlier_item = page[page.index(earlier_link) :].split("</li>")[0]
    current_item = page[page.index(current_link) :].split("</li>")[0]
    assert "earlier version" in earlier_item and "current version" not in earlier_item
    assert "current version" in current_item


# --- bulk regeneration -------------------------------------------------------------------------


def test_generate_documents_makes_the_missing_ones_once(
    cast: demo.Cast, media_root: Path, capsys: Any
) -> None:
    first = submitted_quietly(cast)
    second = submitted_quietly(cast, title="Zweites Projekt")
    call_command("generate_documents", kind="summary", programme="lighthouse")
    call_command("generate_documents", kind="summary", since=date(2999, 1, 1))
    assert not Document.objects.exists()  # neither of another programme nor that late
    call_command("generate_documents", kind="summary", missing_only=True, limit=1)
    assert Document.objects.count() == 1
    call_command("generate_documents", kind="summary", status="submitted")
    assert sorted(Document.objects.values_list("application_id", flat=True)) == [
        first.pk,
        second.pk,
    ]
    names = sorted(str(d.file.name) for d in Document.objects.all())
    call_command("generate_documents", kind="summary")  # nothing to do: nothing rendered
    call_command("generate_documents", kind="summary", missing_only=True)
    assert sorted(str(d.file.name) for d in Document.objects.all()) == names
    assert len(stored_files(media_root)) == 2
    output = capsys.readouterr().out
    assert "2 existing" in output


def test_generate_documents_replace_renders_again_into_the_same_row(
    cast: demo.Cast, media_root: Path, committed: Any
) -> None:
    application = submitted_quietly(cast)
    with committed():
        call_command("generate_documents", kind="summary")
    before = Document.objects.get()
    with committed():
        call_command("generate_documents", kind="summary", replace=True, since=date(2000, 1, 1))
    after = Document.objects.get()
    assert after.pk == before.pk and after.log_id == before.log_id
    assert after.file.name != before.file.name
    assert stored_files(media_root) == [media_root / str(after.file.name)]
    assert application.reference in text_of(after)


def test_generate_documents_finds_the_causes_of_every_kind(cast: demo.Cast) -> None:
    from applications.management.commands.generate_documents import Cause, causes_of

    with effects.suspended():
        settled = demo.drive(cast, "approved", "settled")
        rejected = demo.drive(cast, "rejected", title="Abgelehnt")
    grant = Grant.objects.get(application=settled)
    advance = Payment.objects.get(grant=grant, kind=PaymentKind.ADVANCE)

    def log(application: Any, transition: str) -> int:
        return TransitionLog.objects.for_object(application).get(transition=transition).pk

    everything = Application.objects.all()
    found = {
        kind: causes_of(kind, everything, since=None, missing_only=True)
        for kind in DocumentKind.values
    }
    assert found == {
        "summary": [
            Cause(settled.pk, log(settled, "submit")),
            Cause(rejected.pk, log(rejected, "submit")),
        ],
        "approval": [Cause(settled.pk, log(settled, "approve"), grant.pk)],
        "rejection": [Cause(rejected.pk, log(rejected, "reject"))],
        "payment_advice": [Cause(settled.pk, None, grant.pk, advance.pk)],  # the balance is unpaid
        "settlement": [Cause(settled.pk, log(grant, "accept_report"), grant.pk)],
        "amendment": [],  # (amendments.documents finds them: tests/amendments)
    }
    only_rejected = Application.objects.filter(status="rejected")
    assert causes_of("summary", only_rejected, since=None, missing_only=False) == [
        Cause(rejected.pk, log(rejected, "submit"))
    ]

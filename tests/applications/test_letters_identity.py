"""The fund's letters carry its identity: in the German and the French part of every letter the
sender's address and contact, the signatory, the legal basis, the clause the fund's choice of
decisions asks for (no legal entitlement, or the notice of the right of appeal), the
data-protection notice and the recipient's country by name; the approval has the approved
budget plan as its annex; the signature never stands alone on a page. A fund that lacks its
address or signatory issues no letter: the transition stands, the letter waits for the identity
and is issued when the administrator completes it.

The PDFs are rendered for real and read back with pypdf.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from amendments import services as amendment_services
from applications import documents
from applications.documents import FundNotReady, issue_document
from applications.models import Application, Document, DocumentKind
from demo import builders as demo
from demo.amendments import request_change
from grants.identity import letters_key
from grants.models import DecisionForm, Fund, Grant
from tests.support import admin_form_data
from workflows import effects
from workflows.models import SideEffect, SideEffectStatus, TransitionLog

RENDERS_PDF = True

LANGUAGES = ("de", "fr")
# What each letter must show in each language (the demo fund's identity).
IDENTITY = demo.FUND_IDENTITY
TITLES = {  # kind -> (agreement, notice) names, per language
    "de": {
        DocumentKind.APPROVAL: ("Bewilligungsschreiben und Zuwendungsvertrag", "Zuwendungsbescheid"),
        DocumentKind.REJECTION: ("Ablehnungsschreiben", "Ablehnungsbescheid"),
        DocumentKind.SETTLEMENT: ("Schlussabrechnung", "Schlussbescheid"),
        DocumentKind.PAYMENT_ADVICE: ("Zahlungsavis", "Zahlungsavis"),
        DocumentKind.AMENDMENT: ("Änderungsvereinbarung", "Änderungsbescheid"),
    },
    "fr": {
        DocumentKind.APPROVAL: ("Lettre d'attribution et convention de subvention", "Décision attributive de subvention"),
        DocumentKind.REJECTION: ("Lettre de refus", "Décision de rejet"),
        DocumentKind.SETTLEMENT: ("Décompte final", "Décision de solde"),
        DocumentKind.PAYMENT_ADVICE: ("Avis de paiement", "Avis de paiement"),
        DocumentKind.AMENDMENT: ("Avenant à la convention", "Décision modificative"),
    },
}  # fmt: skip
LANGUAGE_TAGS = {"Deutsch": "de", "Français": "fr"}


def normalised(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pages_of(pdf: bytes) -> list[str]:
    return [normalised(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def parts_of(pdf: bytes) -> dict[str, str]:
    """The text of each language part: a part starts on a page that opens with its tag."""
    parts: dict[str, list[str]] = {}
    current = ""
    for page in pages_of(pdf):
        tag = page.split(" ", 1)[0]
        current = LANGUAGE_TAGS.get(tag, current)
        parts.setdefault(current, []).append(page)
    return {language: " ".join(pages) for language, pages in parts.items()}


def file_bytes(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return bytes(handle.read())


def in_language(language: str, text: str) -> str:
    with translation.override(language):
        return normalised(gettext(text))


class InLanguage(demo.StepHooks):
    def __init__(self, language: str) -> None:
        self.language = language

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        if step == "submit":
            Application.objects.filter(pk=obj.pk).update(language=self.language)
        return None


def assert_identity(text: str, language: str, kind: str, form: str) -> None:
    """Every field of the fund's identity, in `language`, in one part of a letter."""
    fund = Fund.objects.get(reference_prefix="BF")
    with translation.override(language):
        country = {"de": "Deutschland", "fr": "Allemagne"}[language]
        expected = [
            fund.name,
            IDENTITY[f"office_{language}"],
            IDENTITY["street"],
            f"{IDENTITY['postcode']} {IDENTITY['city']}",
            IDENTITY[f"contact_name_{language}"],
            IDENTITY["contact_email"],
            IDENTITY["contact_phone"],
            IDENTITY["signatory_name"],
            IDENTITY[f"signatory_function_{language}"],
            normalised(IDENTITY[f"legal_basis_{language}"]),
            normalised(IDENTITY[f"data_protection_notice_{language}"]),
            TITLES[language][kind][form == DecisionForm.NOTICE],
        ]
    for value in expected:
        assert value in text, (language, kind, form, value)
    # The fund's and the recipient's country by name in the part's language, never as a code.
    assert text.count(country) >= 2, (language, kind)
    assert " DE " not in f" {text} ", (language, kind)
    appeal = normalised(IDENTITY[f"appeal_clause_{language}"])
    no_entitlement = in_language(
        language,
        "There is no legal entitlement to a grant. The fund decides at its due discretion "
        "within the budget available.",
    )
    if kind == DocumentKind.PAYMENT_ADVICE:  # no decision: neither clause
        assert appeal not in text
    elif form == DecisionForm.NOTICE:
        assert appeal in text and in_language(language, "Notice of the right of appeal") in text
    else:
        assert appeal not in text
        if kind == DocumentKind.REJECTION:
            assert no_entitlement in text


# --- every letter, both languages, both forms of decision ------------------------------------


@pytest.mark.parametrize(
    ("form", "first"), [(DecisionForm.AGREEMENT, "de"), (DecisionForm.NOTICE, "fr")]
)
def test_every_letter_carries_the_funds_identity_in_german_and_french(
    cast: demo.Cast, committed: Any, form: str, first: str
) -> None:
    Fund.objects.filter(pk=cast.fund.pk).update(decision_form=form)
    with committed():
        settled = demo.drive(cast, "approved", "settled", steps=InLanguage(first))
        demo.drive(cast, "rejected", steps=InLanguage(first), title="Abgelehnt")
        # A change after the award, approved: the amendment letter.
        running = Grant.objects.get(application=demo.drive(cast, "approved", "accepted", steps=InLanguage(first), title="Geändert"))  # fmt: skip
        change = request_change(running, by=cast.applicant, end=running.project_end + timedelta(days=7))  # fmt: skip
        amendment_services.approve_amendment(change, by=cast.manager)
    letters = Document.objects.exclude(kind=DocumentKind.SUMMARY).select_related("application")
    assert {d.kind for d in letters} == set(documents.LETTER_KINDS)
    assert len(letters) == len(documents.LETTER_KINDS) + 1  # the amended grant's approval too
    for document in letters:
        parts = parts_of(file_bytes(document))
        assert list(parts) == [first, "fr" if first == "de" else "de"], document.kind
        for language in LANGUAGES:
            assert_identity(parts[language], language, document.kind, form)
    # The approval's annex is the approved budget plan, with the amount awarded.
    approval = Document.objects.get(kind=DocumentKind.APPROVAL, application=settled)
    grant = Grant.objects.get(application=settled)
    annex = {"de": "Anlage: bewilligter Finanzierungsplan", "fr": "Annexe : plan de financement approuvé"}  # fmt: skip
    awarded = {"de": "Bewilligter Betrag 4.000,00 EUR", "fr": "Montant attribué 4 000,00 EUR"}
    for language, text in parts_of(file_bytes(approval)).items():
        plan = text[text.index(annex[language]) :]
        assert "Bus Köln–Lyon, 30 Personen" in plan
        assert awarded[language] in plan, (language, grant.amount_awarded)


def test_documents_are_named_after_the_funds_choice_on_the_page_and_in_the_file_name(
    cast: demo.Cast, committed: Any, client: Any
) -> None:
    with committed():
        application = demo.drive(cast, "rejected")
    rejection = Document.objects.get(kind=DocumentKind.REJECTION)
    client.force_login(cast.applicant)
    page = reverse("applications:detail", args=[application.pk])
    download = reverse("applications:document_download", args=[rejection.pk])
    assert "Ablehnungsschreiben" in client.get(page, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "-ablehnungsschreiben-de.pdf" in client.get(download)["Content-Disposition"]

    Fund.objects.filter(pk=cast.fund.pk).update(decision_form=DecisionForm.NOTICE)
    listed = client.get(page, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Décision de rejet" in listed and "Lettre de refus" not in listed
    assert "-ablehnungsbescheid-de.pdf" in client.get(download)["Content-Disposition"]
    # Accepting a grant of a fund that issues notices accepts the decision's terms.
    with effects.suspended():
        offered = demo.drive(cast, "approved", "offered")
    grant_page = client.get(reverse("applications:grant", args=[offered.pk]), HTTP_ACCEPT_LANGUAGE="de")  # fmt: skip
    consent = grant_page.context["accept_form"].fields["consent"].label
    with translation.override("de"):
        assert "Bestimmungen des Zuwendungsbescheids" in str(consent)


# --- the signature stays with its paragraph ------------------------------------------------------


def test_the_signature_never_stands_alone_on_a_page(cast: demo.Cast) -> None:
    """Reasons of growing length push the end of the letter over the page break: wherever it
    falls, the closing paragraph, the greeting and the signature stay on one page."""
    with effects.suspended():
        application = demo.drive(cast, "rejected")
    log = TransitionLog.objects.for_object(application).get(transition="reject")
    closing = in_language("de", "You are welcome to apply again with a new or revised project.")
    regards = in_language("de", "Yours faithfully,")
    moved = 0
    for lines in range(12, 28, 2):  # around the page break of the demo's letter
        context = documents.context_for(application, kind=DocumentKind.REJECTION, log=log)
        context["reasons"] = "\n".join(f"Grund Nummer {n}" for n in range(1, lines + 1))
        context["parts"] = context["parts"][:1]  # the German part is enough here
        pages = pages_of(documents.render_pdf(documents.render_html("rejection", context)))
        [signed] = [page for page in pages if IDENTITY["signatory_name"] in page]
        assert closing in signed and regards in signed, lines
        assert IDENTITY["signatory_function_de"] in signed, lines
        if f"Grund Nummer {lines} " not in signed:  # the block went to the next page whole
            moved += 1
    assert moved, "no length put the page break before the closing: the test proves nothing"


# --- a fund without address or signatory issues no letter ----------------------------------------


def incomplete(fund: Fund) -> None:
    Fund.objects.filter(pk=fund.pk).update(street="", signatory_name="")


def test_a_fund_without_address_or_signatory_refuses_to_issue_a_letter_and_stores_nothing(
    cast: demo.Cast,
) -> None:
    with effects.suspended():
        application = demo.drive(cast, "rejected")
    incomplete(cast.fund)
    application.refresh_from_db()
    log = TransitionLog.objects.for_object(application).get(transition="reject")
    with translation.override("en"), pytest.raises(FundNotReady) as refusal:
        issue_document(application, kind=DocumentKind.REJECTION, log=log)
    message = str(refusal.value)
    assert "cannot issue letters" in message
    assert "street and number" in message and "signatory" in message
    assert not Document.objects.exists()
    # The summary is no letter: the applicant's own record is still issued.
    submit = TransitionLog.objects.for_object(application).get(transition="submit")
    assert issue_document(application, kind=DocumentKind.SUMMARY, log=submit).kind == "summary"


def test_the_approval_stands_and_its_letter_waits_until_the_admin_completes_the_fund(
    cast: demo.Cast, committed: Any, client: Any
) -> None:
    incomplete(cast.fund)
    with committed():
        application = demo.drive(cast, "approved", "offered")
    application.refresh_from_db()
    assert application.status == "approved" and Grant.objects.filter(application=application).exists()  # fmt: skip
    assert not Document.objects.filter(kind=DocumentKind.APPROVAL).exists()
    [waiting] = SideEffect.objects.filter(handler__endswith="issue_approval")
    assert waiting.status == SideEffectStatus.PENDING
    assert waiting.waits_for == letters_key(cast.fund)
    assert waiting.attempts == 0  # waiting uses up no attempt: it never ends as failed
    # Asked again (the sweeper, "Run again now"), it still waits and still has all its attempts.
    for _attempt in range(effects.MAX_ATTEMPTS + 1):
        assert effects.run(waiting.pk, force=True) == "postponed"
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts) == (SideEffectStatus.PENDING, 0)

    # The administrator sees what is missing and that a letter waits for it.
    client.force_login(cast.admin)
    change = reverse("admin:grants_fund_change", args=[cast.fund.pk])
    panel = client.get(change, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No letter is issued until this is filled in" in panel
    assert "street and number" in panel and "signatory" in panel
    assert "1 letter waits for this" in panel

    # Completing the identity issues the waiting letter.
    with committed():
        response = client.post(change, admin_form_data(cast.fund, by=cast.admin, street="Beispielstraße 12", signatory_name="Dr. Claire Martin-Schmidt"), HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.waits_for) == (SideEffectStatus.DONE, "")
    approval = Document.objects.get(kind=DocumentKind.APPROVAL)
    assert "Dr. Claire Martin-Schmidt" in parts_of(file_bytes(approval))["de"]
    panel = client.get(change, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "every letter carries the fund" in panel and "letter waits" not in panel


def test_generate_documents_refuses_letters_of_an_incomplete_fund_and_says_what_is_missing(
    cast: demo.Cast,
) -> None:
    with effects.suspended():
        demo.drive(cast, "rejected")
    incomplete(cast.fund)
    with translation.override("en"), pytest.raises(CommandError, match="signatory"):
        call_command("generate_documents", kind="rejection", verbosity=0)
    assert not Document.objects.exists()
    call_command("generate_documents", kind="summary", verbosity=0)  # no letter: issued
    assert Document.objects.filter(kind="summary").count() == 1

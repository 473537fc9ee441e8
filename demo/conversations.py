"""Conversations of the demo: questions of applicants, the fund's answers, files and internal
notes, written through the conversation's own service (so `make run` shows them on the
application and grant pages, in the history, the header's count and the API). Seeding writes
no e-mail: side effects are suspended while the demo is replayed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from applications.models import Application
from conversations import rules, services
from conversations.models import Message
from workflows import clock, effects

DEMO_CONVERSATIONS = 8
SHOWN_STATES = ("submitted", "in_review", "reviewed", "approved", "waitlisted")

# (side, text) in each language; side: "applicant", "fund" or "note" (the reviewer's note);
# a text ending in "[file]" is sent with the programme as a PDF.
SCRIPTS: dict[str, list[tuple[str, str]]] = {
    "de": [
        ("applicant", "Guten Tag, dürfen wir die Fahrtkosten der französischen Gruppe als Ausgaben angeben, wenn unser Verein sie erstattet?"),
        ("fund", "Guten Tag, ja: Fahrtkosten, die Ihr Verein trägt, sind förderfähig. Bitte bewahren Sie die Belege auf; im Verwendungsnachweis führen Sie sie in der Belegliste auf."),
        ("note", "Fahrtkosten plausibel (12 Personen × 85 €). Bei der Prüfung auf den Eigenanteil achten."),
        ("applicant", "Anbei das aktualisierte Programm der Begegnungswoche.[file]"),
        ("fund", "Vielen Dank, das Programm liegt uns vor. Wir melden uns, sobald die Prüfung abgeschlossen ist."),
    ],
    "fr": [
        ("applicant", "Bonjour, pouvons-nous déclarer les frais de voyage du groupe allemand si notre association les rembourse ?"),
        ("fund", "Bonjour, oui : les frais de voyage pris en charge par votre association sont éligibles. Conservez les justificatifs ; vous les listerez dans le compte rendu financier."),
        ("note", "Frais de voyage plausibles (10 personnes × 90 €). Vérifier la part d'autofinancement lors de l'examen."),
        ("applicant", "Vous trouverez ci-joint le programme mis à jour de la semaine de rencontre.[file]"),
        ("fund", "Merci, nous avons bien reçu le programme. Nous revenons vers vous dès la fin de l'examen."),
    ],
}  # fmt: skip


def demo_pdf(name: str = "Programm.pdf") -> SimpleUploadedFile:
    """A small valid PDF (one empty page), made on the spot."""
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def seed_conversations(cast: Any, members: dict[int, Any], *, count: int = DEMO_CONVERSATIONS) -> int:  # fmt: skip
    """Write the scripted exchange on up to `count` submitted applications (the cast's
    organisation first), unless the demo has messages already; the last answer of the fund
    stays unread for the applicant. Returns how many conversations were written."""
    if Message.objects.exists():
        return 0
    applications = (
        Application.objects.filter(status__in=SHOWN_STATES, organisation_id__in=list(members))
        .exclude(submitted_at__isnull=True)
        .select_related("organisation")
        .order_by("-submitted_at", "-pk")
    )
    own = [a for a in applications if a.organisation_id == cast.organisation.pk][: count // 2]
    others = [a for a in applications if a.organisation_id != cast.organisation.pk]
    chosen = (own + others)[:count]
    with effects.suspended():
        for application in chosen:
            _converse(application, cast, members[application.organisation_id])
    return len(chosen)


def _converse(application: Application, cast: Any, applicant: Any) -> None:
    script = SCRIPTS["fr" if application.language == "fr" else "de"]
    # The reviewer answers where they work; elsewhere the programme manager does.
    fund = cast.reviewer if rules.reads_as_staff(application, cast.reviewer) else cast.manager
    start = application.submitted_at.date() if application.submitted_at else clock.today()
    for number, (side, text) in enumerate(script):
        day = min(start + timedelta(days=2 * number + 1), clock.today())
        uploads = [demo_pdf()] if text.endswith("[file]") else []
        with clock.travel_to(day):
            services.write_message(
                application,
                by=applicant if side == "applicant" else fund,
                body=text.removesuffix("[file]"),
                internal=side == "note",
                uploads=uploads,
            )

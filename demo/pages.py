"""The demo fund's public texts, in German, French and English (staff replace them in the
admin). They say plainly that this is a demonstration."""

from __future__ import annotations

from public.models import Page, PageKind

# kind: (German, French, English), each (title, text); paragraphs separated by an empty line.
DEMO_PAGES: dict[str, tuple[tuple[str, str], tuple[str, str], tuple[str, str]]] = {
    PageKind.GUIDELINES: (
        (
            "Förderrichtlinien",
            "Gefördert werden Begegnungen von Menschen aus Deutschland und Frankreich: Vereine, Kommunen, Partnerschaftskomitees und Gruppen von mindestens drei Bürgerinnen und Bürgern.\n\nDer Zuschuss deckt höchstens den Anteil der förderfähigen Kosten, den das Programm nennt. Stellen Sie den Antrag vor Projektbeginn, mit der Vorlaufzeit des Programms.",
        ),
        (
            "Lignes directrices",
            "Le fonds soutient des rencontres entre personnes d’Allemagne et de France : associations, communes, comités de jumelage et groupes d’au moins trois citoyennes et citoyens.\n\nLa subvention couvre au plus la part des dépenses éligibles fixée par le programme. Déposez la demande avant le début du projet, en respectant le délai du programme.",
        ),
        (
            "Guidelines",
            "The fund supports meetings of people from Germany and France: associations, municipalities, partnership committees and groups of at least three citizens.\n\nThe grant covers at most the share of the eligible costs the programme names. Apply before the project starts, with the programme's lead time.",
        ),
    ),
    PageKind.FAQ: (
        (
            "Häufige Fragen",
            "Können wir ohne eingetragenen Verein beantragen? Ja, als Gruppe von mindestens drei namentlich genannten Personen.\n\nWann erfahren wir die Entscheidung? In der Regel innerhalb von sechs Wochen nach dem Einreichen.",
        ),
        (
            "Questions fréquentes",
            "Pouvons-nous déposer une demande sans association déclarée ? Oui, en tant que groupe d’au moins trois personnes nommées.\n\nQuand connaîtrons-nous la décision ? En général dans les six semaines suivant le dépôt.",
        ),
        (
            "Frequently asked questions",
            "Can we apply without a registered association? Yes, as a group of at least three named people.\n\nWhen do we hear the decision? Usually within six weeks of submitting.",
        ),
    ),
    PageKind.CONTACT: (
        (
            "Kontakt",
            "Demo-Fonds, Geschäftsstelle (Demonstration, keine echte Adresse).\n\nSchreiben Sie uns über Ihr Konto: Jede Antwort landet bei Ihrem Antrag.",
        ),
        (
            "Contact",
            "Fonds de démonstration, secrétariat (démonstration, pas d’adresse réelle).\n\nÉcrivez-nous depuis votre compte : chaque réponse est rattachée à votre demande.",
        ),
        (
            "Contact",
            "Demo fund, office (a demonstration, not a real address).\n\nWrite to us from your account: every answer is kept with your application.",
        ),
    ),
    PageKind.IMPRINT: (
        (
            "Impressum",
            "Dies ist eine Demonstration der Software microgrants. Verantwortlich für die Inhalte ist der Betreiber dieser Installation.",
        ),
        (
            "Mentions légales",
            "Ceci est une démonstration du logiciel microgrants. L’exploitant de cette installation est responsable des contenus.",
        ),
        (
            "Imprint",
            "This is a demonstration of the microgrants software. The operator of this installation is responsible for its content.",
        ),
    ),
    PageKind.PRIVACY: (
        (
            "Datenschutz",
            "Wir verarbeiten nur die Angaben, die für Antrag, Entscheidung, Auszahlung und Bericht nötig sind.\n\nÖffentlich gezeigt wird ein Projekt nur mit Zustimmung der Organisation; Namen von Privatpersonen nie.",
        ),
        (
            "Protection des données",
            "Nous ne traitons que les informations nécessaires à la demande, à la décision, au versement et au compte rendu.\n\nUn projet n’est montré publiquement qu’avec l’accord de l’organisation ; jamais les noms de personnes privées.",
        ),
        (
            "Privacy",
            "We process only what the application, the decision, the payment and the report need.\n\nA project is shown in public only with its organisation's consent; the names of private persons never.",
        ),
    ),
    PageKind.ACCESSIBILITY: (
        (
            "Erklärung zur Barrierefreiheit",
            "Der Fonds bemüht sich, dieses Portal im Einklang mit der Barrierefreie-Informationstechnik-Verordnung (BITV 2.0) barrierefrei zugänglich zu machen; sie verweist auf die Norm EN 301 549 und damit auf die WCAG 2.1, Stufe AA.\n\n"
            "Stand der Vereinbarkeit: Das Portal ist teilweise vereinbar. Alle Seiten passen sich Bildschirmen ab 320 Pixel Breite an, funktionieren mit der Tastatur und mit Bildschirmlesern und ohne JavaScript. Nicht vollständig barrierefrei sind: hochgeladene Dokumente der Antragstellenden (PDF-Dateien Dritter) und Teile der Verwaltungsoberfläche für die Mitarbeitenden des Fonds.\n\n"
            "Diese Erklärung wurde auf Grundlage einer Selbstbewertung erstellt. (Demonstration: Datum und Prüfverfahren trägt der Betreiber ein.)\n\n"
            "Feedback und Kontakt: Melden Sie uns Barrieren über die Kontaktseite; wir antworten innerhalb von zwei Wochen.\n\n"
            "Schlichtungsverfahren: Bleibt Ihre Meldung unbeantwortet oder unbefriedigend, können Sie die Schlichtungsstelle nach § 16 des Behindertengleichstellungsgesetzes (BGG) anrufen.",
        ),
        (
            "Déclaration d’accessibilité",
            "Le fonds s’engage à rendre ce portail accessible conformément au référentiel général d’amélioration de l’accessibilité (RGAA 4), qui reprend les critères des WCAG 2.1, niveau AA.\n\n"
            "État de conformité\u00a0: le portail est partiellement conforme. Toutes les pages s’adaptent aux écrans à partir de 320 pixels de large, fonctionnent au clavier, avec un lecteur d’écran et sans JavaScript. Ne sont pas entièrement accessibles\u00a0: les documents déposés par les porteurs de projet (fichiers PDF de tiers) et une partie de l’interface d’administration réservée au personnel du fonds.\n\n"
            "Cette déclaration repose sur une auto-évaluation. (Démonstration\u00a0: l’exploitant indique la date et la méthode d’évaluation.)\n\n"
            "Retour d’information et contact\u00a0: signalez-nous tout obstacle via la page de contact\u00a0; nous répondons sous deux semaines.\n\n"
            "Voies de recours\u00a0: si vous n’obtenez pas de réponse satisfaisante, vous pouvez saisir le Défenseur des droits.",
        ),
        (
            "Accessibility statement",
            "The fund strives to make this portal accessible in line with Germany's BITV 2.0 and France's RGAA 4, which both follow WCAG 2.1 at level AA.\n\n"
            "Compliance status: the portal is partially compliant. Every page adapts to screens from 320 pixels wide and works with the keyboard, with screen readers and without JavaScript. Not fully accessible: documents uploaded by applicants (third-party PDF files) and parts of the administration used by the fund's staff.\n\n"
            "This statement is based on a self-assessment. (Demonstration: the operator adds the date and the method of assessment.)\n\n"
            "Feedback and contact: tell us about barriers through the contact page; we answer within two weeks.\n\n"
            "Enforcement: if you receive no satisfactory answer, you may turn to the conciliation body under section 16 of Germany's Disability Equality Act (BGG) or, in France, to the Défenseur des droits.",
        ),
    ),
}


def ensure_public_pages() -> int:
    """Create the demo texts that are missing, published; returns how many were created."""
    existing = set(Page.objects.values_list("kind", flat=True))
    created = 0
    for kind, (de, fr, en) in DEMO_PAGES.items():
        if kind in existing:
            continue
        Page.objects.create(
            kind=kind,
            title_de=de[0], body_de=de[1],
            title_fr=fr[0], body_fr=fr[1],
            title_en=en[0], body_en=en[1],
            is_published=True,
        )  # fmt: skip
        created += 1
    return created

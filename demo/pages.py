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
            "Barrierefreiheit",
            "Alle Seiten funktionieren ohne JavaScript, mit der Tastatur und mit Bildschirmlesern. Melden Sie uns Hindernisse über die Kontaktseite.",
        ),
        (
            "Accessibilité",
            "Toutes les pages fonctionnent sans JavaScript, au clavier et avec un lecteur d’écran. Signalez-nous les obstacles via la page de contact.",
        ),
        (
            "Accessibility",
            "Every page works without JavaScript, with the keyboard and with screen readers. Tell us about barriers through the contact page.",
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

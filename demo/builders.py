"""The demo fund and its cast, and a way to drive an application to any state through the real
services (with the clock travelling so that deadlines really pass). Used by `seed_demo` and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from applications import reporting, services
from applications.formal_check import CHECKLIST_CODES
from applications.models import REQUIRED_DECLARATIONS, Application, ApplicationStatus, Declaration
from applications.transitions import run_application_transition
from grants import services as grant_services
from grants.api.tokens import issue_token
from grants.models import (
    ApiToken,
    BudgetAllocation,
    Call,
    DecisionForm,
    Fund,
    Grant,
    GrantStatus,
    Intake,
    Programme,
)
from grants.transitions import run_grant_transition
from organisations import services as organisation_services
from organisations.choices import LegalForm
from organisations.models import Organisation
from workflows import clock
from workflows.roles import Role

DEMO_PASSWORD = "demo-microgrants-2026"  # noqa: S105 - printed demo login, never production

RUBRIC = [
    {"code": code, "weight": weight}
    for code, weight in [
        ("accessibility", 1),
        ("reach", 1),
        ("franco_german_relevance", 2),
        ("partnership_quality", 2),
        ("networking", 1),
        ("intercultural_learning", 2),
        ("diversity", 1),
        ("gender_equity", 1),
        ("visibility", 1),
        ("innovation", 1),
        ("environment", 1),
    ]
]
STANDARD_PLAN = [
    {"percent": 75, "trigger": "acceptance"},
    {"percent": 25, "trigger": "report_accepted"},
]
# Category 3 (EUR 10,001-50,000): an interim report halfway through the project releases the
# second tranche.
INTERIM_PLAN = [
    {"percent": 50, "trigger": "acceptance"},
    {"percent": 25, "trigger": "interim_report_accepted"},
    {"percent": 25, "trigger": "report_accepted"},
]
INTERIM_POLICIES: dict[str, dict[str, Any]] = {
    "cat-3": {"interim_report": "share", "interim_report_share": 50, "payment_plan": INTERIM_PLAN},
}
# (category, code, names (de, fr, en), min, max, share, intake, reviews, minimum score, cross-border partner)
CATEGORIES = [
    (1, "small-boost", ("Kategorie 1 – Kleiner Impuls", "Catégorie 1 – Petit coup de pouce", "Category 1 – Small boost"), "0.01", "5000.00", "0.80", Intake.ROLLING, 1, None, False),
    (2, "cat-2", ("Kategorie 2", "Catégorie 2", "Category 2"), "5000.01", "10000.00", "0.80", Intake.ROLLING, 1, None, False),
    (3, "cat-3", ("Kategorie 3", "Catégorie 3", "Category 3"), "10000.01", "50000.00", "0.80", Intake.ROLLING, 2, None, False),
    (4, "lighthouse", ("Kategorie 4 – Leuchtturm", "Catégorie 4 – Projet phare", "Category 4 – Lighthouse"), "50000.01", None, "0.70", Intake.CALL, 3, "90", True),
]  # fmt: skip
# The demo fund's names in German, French and English.
FUND_NAMES = {
    "name_de": "Deutsch-Französischer Bürgerfonds (Demo)",
    "name_fr": "Fonds citoyen franco-allemand (démo)",
    "name_en": "Franco-German Citizens' Fund (demo)",
    "short_name_de": "Bürgerfonds",
    "short_name_fr": "Fonds citoyen",
    "short_name_en": "Citizens' Fund",
}
# The demo fund's identity (the sender of its letters and e-mails), its texts in German, French
# and English. The address is made up; the legal texts read like the real ones.
FUND_IDENTITY = {
    "office_de": "Geschäftsstelle",
    "office_fr": "Secrétariat",
    "office_en": "Secretariat",
    "street": "Beispielstraße 12",
    "postcode": "10117",
    "city": "Berlin",
    "country": "DE",
    "contact_name_de": "Team Förderung",
    "contact_name_fr": "Équipe subventions",
    "contact_name_en": "Funding team",
    "contact_email": "kontakt@buergerfonds.example",
    "contact_phone": "+49 30 1234 5678",
    "signatory_name": "Dr. Claire Martin-Schmidt",
    "signatory_function_de": "Geschäftsführerin",
    "signatory_function_fr": "Directrice",
    "signatory_function_en": "Director",
    "legal_basis_de": (
        "Förderrichtlinie des Deutsch-Französischen Bürgerfonds vom 1. Januar 2026 in "
        "Verbindung mit §§ 23 und 44 der Bundeshaushaltsordnung (BHO)"
    ),
    "legal_basis_fr": (
        "Règlement d'attribution du Fonds citoyen franco-allemand du 1er janvier 2026, "
        "pris en application des articles 23 et 44 du code budgétaire fédéral allemand (BHO)"
    ),
    "legal_basis_en": (
        "Funding guidelines of the Franco-German Citizens' Fund of 1 January 2026, under "
        "sections 23 and 44 of the German Federal Budget Code (BHO)"
    ),
    "data_protection_notice_de": (
        "Wir verarbeiten die Angaben Ihres Antrags, um über ihn zu entscheiden, die Zuwendung "
        "auszuzahlen und ihre Verwendung zu prüfen (Art. 6 Abs. 1 lit. c und e DSGVO). Die "
        "Unterlagen werden nach Abschluss der Förderung zehn Jahre aufbewahrt. Sie haben das "
        "Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung sowie auf "
        "Beschwerde bei einer Aufsichtsbehörde. Datenschutz: datenschutz@buergerfonds.example."
    ),
    "data_protection_notice_fr": (
        "Nous traitons les données de votre demande afin de statuer sur celle-ci, de verser la "
        "subvention et d'en contrôler l'utilisation (art. 6, paragraphe 1, points c et e du "
        "RGPD). Les dossiers sont conservés dix ans après la clôture de la subvention. Vous "
        "disposez d'un droit d'accès, de rectification, d'effacement et de limitation du "
        "traitement, ainsi que du droit d'introduire une réclamation auprès d'une autorité de "
        "contrôle. Protection des données : datenschutz@buergerfonds.example."
    ),
    "data_protection_notice_en": (
        "We process the details of your application to decide on it, pay the grant and check "
        "its use (Art. 6(1)(c) and (e) GDPR). The files are kept for ten years after the grant "
        "is closed. You have the right of access, rectification, erasure and restriction of "
        "processing, and to lodge a complaint with a supervisory authority. Data protection: "
        "datenschutz@buergerfonds.example."
    ),
    "decision_form": DecisionForm.AGREEMENT,
    "appeal_clause_de": (
        "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Widerspruch "
        "erhoben werden. Der Widerspruch ist schriftlich oder zur Niederschrift beim "
        "Deutsch-Französischen Bürgerfonds, Beispielstraße 12, 10117 Berlin, einzulegen."
    ),
    "appeal_clause_fr": (
        "La présente décision peut faire l'objet d'un recours gracieux auprès du Fonds citoyen "
        "franco-allemand ou d'un recours contentieux devant le tribunal administratif compétent "
        "dans un délai de deux mois à compter de sa notification."
    ),
    "appeal_clause_en": (
        "An objection to this decision may be lodged within one month of its notification, in "
        "writing or on record, with the Franco-German Citizens' Fund, Beispielstraße 12, "
        "10117 Berlin."
    ),
    "mail_sign_off_de": "Ihr Team des Deutsch-Französischen Bürgerfonds",
    "mail_sign_off_fr": "L'équipe du Fonds citoyen franco-allemand",
    "mail_sign_off_en": "Your team at the Franco-German Citizens' Fund",
}
PROGRAMME_CODES = [category[1] for category in CATEGORIES]


def ensure_groups() -> dict[Role, Group]:
    """The group of every role, made if missing: one query once they exist (the test suite
    makes a cast of seven users some 1,200 times)."""
    groups = {group.name: group for group in Group.objects.filter(name__in=list(Role))}
    missing = Group.objects.bulk_create(Group(name=r.value) for r in Role if r.value not in groups)
    groups.update((group.name, group) for group in missing)
    return {role: groups[role.value] for role in Role}


def setup_fund(
    *, years: tuple[int, ...] | None = None, budget: Decimal = Decimal("3000000")
) -> Fund:
    """The Bürgerfonds-like demo fund: four categories, released budgets, a call for category 4.

    Adds only what is missing, a few queries in all (the test suite sets up a fund for almost
    every test)."""
    fund, created = Fund.objects.get_or_create(
        reference_prefix="BF",
        defaults={**FUND_NAMES, **FUND_IDENTITY, "countries": ["DE", "FR"]},
    )
    if not created:
        complete_identity(fund)
    today = clock.today()
    years = years or (today.year - 1, today.year, today.year + 1)
    existing_codes = set(Programme.objects.filter(fund=fund).values_list("code", flat=True))
    Programme.objects.bulk_create(
        Programme(
            fund=fund,
            code=code,
            name_de=names[0],
            name_fr=names[1],
            name_en=names[2],
            category=cat,
            min_amount=Decimal(low),
            max_amount=Decimal(high) if high else None,
            max_share=Decimal(share),
            intake=intake,
            reviews_required=reviews,
            minimum_score=Decimal(minimum) if minimum else None,
            rubric=RUBRIC,
            languages=["de", "fr"],
            requires_cross_border_partner=partner,
            **{"payment_plan": STANDARD_PLAN, **INTERIM_POLICIES.get(code, {})},
        )
        for cat, code, names, low, high, share, intake, reviews, minimum, partner in CATEGORIES
        if code not in existing_codes
    )
    found = {p.code: p for p in Programme.objects.filter(fund=fund, code__in=PROGRAMME_CODES)}
    programmes = [found[code] for code in PROGRAMME_CODES]  # in the order of CATEGORIES
    allocated = set(
        BudgetAllocation.objects.filter(programme__in=programmes).values_list(
            "programme_id", "year"
        )
    )
    BudgetAllocation.objects.bulk_create(
        BudgetAllocation(programme=programme, year=year, amount=budget, released=True)
        for programme in programmes
        for year in years
        if (programme.pk, year) not in allocated
    )
    # A call is known by its programme and closing day (its title was once "German / French").
    calls = set(
        Call.objects.filter(programme__in=programmes).values_list("programme_id", "closes_on")
    )
    new_calls = []
    for (_cat, _code, names, _low, _high, _share, intake, *_rest), programme in zip(
        CATEGORIES, programmes, strict=True
    ):
        if intake != Intake.CALL:
            continue
        for month_day in ((2, 28), (6, 30), (10, 31)):
            closes = date(today.year, *month_day)
            de, fr, en = (f"{name} {closes:%d.%m.%Y}" for name in names)
            if (programme.pk, closes) not in calls:
                new_calls.append(
                    Call(
                        programme=programme,
                        title_de=de,
                        title_fr=fr,
                        title_en=en,
                        opens_on=closes - timedelta(days=120),
                        closes_on=closes,
                    )
                )
    Call.objects.bulk_create(new_calls)
    return fund


def complete_identity(fund: Fund) -> None:
    """Fill what the demo fund's identity lacks (a database seeded before funds had one), so
    that its letters can be issued; what is already there stays."""
    missing = {
        name: value
        for name, value in FUND_IDENTITY.items()
        if name != "decision_form" and not getattr(fund, name, None)
    }
    if missing:
        Fund.objects.filter(pk=fund.pk).update(**missing)
        for name, value in missing.items():
            setattr(fund, name, value)


@dataclass
class Cast:
    fund: Fund
    admin: Any
    reviewer: Any
    reviewer2: Any
    manager: Any
    finance: Any
    funder: Any
    applicant: Any
    organisation: Organisation
    # The demo funder's API token (all programmes), when this call created it; shown once.
    funder_token: str = ""

    def logins(self) -> list[tuple[str, str, str]]:
        return [
            ("administrator", self.admin.username, DEMO_PASSWORD),
            ("reviewer", self.reviewer.username, DEMO_PASSWORD),
            ("reviewer", self.reviewer2.username, DEMO_PASSWORD),
            ("programme manager", self.manager.username, DEMO_PASSWORD),
            ("finance officer", self.finance.username, DEMO_PASSWORD),
            ("funder", self.funder.username, DEMO_PASSWORD),
            ("applicant", self.applicant.username, DEMO_PASSWORD),
        ]


def make_user(
    username: str, *roles: Role, superuser: bool = False, password: str = DEMO_PASSWORD
) -> Any:
    return make_users([(username, roles, superuser)], password=password)[username]


def make_users(
    specs: Iterable[tuple[str, Iterable[Role], bool]], *, password: str = DEMO_PASSWORD
) -> dict[str, Any]:
    """Users by name, each (name, roles, superuser) made if missing and given its roles: four
    queries for any number (the test suite makes a cast of seven some 1,300 times). They share
    one password hash: the demo's users have the same, known password anyway."""
    specs = [(name, tuple(roles), superuser) for name, roles, superuser in specs]
    user_model = get_user_model()
    found = {user.username: user for user in user_model.objects.filter(username__in=[s[0] for s in specs])}  # fmt: skip
    missing = [spec for spec in specs if spec[0] not in found]
    if missing:
        hashed = make_password(password)
        made = user_model.objects.bulk_create(
            user_model(
                username=name,
                email=f"{name}@example.org",
                password=hashed,
                is_staff=superuser or bool(set(roles) - {Role.FUNDER}),
                is_superuser=superuser,
            )
            for name, roles, superuser in missing
        )
        found.update((user.username, user) for user in made)
    if any(roles for _name, roles, _superuser in specs):
        groups = ensure_groups()
        membership = user_model.groups.through
        membership.objects.bulk_create(
            (
                membership(user_id=found[name].pk, group_id=groups[role].pk)
                for name, roles, _superuser in specs
                for role in roles
            ),
            ignore_conflicts=True,
        )
    return found


# Land or région of the demo's cities (ISO 3166-2), for the statistics by region.
CITY_REGIONS = {
    "Köln": "DE-NW", "Bonn": "DE-NW", "Freiburg": "DE-BW", "Freiburg im Breisgau": "DE-BW",
    "München": "DE-BY", "Mainz": "DE-RP", "Trier": "DE-RP", "Saarbrücken": "DE-SL",
    "Kleinblittersdorf": "DE-SL", "Hannover": "DE-NI", "Kiel": "DE-SH", "Leipzig": "DE-SN",
    "Görlitz": "DE-SN", "Erfurt": "DE-TH", "Lyon": "FR-ARA", "Grenoble": "FR-ARA",
    "Ferney-Voltaire": "FR-ARA", "Besançon": "FR-BFC", "Dijon": "FR-BFC", "Nantes": "FR-PDL",
    "Rouen": "FR-NOR", "Metz": "FR-GES", "Reims": "FR-GES", "Strasbourg": "FR-GES",
    "Brest": "FR-BRE", "Lille": "FR-HDF", "Bordeaux": "FR-NAQ", "Arles": "FR-PAC",
}  # fmt: skip


def make_organisation(
    by: Any,
    *,
    name: str = "Partnerschaftskomitee Köln–Lyon e.V.",
    country: str = "DE",
    **extra: Any,
) -> Organisation:
    fields: dict[str, Any] = {
        "name": name,
        "legal_form": LegalForm.ASSOCIATION,
        "country": country,
        "street": "Rathausplatz 1",
        "postcode": "50667" if country == "DE" else "69001",
        "city": "Köln" if country == "DE" else "Lyon",
        "registration_id": "VR 12345",
        "bank_account_holder": name[:70],
        "iban": "DE89370400440532013000" if country == "DE" else "FR1420041010050500013M02606",
        "bic": "COBADEFFXXX" if country == "DE" else "PSSTFRPPLYO",
    }
    fields.update(extra)
    fields.setdefault("region", CITY_REGIONS.get(fields["city"], ""))
    return organisation_services.create_organisation(by=by, **fields)


def create_cast(fund: Fund | None = None) -> Cast:
    fund = fund or setup_fund()
    users = make_users(
        [
            ("applicant", (), False),
            ("admin", (Role.ADMINISTRATOR,), True),
            ("funder", (Role.FUNDER,), False),
            ("reviewer", (Role.REVIEWER,), False),
            ("reviewer2", (Role.REVIEWER,), False),
            ("manager", (Role.MANAGER,), False),
            ("finance", (Role.FINANCE,), False),
        ]
    )
    applicant, admin, funder = users["applicant"], users["admin"], users["funder"]
    organisation = Organisation.objects.filter(memberships__user=applicant).first()
    if organisation is None:
        organisation = make_organisation(applicant)
    return Cast(
        fund=fund,
        admin=admin,
        reviewer=users["reviewer"],
        reviewer2=users["reviewer2"],
        manager=users["manager"],
        finance=users["finance"],
        funder=funder,
        applicant=applicant,
        organisation=organisation,
        funder_token=demo_api_token(funder, by=admin),
    )


def demo_api_token(funder: Any, *, by: Any) -> str:
    """An API token for the demo funder (all programmes, a year), unless it has one: its secret,
    or "" when it existed already (the secret is not stored)."""
    if ApiToken.objects.filter(user=funder).exists():
        return ""
    _token, secret = issue_token(funder, by=by, name="Demo", all_programmes=True)
    return secret


def budget_for(requested: Decimal, share: Decimal = Decimal("0.80")) -> list[dict[str, Any]]:
    """Budget lines that balance for `requested` at the maximum share."""
    eligible = (requested / share).quantize(Decimal("0.01"), rounding=ROUND_UP)
    lines: list[dict[str, Any]] = [
        {"side": "expense", "category": "travel", "purpose": "Bus Köln–Lyon, 30 Personen", "quantity": Decimal("1"), "unit_cost": eligible},
    ]  # fmt: skip
    own = eligible - requested
    if own > 0:
        lines.append({"side": "income", "category": "own_funds", "purpose": "Eigenmittel", "quantity": Decimal("1"), "unit_cost": own})  # fmt: skip
    return lines


# (summary, description) of a demo draft, by the language the applicant writes in.
DRAFT_TEXTS = {
    "de": (
        "Eine Woche Austausch zwischen Köln und Lyon.",
        "Dreißig Mitglieder beider Partnerschaftsvereine verbringen eine Woche in der "
        "Partnerstadt: Workshops, Stadtführungen und ein gemeinsames Fest.",
    ),
    "fr": (
        "Une semaine d'échange entre Lyon et Cologne.",
        "Trente membres des deux comités de jumelage passent une semaine dans la ville "
        "partenaire\u00a0: ateliers, visites guidées et une grande fête commune.",
    ),
}


def make_ready_draft(
    organisation: Organisation,
    *,
    fund: Fund,
    by: Any,
    requested: Decimal = Decimal("4000.00"),
    start: date | None = None,
    title: str = "Begegnungswoche / Semaine de rencontre",
    partner_country: str = "FR",
    publication: bool = False,
    language: str = "de",
) -> Application:
    """A draft that passes every rule when submitted today (on the clock); with `publication`
    the applicant also consents to the grant being published as open data. Its texts are in
    `language` (German or French), the language the applicant chose for it."""
    start = start or clock.today() + timedelta(days=60)
    summary, description = DRAFT_TEXTS["fr" if language == "fr" else "de"]
    return services.create_draft(
        organisation,
        fund=fund,
        by=by,
        title=title,
        language=language,
        summary=summary,
        description=description,
        themes=["europe", "culture"],
        start_date=start,
        end_date=start + timedelta(days=5),
        places="Köln, Lyon",
        requested_amount=requested,
        budget_lines=budget_for(requested),
        partners=[{"name": "Comité de jumelage Lyon", "country": partner_country, "city": "Lyon"}],
        participants_expected={"DE": 15, "FR": 15},
        declarations=[*REQUIRED_DECLARATIONS, *([Declaration.PUBLICATION] if publication else [])],
    )


APPLICATION_PATH = {
    ApplicationStatus.DRAFT: [],
    ApplicationStatus.SUBMITTED: ["submit"],
    ApplicationStatus.CHANGES_REQUESTED: ["submit", "request_changes"],
    ApplicationStatus.EXPIRED: ["submit", "request_changes", "expire"],
    ApplicationStatus.IN_REVIEW: ["submit", "pass_formal_check"],
    ApplicationStatus.REJECTED: ["submit", "pass_formal_check", "reject"],
    ApplicationStatus.REVIEWED: ["submit", "pass_formal_check", "complete_review"],
    ApplicationStatus.WAITLISTED: ["submit", "pass_formal_check", "complete_review", "waitlist"],
    ApplicationStatus.WITHDRAWN: ["submit", "withdraw"],
    ApplicationStatus.APPROVED: ["submit", "pass_formal_check", "complete_review", "approve"],
}
GRANT_PATH = {
    GrantStatus.OFFERED: [],
    GrantStatus.ACCEPTED: ["accept"],
    GrantStatus.DECLINED: ["decline"],
    GrantStatus.LAPSED: ["lapse"],
    GrantStatus.CANCELLED: ["accept", "pay_advance", "cancel"],
    GrantStatus.REPORT_DUE: ["accept", "pay_advance", "end_project"],
    GrantStatus.REVOKED: ["accept", "pay_advance", "end_project", "revoke"],
    GrantStatus.REPORT_SUBMITTED: ["accept", "pay_advance", "end_project", "submit_report"],
    GrantStatus.SETTLED: ["accept", "pay_advance", "end_project", "submit_report", "accept_report"],
    GrantStatus.CLOSED: [
        "accept", "pay_advance", "end_project", "submit_report", "accept_report", "pay_balance", "close",
    ],
}  # fmt: skip
# Days after submission at which each step happens in a replayed history.
STEP_DAY = {
    "submit": 0,
    "request_changes": 3,
    "expire": 30,
    "pass_formal_check": 4,
    "reject": 12,
    "complete_review": 10,
    "waitlist": 14,
    "withdraw": 5,
    "approve": 14,
    "accept": 20,
    "decline": 20,
    "lapse": 50,
    "cancel": 30,
    "pay_advance": 25,
}
# Days after the project's end.
AFTER_END_DAY = {
    "end_project": 1,
    "submit_report": 20,
    "revoke": 90,
    "accept_report": 30,
    "pay_balance": 31,
    "close": 32,
}
LEAD_DAYS, PROJECT_DAYS = 60, 5


def days_needed(application_state: str, grant_state: str | None = None) -> int:
    """How far in the past a history must start for every step of the path to have happened."""
    steps = APPLICATION_PATH[ApplicationStatus(application_state)] + (
        GRANT_PATH[GrantStatus(grant_state)] if grant_state else []
    )
    latest = max([STEP_DAY.get(s, 0) for s in steps] + [0])
    after_end = [AFTER_END_DAY[s] for s in steps if s in AFTER_END_DAY]
    if after_end:
        latest = max(latest, LEAD_DAYS + PROJECT_DAYS + max(after_end))
    return latest + 1


def submit_demo_report(grant: Grant, *, by: Any, requested: Decimal) -> Grant:
    """The final report as a grantee writes it: the plan spent as planned, one receipt for it."""
    eligible = (requested / Decimal("0.80")).quantize(Decimal("0.01"), rounding=ROUND_UP)
    lines = [{"side": "expense", "category": "travel", "actual": eligible, "comment": ""}]
    if eligible > requested:
        lines.append({"side": "income", "category": "own_funds", "actual": eligible - requested, "comment": ""})  # fmt: skip
    report = reporting.save_report(
        reporting.report_for(grant, by=by),
        by=by,
        narrative="Dreißig Mitglieder beider Vereine haben eine Woche gemeinsam verbracht.",
        results="Neue Kontakte zwischen den Schulen; ein Gegenbesuch ist geplant.",
        participants={"DE": 15, "FR": 15},
        lines=lines,
        receipts=[
            {"category": "travel", "paid_on": grant.project_start, "payee": "Rheinland Reisen GmbH", "purpose": "Bus Köln–Lyon, 30 Personen", "amount": eligible},
        ],
    )  # fmt: skip
    return reporting.submit_report(report, by=by)


class StepHooks:
    """How `drive` replays each step; the default runs the transition's service unchanged."""

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        """Do the step another way and return the object, or None for the default service."""
        return None

    def after(self, obj: Any, step: str) -> None:
        """What follows the step (e.g. work that side effects would open after the commit)."""


def drive(
    cast: Cast,
    application_state: str,
    grant_state: str | None = None,
    *,
    submitted_on: date | None = None,
    requested: Decimal = Decimal("4000.00"),
    organisation: Organisation | None = None,
    applicant: Any = None,
    title: str | None = None,
    steps: StepHooks | None = None,
    publication: bool = False,
    language: str = "de",
) -> Application:
    """Create an application and replay a history up to the wanted state(s), step by step.

    `steps` lets a higher app (reviews) do some steps its own way, e.g. the formal check and
    the assessment through review tasks, and add what follows a step (see StepHooks).
    """
    hooks = steps or StepHooks()
    organisation = organisation or cast.organisation
    applicant = applicant or cast.applicant
    first = submitted_on or clock.today() - timedelta(
        days=days_needed(application_state, grant_state)
    )
    start = first + timedelta(days=LEAD_DAYS)
    end = start + timedelta(days=PROJECT_DAYS)
    with clock.travel_to(first):
        application = make_ready_draft(
            organisation,
            fund=cast.fund,
            by=applicant,
            requested=requested,
            start=start,
            publication=publication,
            language=language,
            **({"title": title} if title else {}),
        )
    actors = {
        "submit": applicant, "withdraw": applicant, "request_changes": cast.reviewer,
        "pass_formal_check": cast.reviewer, "reject": cast.manager, "complete_review": None,
        "waitlist": cast.manager, "approve": cast.manager, "expire": None,
    }  # fmt: skip
    data: dict[str, dict[str, Any]] = {
        "request_changes": {"message": "Bitte Budget erläutern.", "reply_by": first + timedelta(days=17)},
        "pass_formal_check": {"checklist": list(CHECKLIST_CODES)},
        "reject": {"reasons": "Nicht förderfähig / non éligible."},
        "complete_review": {"score": Decimal("72.50")},
        "approve": {"amount": requested},
    }  # fmt: skip
    for step in APPLICATION_PATH[ApplicationStatus(application_state)]:
        with clock.travel_to(first + timedelta(days=STEP_DAY[step])):
            done = hooks.run(application, step, actors[step], data.get(step, {}))
            application = done or run_application_transition(
                application, step, by=actors[step], **data.get(step, {})
            )
            hooks.after(application, step)
    if grant_state is None:
        return application
    grant = Grant.objects.get(application=application)
    grant_actors = {
        "accept": applicant, "decline": applicant, "lapse": None, "cancel": applicant,
        "end_project": None, "revoke": cast.manager, "submit_report": applicant,
        "accept_report": cast.reviewer, "close": cast.finance,
    }  # fmt: skip
    grant_data: dict[str, dict[str, Any]] = {
        "accept": {"full_name": "Erika Mustermann", "consent": True},
        "decline": {"reason": "Projekt verschoben"},
        "cancel": {"reason": "Projekt abgesagt"},
        "revoke": {"reason": "Verwendungsnachweis fehlt"},
    }  # fmt: skip
    for step in GRANT_PATH[GrantStatus(grant_state)]:
        day = (
            end + timedelta(days=AFTER_END_DAY[step])
            if step in AFTER_END_DAY
            else first + timedelta(days=STEP_DAY[step])
        )
        with clock.travel_to(day):
            if step in ("pay_advance", "pay_balance"):
                for payment in grant.payments.filter(status="scheduled"):
                    grant_services.record_payment_paid(payment, by=cast.finance)
                continue
            if step == "submit_report":
                grant = submit_demo_report(grant, by=grant_actors[step], requested=requested)
            else:
                done = hooks.run(grant, step, grant_actors[step], grant_data.get(step, {}))
                grant = done or run_grant_transition(
                    grant, step, by=grant_actors[step], **grant_data.get(step, {})
                )
            hooks.after(grant, step)
    application.refresh_from_db()
    return application

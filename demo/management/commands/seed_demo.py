"""`manage.py seed_demo [--size N] [--seed S]`: the demo fund, its cast and N applications.

Up to `--replay` applications (5,000) are created and moved through the real services by
`demo.drive`, with the clock travelling and the review work done in the workspace (tasks
claimed, formal checks, assessments scored against the rubric, reports checked), so the audit chain, the budget ledger and the payments are
what the product itself writes. Larger sizes replay that many and fill the rest with copies of
them (`demo.copies`): each copy is what the services would have written for another organisation
of the same country applying on the same days for the same amount, with its own title and
reference, its audit rows chained onto the log. The states are spread over both machines in the
proportions of the domain notes (about 46 % approved, 25 % rejected, the rest spread), histories
over the past two years.

Running it again adds N more applications; users, organisations and the fund are reused.
"""

from __future__ import annotations

import gc
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_UP, Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.test.utils import override_settings
from schwifty import IBAN
from tqdm import tqdm

from applications.emails import SITE_URL
from applications.models import ApplicationStatus
from demo import builders as demo
from demo import copies as demo_copies
from demo.amendments import seed_amendments
from demo.calendars import hold_a_claim, seed_feeds, seed_saved_filters
from demo.cofunding import cofinance_budgets
from demo.conversations import seed_conversations
from demo.interim import seed_interim_report
from demo.pages import ensure_public_pages
from demo.partners import ensure_partner_posts
from demo.ranking import seed_ranking
from demo.reviews import ReviewSteps, ensure_reviewer_profiles
from demo.showcase import seed_showcase
from demo.webhooks import seed_webhook
from grants.models import BudgetAllocation, GrantStatus
from organisations.choices import LegalForm
from organisations.models import Organisation
from workflows import clock, effects

# Histories start at most this many days ago.
HISTORY_DAYS = 730
# Applications per transaction: one write transaction per chunk instead of one per service call.
CHUNK = 250
# Histories replayed through the services; beyond that, the rest are copies of them.
REPLAYED = 5000
# Copies written per transaction.
COPY_CHUNK = 500
# Chunks between two refreshes of SQLite's planner statistics (and once after the first).
ANALYZE_EVERY = 20
DEFAULT_BUDGET = Decimal("3000000")
# The accepted grant whose interim report the demo shows: category 3, submitted this many days
# ago (its project is halfway through today).
INTERIM_DEMO_AMOUNT = Decimal("15000.00")
INTERIM_DEMO_DAYS = demo.LEAD_DAYS + demo.PROJECT_DAYS // 2
# SQLite page cache while seeding, in KiB (negative PRAGMA value): 256 MiB.
CACHE_KIB = -262144
# Batches from this many applications on tune the garbage collector (bulk_mode).
GC_TUNING_FROM = 1000

# (application state, grant state, share of all applications in %, submitted between
# `recent` and `oldest` days ago). Open states are recent: a real scheduler would have moved an
# old one on (expired, lapsed, ended); settled ones are closed a few weeks later.
# Domain: about 46 % approved, 25 % rejected.
MIX: list[tuple[str, str | None, float, int, int]] = [
    (ApplicationStatus.DRAFT, None, 5.0, 1, 30),
    (ApplicationStatus.SUBMITTED, None, 3.0, 1, 10),
    (ApplicationStatus.CHANGES_REQUESTED, None, 2.0, 4, 16),
    (ApplicationStatus.IN_REVIEW, None, 4.0, 5, 40),
    (ApplicationStatus.REVIEWED, None, 3.0, 11, 45),
    (ApplicationStatus.WAITLISTED, None, 3.0, 15, 58),
    (ApplicationStatus.REJECTED, None, 25.0, 13, HISTORY_DAYS),
    (ApplicationStatus.WITHDRAWN, None, 6.0, 6, HISTORY_DAYS),
    (ApplicationStatus.EXPIRED, None, 3.0, 31, HISTORY_DAYS),
    (ApplicationStatus.APPROVED, GrantStatus.OFFERED, 3.0, 15, 43),
    (ApplicationStatus.APPROVED, GrantStatus.ACCEPTED, 6.0, 21, 64),
    (ApplicationStatus.APPROVED, GrantStatus.DECLINED, 2.0, 21, HISTORY_DAYS),
    (ApplicationStatus.APPROVED, GrantStatus.LAPSED, 1.5, 51, HISTORY_DAYS),
    (ApplicationStatus.APPROVED, GrantStatus.CANCELLED, 2.0, 31, HISTORY_DAYS),
    (ApplicationStatus.APPROVED, GrantStatus.REPORT_DUE, 4.0, 67, 150),
    (ApplicationStatus.APPROVED, GrantStatus.REPORT_SUBMITTED, 3.0, 86, 140),
    (ApplicationStatus.APPROVED, GrantStatus.SETTLED, 3.0, 96, 160),
    (ApplicationStatus.APPROVED, GrantStatus.REVOKED, 1.5, 156, HISTORY_DAYS),
    (ApplicationStatus.APPROVED, GrantStatus.CLOSED, 20.0, 98, HISTORY_DAYS),
]

# Requested amounts: (category, share in %, lowest, most frequent, highest, rounded to).
# Averages about EUR 9,000, as in the domain notes.
AMOUNTS = [
    (1, 48, 800, 4000, 5000, 50),
    (2, 32, 5010, 8000, 10000, 10),
    (3, 20, 10100, 15000, 50000, 100),
]

TWINS = [
    ("Köln", "Lyon"), ("Freiburg", "Besançon"), ("Mainz", "Dijon"), ("Saarbrücken", "Nantes"),
    ("Hannover", "Rouen"), ("Trier", "Metz"), ("Kiel", "Brest"), ("Leipzig", "Lille"),
    ("München", "Bordeaux"), ("Görlitz", "Arles"), ("Bonn", "Grenoble"), ("Erfurt", "Reims"),
]  # fmt: skip
EVENTS = [
    ("Jugendbegegnung", "Rencontre de jeunes"),
    ("Chorfestival", "Festival de chorales"),
    ("Gedenkreise", "Voyage de mémoire"),
    ("Sportturnier", "Tournoi sportif"),
    ("Klimawerkstatt", "Atelier climat"),
    ("Bürgerdialog Europa", "Dialogue citoyen sur l'Europe"),
    ("Digitale Sommerschule", "Université d'été numérique"),
    ("Seniorenaustausch", "Échange de seniors"),
    ("Künstlerresidenz", "Résidence d'artistes"),
    ("Partnerschaftsjubiläum", "Anniversaire du jumelage"),
    ("Theaterwerkstatt", "Atelier théâtre"),
    ("Radtour der Freundschaft", "Randonnée à vélo de l'amitié"),
    ("Inklusives Musikcamp", "Camp musical inclusif"),
    ("Kochkurs ohne Grenzen", "Cours de cuisine sans frontières"),
]


@dataclass(frozen=True)
class OrgSpec:
    username: str
    name: str
    legal_form: str
    country: str
    street: str
    postcode: str
    city: str
    registration_id: str = ""
    members: tuple[str, ...] = ()


# Applicant organisations besides the cast's own (Partnerschaftskomitee Köln–Lyon e.V.).
# German and French, of every legal form, four informal groups with three named members.
ORGANISATIONS = [
    OrgSpec("applicant-dijon", "Comité de jumelage Dijon–Mainz", LegalForm.ASSOCIATION, "FR", "Place de la Libération 2", "21000", "Dijon", "W212001234"),
    OrgSpec("applicant-chor", "Chorgruppe „Stimmen ohne Grenzen“", LegalForm.INFORMAL_GROUP, "DE", "Karl-Liebknecht-Straße 12", "04107", "Leipzig", members=("Anna Becker", "Jonas Wagner", "Fatma Yılmaz")),
    OrgSpec("applicant-freiburg", "Städtepartnerschaftsverein Freiburg–Besançon e.V.", LegalForm.ASSOCIATION, "DE", "Münsterplatz 3", "79098", "Freiburg im Breisgau", "VR 4711"),
    OrgSpec("applicant-lille", "Collectif Jeunes Européens de Lille", LegalForm.INFORMAL_GROUP, "FR", "Rue de Béthune 40", "59000", "Lille", members=("Camille Martin", "Hugo Lefèvre", "Inès Benali")),
    OrgSpec("applicant-kleinblittersdorf", "Gemeinde Kleinblittersdorf", LegalForm.MUNICIPALITY, "DE", "Rathausstraße 1", "66271", "Kleinblittersdorf"),
    OrgSpec("applicant-nantes", "Maison de l'Europe de Nantes", LegalForm.ASSOCIATION, "FR", "Quai de Versailles 90", "44000", "Nantes", "W442005678"),
    OrgSpec("applicant-vhs-mainz", "Volkshochschule Mainz", LegalForm.EDUCATION, "DE", "Karmeliterplatz 1", "55116", "Mainz"),
    OrgSpec("applicant-brest", "Groupe citoyen Brest–Kiel", LegalForm.INFORMAL_GROUP, "FR", "Rue de Siam 8", "29200", "Brest", members=("Yann Le Goff", "Maëlle Quéré", "Thomas Kerjean")),
    OrgSpec("applicant-goerlitz", "TSV Rot-Weiß Görlitz 1890 e.V.", LegalForm.ASSOCIATION, "DE", "Sportplatzweg 5", "02826", "Görlitz", "VR 1890"),
    OrgSpec("applicant-ferney", "Commune de Ferney-Voltaire", LegalForm.MUNICIPALITY, "FR", "Avenue Voltaire 1", "01210", "Ferney-Voltaire"),
    OrgSpec("applicant-stiftung", "Stiftung Erinnerung und Zukunft", LegalForm.FOUNDATION, "DE", "Gedenkstättenweg 2", "99084", "Erfurt", "StiftV 21/07"),
    OrgSpec("applicant-arles", "Association Culture Partagée", LegalForm.ASSOCIATION, "FR", "Rue de la République 15", "13200", "Arles", "W131009876"),
    OrgSpec("applicant-kiel", "Nachbarschaftsinitiative Kiel–Brest", LegalForm.INFORMAL_GROUP, "DE", "Holstenstraße 20", "24103", "Kiel", members=("Lena Petersen", "Malte Hansen", "Sophie Dubois")),
    OrgSpec("applicant-strasbourg", "Lycée franco-allemand de Strasbourg", LegalForm.EDUCATION, "FR", "Rue du Rhin 3", "67000", "Strasbourg"),
    OrgSpec("applicant-gggmbh", "Brücken bauen gGmbH", LegalForm.NONPROFIT_COMPANY, "DE", "Kaiserstraße 100", "66111", "Saarbrücken", "HRB 10452"),
]  # fmt: skip


@dataclass(frozen=True)
class Planned:
    """One application to create: where its history ends, when it starts, what it asks for."""

    number: int
    application_state: str
    grant_state: str | None
    submitted_on: date
    requested: Decimal
    title: str
    applicant: int  # index into the list of (organisation, applicant)
    template: int | None = None  # a copy of the planned application with this number


def apportion(total: int, weights: list[float], *, at_least_one: bool) -> list[int]:
    """Split `total` in proportion to `weights` (largest remainders); optionally no zero."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    if at_least_one and total >= len(weights):
        for i, count in enumerate(counts):
            if count == 0:
                counts[max(range(len(counts)), key=counts.__getitem__)] -= 1
                counts[i] = 1
    return counts


def requested_amount(rng: random.Random) -> Decimal:
    _category, _share, low, mode, high, step = rng.choices(AMOUNTS, [a[1] for a in AMOUNTS])[0]
    value = round(rng.triangular(low, high, mode) / step) * step
    return Decimal(min(max(value, low), high)).quantize(Decimal("0.01"))


def category_of(amount: Decimal) -> int:
    return 1 if amount <= 5000 else 2 if amount <= 10000 else 3


def title_for(rng: random.Random, country: str, year: int) -> str:
    german, french = rng.choice(EVENTS)
    city_de, city_fr = rng.choice(TWINS)
    if country == "FR":
        return f"{french} {city_fr}–{city_de} {year}"
    if rng.random() < 0.3:
        return f"{german} / {french} {city_de}–{city_fr} {year}"
    return f"{german} {city_de}–{city_fr} {year}"


def make_plan(
    size: int,
    rng: random.Random,
    *,
    today: date,
    countries: list[str],
    org_weights: list[float],
    replayed: int | None = None,
) -> list[Planned]:
    """The applications to create, oldest submission first (references then rise with time).

    When `size` exceeds `replayed`, each path gets its share of `replayed` histories to replay
    (at least one); its other applications copy one of them for another applicant of the same
    country, taking the template's dates and amount.
    """
    counts = apportion(size, [row[2] for row in MIX], at_least_one=True)
    replayed = size if replayed is None else replayed
    plan: list[Planned] = []
    for (app_state, grant_state, _share, recent, oldest), count in zip(MIX, counts, strict=True):
        recent = max(recent, demo.days_needed(app_state, grant_state))
        oldest = max(oldest, recent)
        templates = max(1, -(-count * replayed // size)) if count else 0
        path: list[Planned] = []
        for i in range(count):
            if i < templates:
                submitted_on = today - timedelta(days=rng.randint(recent, oldest))
                requested = requested_amount(rng)
                applicant = rng.choices(range(len(org_weights)), org_weights)[0]
                template = None
                if i == 0 and grant_state == GrantStatus.ACCEPTED:
                    # The demo shows an interim report (demo.interim): the first accepted grant
                    # is of category 3, which reports halfway, and is halfway through today.
                    submitted_on = today - timedelta(days=INTERIM_DEMO_DAYS)
                    requested = INTERIM_DEMO_AMOUNT
            else:
                original = rng.choice(path[:templates])
                submitted_on, requested = original.submitted_on, original.requested
                applicant = same_country(rng, countries, org_weights, original.applicant)
                template = original.number
            start_year = (submitted_on + timedelta(days=demo.LEAD_DAYS)).year
            path.append(
                Planned(
                    number=len(plan) + i,
                    application_state=str(app_state),
                    grant_state=str(grant_state) if grant_state else None,
                    submitted_on=submitted_on,
                    requested=requested,
                    title=title_for(rng, countries[applicant], start_year),
                    applicant=applicant,
                    template=template,
                )
            )
        plan.extend(path)
    rng.shuffle(plan)  # the same day's applications come in no particular order
    plan.sort(key=lambda p: p.submitted_on)
    return plan


# Where a history ends with a date the applicant must keep (their calendar shows it).
DEADLINE_STATES = (("changes_requested", None), ("approved", "offered"))


def with_deadlines_for_the_demo_applicant(
    plan: list[Planned], countries: list[str]
) -> list[Planned]:
    """The plan, with the demo login's organisation (applicant 0) holding one history of each
    state in DEADLINE_STATES, where the plan has one replayed for an organisation of its country:
    the two swap organisations, so the mix of states and the copies' countries stay as planned."""
    plan = list(plan)
    for wanted in DEADLINE_STATES:

        def ends(item: Planned, state: tuple[str, str | None] = wanted) -> bool:
            return (item.application_state, item.grant_state) == state

        if any(item.applicant == 0 and ends(item) for item in plan):
            continue
        donor = next((i for i, item in enumerate(plan) if item.template is None and ends(item) and countries[item.applicant] == countries[0]), None)  # fmt: skip
        ours = next((i for i, item in enumerate(plan) if item.template is None and item.applicant == 0 and (item.application_state, item.grant_state) not in DEADLINE_STATES), None)  # fmt: skip
        if donor is None or ours is None:
            continue
        other = plan[donor].applicant
        plan[donor] = replace(plan[donor], applicant=0)
        plan[ours] = replace(plan[ours], applicant=other)
    return plan


def same_country(rng: random.Random, countries: list[str], weights: list[float], of: int) -> int:
    """Another applicant (if there is one) from the country of applicant `of`."""
    others = [i for i, c in enumerate(countries) if c == countries[of] and i != of] or [of]
    return rng.choices(others, [weights[i] for i in others])[0]


def budget_needed(plan: list[Planned]) -> dict[tuple[int, int], Decimal]:
    """What the approvals commit per (category, year of approval): an upper bound."""
    needed: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    approve_after = timedelta(days=demo.STEP_DAY["approve"])
    for item in plan:
        if item.application_state == ApplicationStatus.APPROVED:
            year = (item.submitted_on + approve_after).year
            needed[(category_of(item.requested), year)] += item.requested
    return needed


def bank_account(country: str, number: int) -> dict[str, str]:
    """A valid IBAN of its own for each organisation (Commerzbank Köln / La Banque Postale)."""
    if country == "FR":
        iban = IBAN.generate("FR", bank_code="20041", branch_code="01005", account_code=f"{number:011d}")  # fmt: skip
        return {"iban": str(iban), "bic": "PSSTFRPPLYO"}
    iban = IBAN.generate("DE", bank_code="37040044", account_code=f"{number:010d}")
    return {"iban": str(iban), "bic": "COBADEFFXXX"}


def ensure_organisation(spec: OrgSpec, number: int) -> tuple[Organisation, Any]:
    applicant = demo.make_user(spec.username)
    organisation = Organisation.objects.filter(memberships__user=applicant).first()
    if organisation is None:
        holder = spec.members[0] if spec.members else spec.name[:70]
        organisation = demo.make_organisation(
            applicant,
            name=spec.name,
            country=spec.country,
            legal_form=spec.legal_form,
            street=spec.street,
            postcode=spec.postcode,
            city=spec.city,
            registration_id=spec.registration_id,
            group_members=list(spec.members),
            email=f"{spec.username}@example.org",
            bank_account_holder=holder,
            **bank_account(spec.country, 532013100 + number),
        )
    return organisation, applicant


class _Stream:
    """tqdm writes carriage returns; Django's OutputWrapper would end every write with a newline."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


@contextmanager
def bulk_mode(*, size: int) -> Iterator[None]:
    """Settings for a long batch: no query log, fewer GC passes, a larger SQLite page cache.

    DEBUG keeps every SQL string (and on SQLite runs an extra query to quote its parameters);
    the ORM allocates many short-lived objects the cyclic collector need not scan; SQLite's
    default 2 MiB cache makes a large database re-read its index pages with a system call each.
    The full collection before freezing takes up to half a second in a large process (a test
    run): only a batch of GC_TUNING_FROM applications or more pays for it.
    """
    tune_gc = size >= GC_TUNING_FROM
    if tune_gc:
        gc.collect()
        gc.freeze()
    thresholds = gc.get_threshold()
    if tune_gc:
        gc.set_threshold(50_000, 50, 100)
    cache_size = _sqlite_pragma("cache_size", CACHE_KIB)
    try:
        with override_settings(DEBUG=False):
            yield
    finally:
        _sqlite_pragma("cache_size", cache_size)
        if tune_gc:
            gc.set_threshold(*thresholds)
            gc.unfreeze()


def _sqlite_pragma(name: str, value: int | None) -> int | None:
    """Set a PRAGMA on this connection (SQLite only); returns the value it had."""
    if connection.vendor != "sqlite" or value is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA {name} = {int(value)}")
    return int(previous)


def refresh_statistics() -> None:
    """Tell SQLite's query planner how the tables look (ANALYZE writes sqlite_stat1).

    Without statistics SQLite reads the four-eyes check (log rows of one application *and*
    one actor) through the index on the actor, i.e. through every row the manager ever wrote:
    30 ms per approval or rejection at 400,000 log rows, and rising. With them it takes the
    index on the application (0.01 ms). Sampling 1,000 rows per index keeps this a few ms.
    """
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit = 1000")
        cursor.execute("ANALYZE")


class Command(BaseCommand):
    help = (
        "Create the demo fund, one user per role and N applications in every state of both "
        "machines, with histories replayed through the real services."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", type=int, default=60, help="applications to add (60)")
        parser.add_argument("--seed", type=int, default=None, help="random seed (default: any)")
        parser.add_argument(
            "--chunk", type=int, default=CHUNK, help=f"applications per transaction ({CHUNK})"
        )
        parser.add_argument(
            "--replay",
            type=int,
            default=REPLAYED,
            help=f"histories replayed through the services; the rest are copies ({REPLAYED})",
        )
        parser.add_argument(
            "--logins-only",
            action="store_true",
            help="only make sure the demo users exist and print their logins",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["logins_only"]:
            self.stdout.write(self.logins_table(demo.create_cast()))
            return
        size, chunk, replayed = options["size"], options["chunk"], options["replay"]
        if size < 0 or chunk < 1 or replayed < 1:
            raise CommandError("--size must be >= 0, --chunk and --replay >= 1.")
        seed = options["seed"] if options["seed"] is not None else random.SystemRandom().randrange(10**6)  # fmt: skip
        rng = random.Random(seed)
        started = time.perf_counter()
        today = clock.today()

        wanted = min(len(ORGANISATIONS), max(3, size // 4))
        specs = ORGANISATIONS[:wanted]
        countries = ["DE"] + [spec.country for spec in specs]
        # A few organisations apply often, most now and then.
        org_weights = [1.0 / (1 + i) ** 0.6 for i in range(len(countries))]
        plan = make_plan(
            size,
            rng,
            today=today,
            countries=countries,
            org_weights=org_weights,
            replayed=min(size, replayed),
        )
        plan = with_deadlines_for_the_demo_applicant(plan, countries)
        needed = budget_needed(plan)

        first_year = (today - timedelta(days=HISTORY_DAYS)).year
        budget = max(
            [DEFAULT_BUDGET, *(round_up(amount * Decimal("1.2")) for amount in needed.values())]
        )
        fund = demo.setup_fund(years=tuple(range(first_year, today.year + 2)), budget=budget)
        self.ensure_budget(fund, needed)
        cast = demo.create_cast(fund)
        cofinanced = cofinance_budgets(fund, by=cast.admin)
        if cofinanced:
            self.stdout.write(
                f"{cofinanced} budgets co-financed by the German and the French ministry, 50/50."
            )
        ensure_reviewer_profiles(cast)
        ensure_public_pages()
        applicants: list[tuple[Organisation, Any]] = [(cast.organisation, cast.applicant)]
        for number, spec in enumerate(specs, start=1):
            applicants.append(ensure_organisation(spec, number))
        ensure_partner_posts(fund, applicants)

        self.replay(cast, applicants, plan, chunk)
        showcased = seed_showcase(cast, {org.pk: user for org, user in applicants})
        if showcased:
            self.stdout.write(f"Published {showcased} projects in the showcase (/projects/).")
        if seed_webhook(cast) is not None:
            self.stdout.write(
                "The funder has a webhook subscription, disabled (/webhooks/; the admin "
                "enables it for a real receiver)."
            )
        talked = seed_conversations(cast, {org.pk: user for org, user in applicants})
        if talked:
            self.stdout.write(
                f"Wrote the conversations of {talked} applications (/conversations/)."
            )
        with effects.suspended():
            amended = seed_amendments(cast, {org.pk: user for org, user in applicants})
        for amendment in amended:
            application = amendment.grant.application
            member = application.organisation.memberships.order_by("pk").first()
            self.stdout.write(
                f"Change no. {amendment.number} of {application.reference} "
                f"({amendment.status}): /amendments/{amendment.pk}/ "
                f"(login {member.user.get_username() if member else '-'}; managers: "
                "/review/amendments/)."
            )
        interim = seed_interim_report(cast, {org.pk: user for org, user in applicants})
        if interim is not None:
            self.stdout.write(
                f"Accepted the interim report of {interim.application.reference}; its tranche "
                "waits for finance."
            )
        with effects.suspended():
            ranked = seed_ranking(cast, applicants)
        if ranked is not None:
            self.stdout.write(
                f"The committee's ranking of the call “{ranked}”: /review/rankings/{ranked.pk}/ "
                "(login manager)."
            )
        seed_saved_filters(cast)
        held = hold_a_claim(cast)
        if held is not None:
            self.stdout.write(
                f"The reviewer holds the formal check of {held.application.reference}; their "
                "calendar shows when the claim expires."
            )
        self.stdout.write(self.summary(plan, seed, len(applicants), time.perf_counter() - started))
        self.stdout.write(self.logins_table(cast))
        self.stdout.write(
            "Calendar feeds (subscribe in a calendar app; shown only now, a new run makes new "
            "ones; saved filters of the reviewer and the manager are on their lists):"
        )
        for username, address in seed_feeds(cast, SITE_URL):
            self.stdout.write(f"  {username}: {address}")

    def ensure_budget(self, fund: Any, needed: dict[tuple[int, int], Decimal]) -> None:
        """Raise a yearly budget where this run's approvals would not fit in what is left.

        The allocated amount is the fund's setting (an administrator edits it in the admin);
        the ledger stays untouched.
        """
        for (category, year), amount in sorted(needed.items()):
            allocation = BudgetAllocation.objects.get(
                programme__fund=fund, programme__category=category, year=year
            )
            remaining = allocation.balances()["remaining"]
            if remaining >= amount:
                continue
            raised = round_up(allocation.amount + amount - remaining)
            BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=raised)
            self.stdout.write(f"Raised the {year} budget of category {category} to {raised} EUR.")

    def replay(
        self,
        cast: demo.Cast,
        applicants: list[tuple[Organisation, Any]],
        plan: list[Planned],
        chunk: int,
    ) -> None:
        """Replay the planned histories through the services, then write the copies of them."""
        originals = [item for item in plan if item.template is None]
        copies = [item for item in plan if item.template is not None]
        created: dict[int, int] = {}  # planned number -> application id
        steps = ReviewSteps(cast)
        with (
            bulk_mode(size=len(plan)),
            # No e-mails to the demo's addresses and no PDFs while replaying: the review work
            # the side effects would open is opened by ReviewSteps.
            effects.suspended(),
            tqdm(
                total=len(plan),
                desc="applications",
                unit="app",
                file=_Stream(self.stderr),
                smoothing=0.05,
            ) as bar,
        ):
            for number, begin in enumerate(range(0, len(originals), chunk)):
                with transaction.atomic():
                    for item in originals[begin : begin + chunk]:
                        organisation, applicant = applicants[item.applicant]
                        application = demo.drive(
                            cast,
                            item.application_state,
                            item.grant_state,
                            submitted_on=item.submitted_on,
                            requested=item.requested,
                            organisation=organisation,
                            applicant=applicant,
                            title=item.title,
                            steps=steps,
                            # Three in four consent to publication (the 360Giving export).
                            publication=item.number % 4 != 0,
                            # French organisations write in French (copies keep it).
                            language="fr" if organisation.country == "FR" else "de",
                        )
                        created[item.number] = application.pk
                        bar.update()
                if number % ANALYZE_EVERY == 0:
                    refresh_statistics()
            if copies:
                templates = demo_copies.load_templates(created.values())
                for begin in range(0, len(copies), COPY_CHUNK):
                    jobs = []
                    for item in copies[begin : begin + COPY_CHUNK]:
                        organisation, applicant = applicants[item.applicant]
                        template = templates[created[item.template]]  # type: ignore[index]
                        jobs.append(
                            (template, demo_copies.Applicant(organisation, applicant, item.title))
                        )
                    demo_copies.copy_histories(jobs)
                    bar.update(len(jobs))
        refresh_statistics()

    def summary(self, plan: list[Planned], seed: int, organisations: int, seconds: float) -> str:
        states = Counter(p.application_state for p in plan)
        grants = Counter(p.grant_state for p in plan if p.grant_state)
        copied = sum(1 for p in plan if p.template is not None)
        size = max(len(plan), 1)
        lines = [
            f"Added {len(plan)} applications of {organisations} organisations in {seconds:.1f} s "
            f"(seed {seed}); {len(plan) - copied} replayed through the services, {copied} copies "
            "of those.",
            "  applications: "
            + ", ".join(f"{s} {states[s]} ({100 * states[s] / size:.0f} %)" for s in ApplicationStatus.values if states[s]),
            "  grants: " + ", ".join(f"{s} {grants[s]}" for s in GrantStatus.values if grants[s]),
            "",
        ]  # fmt: skip
        return "\n".join(lines)

    def logins_table(self, cast: demo.Cast) -> str:
        rows = [("role", "username", "password"), *cast.logins()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        rule = "+".join("-" * (w + 2) for w in widths)
        lines = [f"Demo logins, sign in at {SITE_URL}/ (staff also at {SITE_URL}/admin/)", rule]
        for n, row in enumerate(rows):
            cells = " | ".join(value.ljust(widths[i]) for i, value in enumerate(row))
            lines.append(f" {cells}".rstrip())
            if n == 0:
                lines.append(rule)
        lines.append(rule)
        lines.append(
            f"The programme dashboard (manager, admin, funder): {SITE_URL}/dashboard/; the funder "
            "reads it within the programmes of their API token, with the funded projects and "
            "their tokens beside it."
        )
        if cast.funder_token:
            lines.append(f"API token of the funder (shown only now): {cast.funder_token}")
        else:
            lines.append(
                "The funder's API token was printed when the demo data was created; an "
                "administrator can issue a new one under Grants > API tokens in the admin."
            )
        return "\n".join(lines)


def round_up(amount: Decimal, step: int = 100_000) -> Decimal:
    return (Decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_UP) * step

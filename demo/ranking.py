"""The committee's ranking in the demo: a call of category 4 ("lighthouse") with assessed
applications on both sides of the minimum score and of the budget line.

Each application goes the real way: a draft for the call (70 % of the eligible costs, a partner
from the other country), submitted while the call is open, the formal check passed and the
three reviews the programme requires written by three demo reviewers through the assessment
service. The programme's budget of this year is sized (EUR 500,000, while nothing is committed
on it) so that the line where it runs out falls within the list.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from applications import services
from applications.formal_check import CHECKLIST_CODES
from applications.models import REQUIRED_DECLARATIONS, Application
from applications.transitions import run_application_transition
from demo import builders as demo
from demo.reviews import ReviewSteps
from grants.models import BudgetAllocation, Call, Programme
from organisations.models import Organisation
from reviews import checks
from reviews import services as review_services
from reviews.models import Recommendation, TaskStatus
from workflows import clock
from workflows.roles import Role

LIGHTHOUSE_BUDGET = Decimal("500000.00")
# (German / French title, requested amount, the three reviewers' points on every criterion)
PROJECTS: list[tuple[str, str, tuple[int, int, int]]] = [
    ("Grenzenlos Wandern / Randonnée sans frontières", "98000.00", (10, 10, 9)),
    ("Europäisches Jugendparlament / Parlement européen des jeunes", "145000.00", (10, 9, 10)),
    ("Klimaschule am Oberrhein / École du climat du Rhin supérieur", "120000.00", (9, 9, 10)),
    ("Erinnerungsorte 1944 / Lieux de mémoire 1944", "86000.00", (9, 10, 9)),
    ("Digitale Partnerstädte / Villes jumelles numériques", "110000.00", (9, 9, 9)),
    ("Chöre der Grenzregion / Chœurs de la région frontalière", "64000.00", (9, 9, 9)),
    ("Inklusive Sportwoche / Semaine sportive inclusive", "72000.00", (10, 8, 9)),
    ("Theater ohne Worte / Théâtre sans paroles", "58000.00", (8, 9, 8)),
    ("Landfrauen im Austausch / Échanges d’agricultrices", "61000.00", (8, 8, 8)),
    ("Kochen verbindet / La cuisine qui relie", "55000.00", (7, 8, 7)),
]


def demo_call(programme: Programme, today: date) -> Call | None:
    """The call of the programme that closed last before today (its applications are assessed
    now); None if none has closed yet."""
    return (
        Call.objects.filter(programme=programme, closes_on__lt=today).order_by("-closes_on").first()
    )


def seed_ranking(cast: demo.Cast, applicants: list[tuple[Organisation, Any]]) -> Call | None:
    """The demo ranking; returns its call (None when the fund has no closed call this year).
    Adds nothing when the call already has applications."""
    programme = Programme.objects.get(fund=cast.fund, code="lighthouse")
    today = clock.today()
    call = demo_call(programme, today)
    if call is None or Application.objects.filter(call=call).exists():
        return call
    allocation = BudgetAllocation.objects.filter(programme=programme, year=today.year).first()
    if allocation is not None and not allocation.entries.exists():
        BudgetAllocation.objects.filter(pk=allocation.pk).update(amount=LIGHTHOUSE_BUDGET)
    reviewers = [cast.reviewer, cast.reviewer2, demo.make_user("reviewer3", Role.REVIEWER)]
    steps = ReviewSteps(cast)
    for number, (title, requested, points) in enumerate(PROJECTS):
        organisation, applicant = applicants[number % len(applicants)]
        submitted = max(call.opens_on, call.closes_on - timedelta(days=5 + 3 * number))
        application = _submitted(cast, call, organisation, applicant, title, Decimal(requested), submitted)  # fmt: skip
        with clock.travel_to(submitted + timedelta(days=4)):
            steps.run(application, "pass_formal_check", cast.reviewer, {"checklist": list(CHECKLIST_CODES)})  # fmt: skip
            steps.after(application, "pass_formal_check")
        tasks = review_services.open_assessments(Application.objects.get(pk=application.pk))
        for task, reviewer, score in zip(tasks, reviewers, points, strict=False):
            if task.status == TaskStatus.DONE:
                continue
            with clock.travel_to(submitted + timedelta(days=10)):
                checks.submit_review(
                    task,
                    by=reviewer,
                    scores=dict.fromkeys((row["code"] for row in programme.rubric), score),
                    recommendation=Recommendation.APPROVE,
                    comment_internal="Für die Sitzung des Auswahlgremiums.",
                    comment_for_applicant="",
                )
        steps.after(application, "complete_review")
    return call


def _submitted(
    cast: demo.Cast,
    call: Call,
    organisation: Organisation,
    applicant: Any,
    title: str,
    requested: Decimal,
    on: date,
) -> Application:
    other = "FR" if organisation.country == "DE" else "DE"
    start = on + timedelta(days=150)
    with clock.travel_to(on):
        draft = services.create_draft(
            organisation,
            fund=cast.fund,
            by=applicant,
            call=call,
            title=title,
            # French organisations write in French, as in the rest of the demo.
            language="fr" if organisation.country == "FR" else "de",
            summary="Ein deutsch-französisches Leuchtturmprojekt / Un projet phare franco-allemand.",
            description=(
                "Zwei Jahre Zusammenarbeit mit Partnern aus beiden Ländern: Begegnungen, "
                "Werkstätten und eine gemeinsame Abschlussveranstaltung."
            ),
            themes=["europe", "civic"],
            start_date=start,
            end_date=start + timedelta(days=60),
            places="Straßburg, Kehl",
            requested_amount=requested,
            budget_lines=demo.budget_for(requested, Decimal("0.70")),
            partners=[
                {
                    "name": "Partenaire / Partner",
                    "country": other,
                    "city": "Strasbourg" if other == "FR" else "Kehl",
                }
            ],
            participants_expected={"DE": 60, "FR": 60},
            declarations=list(REQUIRED_DECLARATIONS),
        )
        application = run_application_transition(draft, "submit", by=applicant)
    ReviewSteps(cast).after(application, "submit")
    return application

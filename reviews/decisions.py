"""Decisions by programme managers: one application, many at once, and the waiting list; with the
reads their pages need.

Every decision goes through the applications services (and so through `workflows.perform()`):
approval commits the budget under a row lock and offers the grant, letters follow on commit.
The four-eyes rule and the minimum score are checked first, so that a refusal says why in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import django_filters
from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from applications import rules as application_rules
from applications.models import Application, ApplicationStatus
from applications.services import (
    approve_application,
    reject_application,
    reopen_application,
    waitlist_application,
)
from grants.cofunding import Financier, cofunders_of
from grants.models import BudgetAllocation, Programme
from grants.money import cents, format_number
from grants.services import allocation_for
from reviews import checks
from reviews.checks import criterion_label
from reviews.filters import COUNTRIES
from reviews.models import Recommendation, Review
from workflows import clock
from workflows.errors import TransitionForbidden, UnknownTransition, WorkflowError
from workflows.roles import Role, has_role

Decision = Literal["approve", "reject", "waitlist"]
AmountRule = Literal["requested", "proposed"]
DECISIONS: tuple[str, ...] = ("approve", "reject", "waitlist")
AMOUNT_RULES: tuple[str, ...] = ("requested", "proposed")
# The states in which an application waits for a manager.
AWAITING = (ApplicationStatus.REVIEWED, ApplicationStatus.WAITLISTED)


class FourEyesRefusal(TransitionForbidden):
    code = "four_eyes"

    def default_message(self) -> object:
        return _("You reviewed this application, so someone else must decide it.")


class ScoreBelowMinimum(WorkflowError):
    code = "score_below_minimum"


# --- who decides ----------------------------------------------------------------------------------


def may_decide(user: Any) -> bool:
    """Who may open the decision pages: programme managers and administrators."""
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def check_decider(application: Application, by: Any) -> None:
    """Refuse, in words, anybody who may not decide this application: role first, then four-eyes.

    The transition checks the same rule again under the row lock (`can_decide`).
    """
    if not has_role(by, Role.MANAGER):
        raise TransitionForbidden(_("Only programme managers decide applications."))
    if not application_rules.may_manage(application, by):
        raise TransitionForbidden(
            _(
                "You may not decide this application (a conflict of interest, or outside the "
                "programmes of this access)."
            )
        )
    if application_rules.has_reviewed(application, by):
        raise FourEyesRefusal()


def check_minimum_score(application: Application, *, score: Decimal | None = None) -> None:
    """Programmes with a minimum score (category 4) approve only applications that reach it."""
    programme = application.programme
    minimum = programme.minimum_score if programme is not None else None
    if minimum is None:
        return
    if score is None:
        score = application.score if application.score is not None else average_score(application)
    if score is None:
        raise ScoreBelowMinimum(
            _(
                "This application has no score yet; “%(programme)s” approves only from a "
                "weighted score of %(minimum)s."
            )
            % {"programme": programme, "minimum": format_number(minimum)}
        )
    if score < minimum:
        raise ScoreBelowMinimum(
            _(
                "The weighted score of %(score)s is below the minimum of %(minimum)s of "
                "“%(programme)s”, so this application cannot be approved."
            )
            % {
                "score": format_number(score),
                "minimum": format_number(minimum),
                "programme": programme,
            }
        )


def average_score(application: Application) -> Decimal | None:
    """The mean of the application's weighted review scores (the rule of checks.average_score),
    or None without a review."""
    scores = list(
        Review.objects.filter(application=application).values_list("weighted_score", flat=True)
    )
    return checks.average_score(scores) if scores else None


def suggested_amount(requested: Decimal, reviews: list[tuple[str, Decimal | None]]) -> Decimal:
    """The requested amount or, when every review recommends a lower one, their average.

    `reviews` holds (recommendation, proposed amount) of each review.
    """
    proposed = [amount for _recommendation, amount in reviews if amount is not None]
    lower = sum(1 for recommendation, _amount in reviews if recommendation == Recommendation.APPROVE_LOWER)  # fmt: skip
    average = sum(proposed, Decimal("0")) / len(proposed) if proposed else None
    return _lower_if_all_agree(requested, len(reviews), lower, len(proposed), average)


def _lower_if_all_agree(
    requested: Decimal, reviews: int, lower: int, proposed: int, average: Decimal | None
) -> Decimal:
    """The one rule of the suggested amount: the average proposed amount (never above the
    request) when every review recommends a lower amount and proposes one; else the request."""
    if not reviews or lower != reviews or proposed != reviews or average is None:
        return requested
    return min(requested, cents(average))


# --- one decision ------------------------------------------------------------------------------


def decide(
    application: Application,
    *,
    by: Any,
    decision: str,
    amount: Decimal | None = None,
    conditions: str = "",
    reasons: str = "",
) -> Application:
    """Approve (commits the budget, offers the grant), reject or waitlist one application.

    `amount` defaults to the requested amount; `reasons` are the rejection's reasons or the
    note of a waitlisting. Letters and e-mails go out after the commit.
    """
    if decision not in DECISIONS:
        raise UnknownTransition()
    check_decider(application, by)
    if decision == "approve":
        # approve_application checks the minimum score (registered in ReviewsConfig.ready).
        amount = application.requested_amount if amount is None else amount
        return approve_application(application, by=by, amount=amount, conditions=conditions)
    if decision == "reject":
        return reject_application(application, by=by, reasons=reasons)
    return waitlist_application(application, by=by, reason=reasons)


# --- many decisions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one application of a bulk decision: decided, or refused and why."""

    application: Application
    ok: bool
    message: str = ""
    status: str = ""


def decide_many(
    applications: Any,
    *,
    by: Any,
    decision: str,
    amount_rule: str = "requested",
    conditions: str = "",
    reasons: str = "",
) -> list[Outcome]:
    """The same decision for each application, each in its own transaction (savepoint): a
    refusal (four-eyes, budget, state, someone faster) leaves the others decided."""
    if decision not in DECISIONS:
        raise UnknownTransition()
    if amount_rule not in AMOUNT_RULES:
        raise WorkflowError(_("Please choose which amount to approve."), code="bad_amount_rule")
    chosen = list(applications)
    proposals = _proposals([a.pk for a in chosen]) if amount_rule == "proposed" else {}
    outcomes = []
    for application in chosen:
        amount = None
        if decision == "approve" and amount_rule == "proposed":
            amount = suggested_amount(
                application.requested_amount, proposals.get(application.pk, [])
            )
        try:
            with transaction.atomic():
                decided = decide(
                    application,
                    by=by,
                    decision=decision,
                    amount=amount,
                    conditions=conditions,
                    reasons=reasons,
                )
        except WorkflowError as error:
            outcomes.append(Outcome(application, ok=False, message=str(error.message)))
        else:
            outcomes.append(Outcome(decided, ok=True, status=decided.get_status_display()))
    return outcomes


def _proposals(pks: list[int]) -> dict[int, list[tuple[str, Decimal | None]]]:
    found: dict[int, list[tuple[str, Decimal | None]]] = {}
    rows = Review.objects.filter(application_id__in=pks).values_list(
        "application_id", "recommendation", "proposed_amount"
    )
    for pk, recommendation, amount in rows:
        found.setdefault(pk, []).append((recommendation, amount))
    return found


# --- the waiting list ----------------------------------------------------------------------------


def reopen_waitlisted(programme: Programme, year: int, *, by: Any) -> list[Application]:
    """Budget became available: waitlisted applications go back to `reviewed` in order of project
    start while what is left of the year's released budget covers their requested amount.

    Stops at the first that does not fit, so that no later project jumps the queue. Projects that
    already started are left to expire.
    """
    allocation = allocation_for(programme, year)
    if allocation is None or not allocation.released:
        return []
    remaining = allocation.balances()["remaining"]
    waiting = Application.objects.filter(
        programme=programme,
        status=ApplicationStatus.WAITLISTED,
        start_date__gt=clock.today(),
    ).order_by("start_date", "id")
    reopened = []
    for application in waiting:
        if application.requested_amount > remaining:
            break
        try:
            with transaction.atomic():
                reopened.append(reopen_application(application, by=by))
        except WorkflowError:
            continue  # reopened or decided by someone else meanwhile
        remaining -= application.requested_amount
    return reopened


# --- reads of the decision pages -----------------------------------------------------------------


class DecisionFilter(django_filters.FilterSet):
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=Programme.objects.order_by("fund", "category")
    )
    category = django_filters.NumberFilter(
        label=_("Category"), field_name="programme__category", min_value=1, max_value=99
    )
    country = django_filters.ChoiceFilter(
        label=_("Applicant country"), field_name="organisation__country", choices=COUNTRIES
    )
    waiting = django_filters.ChoiceFilter(
        label=_("Waiting"),
        field_name="status",
        choices=[
            (ApplicationStatus.REVIEWED, _("for a decision")),
            (ApplicationStatus.WAITLISTED, _("on the waiting list")),
        ],
    )

    class Meta:
        model = Application
        fields: list[str] = []


def programmes_with_a_waiting_list(user: Any) -> list[Programme]:
    """The programmes of which `user` sees waitlisted applications whose project has not started
    (the ones `reopen_waitlisted` may take back), by category."""
    ids = (
        Application.objects.visible_to(user)
        .filter(status=ApplicationStatus.WAITLISTED, start_date__gt=clock.today())
        .values("programme_id")
    )
    return list(Programme.objects.filter(pk__in=ids).order_by("category", "pk"))


def awaiting_decision(user: Any) -> QuerySet[Application]:
    """Reviewed and waitlisted applications `user` may see, earliest project start first, with
    what a row shows: the recommendations counted and the average proposed amount. The score is
    the application's own, set when the review completed (checks.average_score)."""
    recommended = {
        f"n_{value}": Count("reviews", filter=Q(reviews__recommendation=value))
        for value in Recommendation.values
    }
    return (
        Application.objects.visible_to(user)
        .filter(status__in=AWAITING)
        .select_related("organisation", "programme")
        .annotate(
            n_reviews=Count("reviews"),
            n_proposed=Count("reviews", filter=Q(reviews__proposed_amount__isnull=False)),
            average_proposed=Avg("reviews__proposed_amount"),
            **recommended,
        )
        .order_by("start_date", "id")
    )


def row_amount(application: Any) -> Decimal:
    """The amount a bulk approval with "proposed" would take for an annotated list row."""
    average = getattr(application, "average_proposed", None)
    return _lower_if_all_agree(
        application.requested_amount,
        getattr(application, "n_reviews", 0),
        getattr(application, "n_approve_lower", 0),
        getattr(application, "n_proposed", 0),
        Decimal(average) if average is not None else None,
    )


def chosen_for_bulk(pks: list[int], user: Any) -> QuerySet[Application]:
    """The applications ticked for a bulk decision that `user` may see, in the order decisions
    go out."""
    return (
        Application.objects.visible_to(user)
        .filter(pk__in=pks)
        .select_related("organisation", "programme")
        .order_by("start_date", "id")
    )


def application_for_decision(pk: int, user: Any) -> Application | None:
    """The application if `user` may see it (never a draft)."""
    return (
        Application.objects.visible_to(user)
        .filter(pk=pk)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("organisation", "programme")
        .first()
    )


@dataclass(frozen=True)
class Criterion:
    code: str
    label: str
    weight: Decimal
    scores: list[Any]


@dataclass(frozen=True)
class Dossier:
    """Everything the decision page shows about one application."""

    reviews: list[Review]
    criteria: list[Criterion]
    average_score: Decimal | None
    suggested_amount: Decimal
    allocation: BudgetAllocation | None
    balances: dict[str, Decimal] | None
    year: int
    # The budget's co-funders with their shares (the lead funder first); none: the fund alone.
    cofunders: list[Financier] = field(default_factory=list)


def dossier(application: Application) -> Dossier:
    """The reviews side by side, their averages, and the programme's budget for this year."""
    reviews = list(
        Review.objects.filter(application=application)
        .select_related("reviewer")
        .order_by("submitted_at", "id")
    )
    programme = application.programme
    rubric = list(programme.rubric or []) if programme is not None else []
    codes = [str(c.get("code")) for c in rubric if isinstance(c, dict)]
    for review in reviews:  # criteria a review scored that the rubric no longer lists
        codes += [code for code in (review.scores or {}) if code not in codes]
    weights = {str(c.get("code")): Decimal(str(c.get("weight", 1))) for c in rubric if isinstance(c, dict)}  # fmt: skip
    criteria = [
        Criterion(
            code=code,
            label=str(criterion_label(code)),
            weight=weights.get(code, Decimal("1")),
            scores=[(review.scores or {}).get(code) for review in reviews],
        )
        for code in codes
    ]
    scores = [review.weighted_score for review in reviews]
    average = checks.average_score(scores) if scores else None
    year = clock.today().year
    allocation = allocation_for(programme, year) if programme is not None else None
    return Dossier(
        reviews=reviews,
        criteria=criteria,
        average_score=average,
        suggested_amount=suggested_amount(
            application.requested_amount,
            [(review.recommendation, review.proposed_amount) for review in reviews],
        ),
        allocation=allocation,
        balances=allocation.balances() if allocation is not None else None,
        year=year,
        cofunders=cofunders_of(allocation) if allocation is not None else [],
    )

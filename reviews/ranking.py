"""The committee's ranking of a call (category 4: calls, a minimum score, a committee decision).

The applications of a call that wait for a decision, best weighted score first (the score the
reviews gave, `checks.average_score`), ties broken by the earlier project start, then by id.
Two lines cut the list: the minimum score of the programme, and the budget line where this
year's remaining budget (the allocation minus what is committed, from the ledger) runs out
when the applications above the minimum are funded top-down at their suggested amounts
(`decisions.suggested_amount`: the request, or the reviewers' average when all propose less).
Like the waiting list, the budget line stops at the first application that does not fit: no
later one jumps the queue.

Reads: the call, its applications (with the four-eyes mark of the reader), the reviews they
may read, the budget with its balances: four queries however many applications there are.

Bulk decisions from the ranking go through `decisions.decide_many` (four-eyes, minimum score,
the budget's row lock) inside one transaction: they all happen, or none does and the refusal
says why (an unknown id, an application of another call, one decided meanwhile, the budget).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, F, QuerySet
from django.utils.translation import gettext_lazy as _

from applications import rules as application_rules
from applications.models import Application
from grants.models import BudgetAllocation, Call, Programme
from reviews import checks, decisions, rules
from reviews.models import Review
from workflows import clock
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.roles import Role, has_role

ZERO = Decimal("0.00")
# A bulk decision from the ranking covers at most this many applications.
BULK_LIMIT = 200


class RankingRefusal(WorkflowError):
    """A bulk decision from the ranking that was not made at all (nothing was written)."""

    code = "ranking_refused"
    http_status = 409


# --- reads ----------------------------------------------------------------------------------------


def calls_to_rank(user: Any) -> QuerySet[Call]:
    """The calls whose ranking `user` may see, latest closing first."""
    return rules.ranked_calls_visible_to(Call.objects.select_related("programme"), user).order_by(
        "-closes_on", "-pk"
    )


def waiting_per_call(calls: list[Call], user: Any) -> dict[int, int]:
    """How many applications of each call wait for a decision, of those `user` sees."""
    return dict(
        Application.objects.visible_to(user)
        .filter(call__in=calls, status__in=decisions.AWAITING)
        .order_by()
        .values_list("call")
        .annotate(n=Count("pk"))
        .values_list("call", "n")
    )


def call_for_ranking(pk: int, user: Any) -> Call | None:
    """The call if `user` may see its ranking (`rules.may_see_ranking`), else None."""
    return calls_to_rank(user).filter(pk=pk).first()


@dataclass(frozen=True)
class Score:
    """One review as the ranking shows it: who, the weighted score, the recommendation and the
    proposed amount (plain values: two thousand applications make four thousand of them)."""

    application_id: int
    reviewer_id: int
    reviewer_name: str
    weighted_score: Decimal
    recommendation: str
    proposed_amount: Decimal | None

    FIELDS = (
        "application_id",
        "reviewer_id",
        "reviewer__first_name",
        "reviewer__last_name",
        "reviewer__username",
        "weighted_score",
        "recommendation",
        "proposed_amount",
    )

    @classmethod
    def of(cls, values: tuple[Any, ...]) -> Score:
        application, reviewer, first, last, username, weighted, recommendation, proposed = values
        name = f"{first} {last}".strip() or username
        return cls(application, reviewer, name, weighted, recommendation, proposed)


@dataclass(frozen=True)
class Row:
    """One application of the ranking."""

    rank: int
    application: Application
    score: Decimal | None
    reviews: list[Score]
    # The reviews padded to the ranking's columns (None: no review in that column).
    cells: list[Score | None]
    amount: Decimal  # the suggested amount (decisions.suggested_amount)
    above_minimum: bool
    within_budget: bool
    # What funding this row and those above it within the budget takes (None below the line).
    cumulative: Decimal | None
    # Four-eyes: the reader checked or assessed it, so may not decide it.
    reviewed_by_reader: bool


@dataclass(frozen=True)
class Ranking:
    call: Call
    programme: Programme
    rows: list[Row]
    minimum: Decimal | None
    year: int
    allocation: BudgetAllocation | None
    # This year's allocation minus what is committed (None without a budget for the year).
    remaining: Decimal | None
    # How many rows lie above each line (the line is drawn after that many rows).
    minimum_line: int
    budget_line: int
    # What the rows above the budget line take together, and what is left after them.
    funded: Decimal
    left_after: Decimal | None
    # Most reviews of one row: the columns of the reviewers' scores.
    review_columns: int

    @property
    def released(self) -> bool:
        return self.allocation is not None and self.allocation.released


def awaiting_in_call(call: Call, user: Any) -> QuerySet[Application]:
    """The call's applications waiting for a decision that `user` sees, in ranking order, each
    with `reviewed_by_reader` (the four-eyes rule, `applications.rules.reviewed_by`)."""
    return (
        Application.objects.visible_to(user)
        .filter(call=call, status__in=decisions.AWAITING)
        .select_related("organisation")
        .only(*LIST_FIELDS)
        .annotate(
            reviewed_by_reader=ExpressionWrapper(
                application_rules.reviewed_by(user, Application), output_field=BooleanField()
            )
        )
        .order_by(F("score").desc(nulls_last=True), F("start_date").asc(nulls_last=True), "id")
    )


# What a row shows of an application and its organisation.
LIST_FIELDS = (
    "id",
    "reference",
    "title",
    "status",
    "start_date",
    "requested_amount",
    "score",
    "call_id",
    "programme_id",
    "organisation__id",
    "organisation__name",
    "organisation__country",
)


def ranking_of(call: Call, user: Any) -> Ranking:
    """The ranking of `call` as `user` may see it (the caller checked `may_see_ranking`)."""
    programme = call.programme
    applications = list(awaiting_in_call(call, user))
    reviews: dict[int, list[Score]] = {}
    rows_of_reviews = (
        Review.objects.visible_to(user)
        .filter(application__call=call, application__status__in=decisions.AWAITING)
        .order_by("submitted_at", "id")
        .values_list(*Score.FIELDS)
    )
    for values in rows_of_reviews:
        cell = Score.of(values)
        reviews.setdefault(cell.application_id, []).append(cell)
    year = clock.today().year
    allocation = (
        BudgetAllocation.objects.filter(programme_id=programme.pk, year=year)
        .with_balances()
        .first()
    )
    remaining = getattr(allocation, "remaining", None)
    minimum = programme.minimum_score
    columns = max((len(reviews.get(a.pk, [])) for a in applications), default=0)
    rows: list[Row] = []
    funded = ZERO
    budget_open = remaining is not None
    minimum_line = budget_line = 0
    for rank, application in enumerate(applications, 1):
        own = reviews.get(application.pk, [])
        score = application.score
        if score is None and own:
            score = checks.average_score([review.weighted_score for review in own])
        above = minimum is None or (score is not None and score >= minimum)
        amount = decisions.suggested_amount(
            application.requested_amount,
            [(review.recommendation, review.proposed_amount) for review in own],
        )
        within = False
        if above and budget_open and remaining is not None:
            if funded + amount <= remaining:
                funded += amount
                within = True
            else:
                budget_open = False  # the first that does not fit ends the funded part
        else:
            budget_open = False
        if above and minimum_line == rank - 1:
            minimum_line = rank
        if within:
            budget_line = rank
        rows.append(
            Row(
                rank=rank,
                application=application,
                score=score,
                reviews=own,
                cells=[*own, *([None] * (columns - len(own)))],
                amount=amount,
                above_minimum=above,
                within_budget=within,
                cumulative=funded if within else None,
                reviewed_by_reader=bool(getattr(application, "reviewed_by_reader", False)),
            )
        )
    return Ranking(
        call=call,
        programme=programme,
        rows=rows,
        minimum=minimum,
        year=year,
        allocation=allocation,
        remaining=remaining,
        minimum_line=minimum_line,
        budget_line=budget_line,
        funded=funded,
        left_after=remaining - funded if remaining is not None else None,
        review_columns=columns,
    )


# --- bulk decisions from the ranking --------------------------------------------------------------


def decide_from_ranking(
    call: Call,
    pks: Iterable[int],
    *,
    by: Any,
    decision: str,
    conditions: str = "",
    reasons: str = "",
) -> list[decisions.Outcome]:
    """Decide the ticked applications of `call` the same way, best ranked first, approvals at
    the suggested amount: all of them, or none (RankingRefusal says why, nothing is written).

    Every decision is `decisions.decide` (through `decide_many`): the four-eyes rule, the
    minimum score and the budget's row lock hold as on the decision page. The ticked rows are
    locked first, in id order, so that two managers deciding from the same ranking at once
    come one after the other: the later one finds what the first decided and is refused."""
    if not rules.may_see_ranking(call, by) or not has_role(by, Role.MANAGER):
        raise TransitionForbidden(_("Only programme managers decide applications."))
    if decision not in decisions.DECISIONS:
        raise InvalidInput(_("Please choose a decision."), code="bad_decision", field="decision")
    if decision == "reject" and not reasons.strip():
        raise InvalidInput(
            _("Please give the reasons for the rejection."), code="reasons_missing", field="reasons"
        )
    wanted = sorted(set(pks))
    if not wanted:
        raise InvalidInput(
            _("Please tick the applications to decide."), code="none_ticked", field="application"
        )
    if len(wanted) > BULK_LIMIT:
        raise InvalidInput(
            _("Please decide at most %(n)s applications at once.") % {"n": BULK_LIMIT},
            code="too_many_ticked",
            field="application",
        )
    with transaction.atomic():
        # Lock first (ids in order: no deadlock between two bulk decisions), then read what
        # the reader may see of them: the locks make the statuses current.
        locked = list(
            Application.objects.select_for_update()
            .filter(pk__in=wanted)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        seen = {
            application.pk: application
            for application in Application.objects.visible_to(by)
            .filter(pk__in=locked)
            .select_related("organisation", "programme")
        }
        _refuse_bad_ticks(call, wanted, seen)
        chosen = sorted(
            seen.values(),
            key=lambda a: (
                -(a.score if a.score is not None else Decimal(-1)),
                a.start_date is None,
                a.start_date,
                a.pk,
            ),
        )
        outcomes = decisions.decide_many(
            chosen,
            by=by,
            decision=decision,
            amount_rule="proposed",
            conditions=conditions,
            reasons=reasons,
        )
        refused = [outcome for outcome in outcomes if not outcome.ok]
        if refused:
            # Nothing half-done: the decisions already made in this transaction roll back.
            raise RankingRefusal(
                _("Nothing was decided: %(why)s")
                % {
                    "why": " ".join(
                        f"{outcome.application.reference}: {outcome.message}" for outcome in refused
                    )
                }
            )
    return outcomes


def _refuse_bad_ticks(call: Call, wanted: list[int], seen: dict[int, Application]) -> None:
    unknown = [pk for pk in wanted if pk not in seen]
    if unknown:
        raise RankingRefusal(
            _(
                "Nothing was decided: %(n)s of the ticked applications do not exist or are not "
                "yours to see (%(ids)s). Please reload the ranking."
            )
            % {"n": len(unknown), "ids": ", ".join(str(pk) for pk in unknown)},
            code="unknown_application",
        )
    elsewhere = [a for a in seen.values() if a.call_id != call.pk]
    if elsewhere:
        raise RankingRefusal(
            _("Nothing was decided: %(refs)s not in the call “%(call)s”.")
            % {"refs": ", ".join(sorted(str(a.reference) for a in elsewhere)), "call": call},
            code="not_in_call",
        )
    moved = [a for a in seen.values() if a.status not in decisions.AWAITING]
    if moved:
        raise RankingRefusal(
            _(
                "Nothing was decided: the ranking is out of date, %(moved)s no longer waits "
                "for a decision. Please reload the ranking."
            )
            % {
                "moved": ", ".join(
                    f"{a.reference} ({a.get_status_display()})"
                    for a in sorted(moved, key=lambda a: a.pk)
                )
            },
            code="stale_ranking",
        )

"""Reads of amendments that depend on the reader: a grant's requests, the staff queue, the
history rows for the application's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amendments import plan, rules
from amendments.models import OPEN_STATES, Amendment, AmendmentStatus
from grants import services as grant_services
from grants.models import Grant, GrantStatus
from workflows import clock
from workflows.errors import WorkflowError
from workflows.models import TransitionLog

# How each step of a request reads in the grantee's history.
TIMELINE_LABELS = {
    "submit": _("Change no. %(number)s requested"),
    "withdraw": _("Request for change no. %(number)s withdrawn"),
    "approve": _("Change no. %(number)s approved"),
    "reject": _("Change no. %(number)s rejected"),
}


def amendments_visible_to(user: Any) -> QuerySet[Amendment]:
    return Amendment.objects.visible_to(user).select_related(
        "grant__application__organisation", "grant__programme"
    )


def amendment_for(user: Any, pk: int) -> Amendment | None:
    """One amendment if `user` may see it, else None (the caller answers 404)."""
    return amendments_visible_to(user).filter(pk=pk).first()


def amendments_of(grant: Grant, user: Any) -> list[Amendment]:
    """The grant's requests `user` may see, newest first."""
    return list(amendments_visible_to(user).filter(grant=grant).order_by("-number"))


def queue_for(user: Any) -> QuerySet[Amendment]:
    """Requests waiting for a decision that `user` sees: the project ending first comes first
    (a request keeps the project from ending until it is decided)."""
    return (
        amendments_visible_to(user)
        .filter(status=AmendmentStatus.SUBMITTED)
        .order_by("grant__project_end", "submitted_at", "id")
    )


def timeline_rows(grant: Grant) -> list[tuple[TransitionLog, Any]]:
    """The audit rows of the grant's requests that the grantee's history shows (drafts have
    none), each with its words."""
    numbers = dict(Amendment.objects.filter(grant=grant).values_list("pk", "number"))
    if not numbers:
        return []
    rows = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Amendment),
        object_id__in=[str(pk) for pk in numbers],
    ).order_by("id")
    return [
        (
            row,
            TIMELINE_LABELS.get(row.transition, row.transition)
            % {"number": numbers[int(row.object_id)]},
        )
        for row in rows
    ]


def open_request(grant: Grant) -> Amendment | None:
    """The grant's request that is a draft or waits for a decision (at most one)."""
    return grant.amendments.filter(status__in=OPEN_STATES).first()


def may_start(grant: Grant, user: Any) -> bool:
    """Whether the grant page offers `user` to ask for a change now: a member of the grantee
    organisation, while the project runs, with no request open."""
    return (
        grant.status == GrantStatus.ACCEPTED
        and rules.may_ask(grant, user)
        and open_request(grant) is None
    )


@dataclass(frozen=True)
class DecisionFigures:
    """What an approval would do now, for the decision page: the rules it breaks, the money it
    moves (or why the amount cannot change now), and what the budget has left."""

    problems: list[str] = field(default_factory=list)
    money: grant_services.MoneyPlan | None = None
    money_problem: str = ""
    budget_left: Decimal = Decimal("0.00")
    payments: list[Any] = field(default_factory=list)


def decision_figures(amendment: Amendment) -> DecisionFigures:
    grant = amendment.grant
    if amendment.status != AmendmentStatus.SUBMITTED:
        return DecisionFigures()
    sent_on = (
        clock.today()
        if amendment.submitted_at is None
        else timezone.localdate(amendment.submitted_at)
    )
    problems = [str(p.message) for p in plan.problems(amendment, grant, on=sent_on)]
    money, money_problem = None, ""
    try:
        money = grant_services.plan_amended_money(grant, amendment.amount)
    except WorkflowError as error:
        money_problem = str(error.message)
    return DecisionFigures(
        problems=problems,
        money=money,
        money_problem=money_problem,
        budget_left=grant_services.budget_left(grant),
        payments=list(grant.payments.order_by("sequence")),
    )

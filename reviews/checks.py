"""The reviewer's work on an application: the formal check (recevabilité) and the assessment.

Each service checks in the order a person expects: who (a reviewer who may work on the task and
holds it; an open task is claimed first), then where the application is (still waiting for this
work), then the input. Nothing is written unless everything passes: the application's transition,
the task's completion and the review row share one transaction. Tasks that follow from the
transition (assessments opened, checks closed) are side effects run after commit
(`reviews.effects`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications import services as application_services
from applications.formal_check import Checklist, clean_checklist
from applications.models import Application
from grants.money import format_eur, parse_amount
from reviews import rules, services
from reviews.models import (
    ACTIVE_TASK_STATES,
    IneligibilityReason,
    Recommendation,
    Review,
    ReviewTask,
    TaskKind,
    TaskStatus,
)
from workflows import clock
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.text import COMMENT_TEXT, LONG_TEXT, clean_text

# The fund's assessment criteria; a programme's rubric names them by code.
CRITERIA: dict[str, Any] = {
    "accessibility": _("accessibility"),
    "reach": _("reach"),
    "franco_german_relevance": _("Franco-German relevance"),
    "partnership_quality": _("quality of the partnership"),
    "networking": _("networking"),
    "intercultural_learning": _("intercultural learning"),
    "diversity": _("diversity"),
    "gender_equity": _("gender equity"),
    "visibility": _("visibility"),
    "innovation": _("innovation"),
    "environment": _("environment"),
}
MIN_POINTS, MAX_POINTS = 0, 10
# Days the applicant has to reply to a request for changes unless the reviewer says otherwise.
# (The limits of the texts and of the reply date are the steps', in `workflows.text`.)
REPLY_DAYS = 14

T = TypeVar("T")
_HUNDREDTH = Decimal("0.01")
_EXACT = Context(prec=40)


class MovedOn(WorkflowError):
    """The task is closed or the application has left the state the task was waiting for."""

    code = "moved_on"
    http_status = 409


def criterion_label(code: str) -> Any:
    """The translated name of a criterion (an unknown code reads as itself)."""
    return CRITERIA.get(code, code.replace("_", " "))


# --- who may, and is it still time? ----------------------------------------------------------------


def _take(task: ReviewTask, *, by: Any, kind: str) -> ReviewTask:
    """The task, locked and held by `by` (an open one is claimed), or a refusal."""
    locked = (
        ReviewTask.objects.select_for_update(of=("self",))
        .select_related("application__organisation", "application__programme")
        .get(pk=task.pk)
    )
    if locked.kind != kind:
        raise WorkflowError(
            _("This task is a %(kind)s, not a %(wanted)s.")
            % {"kind": locked.get_kind_display(), "wanted": TaskKind(kind).label},
            code="wrong_kind",
        )
    if not rules.may_work_on(locked, by):
        raise TransitionForbidden()
    application = locked.application
    if locked.status not in ACTIVE_TASK_STATES:
        why = (
            _("this task has already been completed.")
            if locked.status == TaskStatus.DONE
            else _("this task was closed.")
        )
        raise MovedOn(_("This application has moved on: %(why)s") % {"why": why})
    _field, waiting = services.WAITING_STATE[TaskKind(kind)]
    if application.status != waiting:
        raise MovedOn(
            _("This application has moved on: its status is now “%(status)s”.")
            % {"status": application.get_status_display()}
        )
    if locked.status == TaskStatus.OPEN:
        return services.claim(locked, by=by)
    if locked.assignee_id != by.pk:
        raise TransitionForbidden(_("This task is claimed by someone else."))
    return locked


# --- input ------------------------------------------------------------------------------------------


def _collect(errors: dict[str, list[Any]], clean: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:  # fmt: skip
    """`clean(...)`, or None with its refusal noted beside its field, to report all at once."""
    try:
        return clean(*args, **kwargs)
    except InvalidInput as error:
        errors.setdefault(error.field or NON_FIELD_ERRORS, []).append(error.message)
        return None


@contextmanager
def _beside_fields() -> Iterator[None]:
    """The step's refusal of a value (InvalidInput) as a form error beside that value's field."""
    try:
        yield
    except InvalidInput as error:
        raise ValidationError({error.field or NON_FIELD_ERRORS: [error.message]}) from error


def _raise(errors: dict[str, list[Any]]) -> None:
    if errors:
        raise ValidationError(errors)


# --- the formal check ---------------------------------------------------------------------------


@transaction.atomic
def pass_formal_check(task: ReviewTask, *, by: Any, checklist: Checklist) -> Application:
    """Pass the formal check: application in review, task done; after commit the open formal
    checks close and the assessment tasks open (reviews.effects)."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    with _beside_fields():  # the step refuses a checklist with an item not ticked
        items = clean_checklist(checklist)
        ticked = [code for code, met in items.items() if met]
        application = application_services.pass_formal_check(
            locked.application, by=by, checklist=ticked
        )
    services.complete_task(locked, by=by, outcome="passed", checklist=items)
    return application


@transaction.atomic
def request_changes(
    task: ReviewTask,
    *,
    by: Any,
    checklist: Checklist,
    message: str,
    reply_by: date,
) -> Application:
    """Ask the applicant for changes by a date: application changes_requested, task done; the
    e-mail goes out and the open formal checks close after commit. The resubmission comes back
    to `by` (reviews.services.open_formal_check)."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    with _beside_fields():  # the step judges the message and the reply date
        items = clean_checklist(checklist)
        application = application_services.request_changes(
            locked.application, by=by, message=message, reply_by=reply_by
        )
    services.complete_task(locked, by=by, outcome="changes_requested", checklist=items)
    return application


def ineligibility_text(codes: list[str], text: str, *, language: str) -> str:
    """The reasons as the applicant reads them: each reason's label, then the reviewer's text."""
    with translation.override(language):
        lines = [f"- {capfirst(str(IneligibilityReason(code).label))}" for code in codes]
    return "\n".join(lines) + "\n\n" + text


@transaction.atomic
def reject_as_ineligible(
    task: ReviewTask,
    *,
    by: Any,
    checklist: Checklist,
    reasons: list[str],
    text: str,
) -> Application:
    """Reject the application as ineligible with reason codes and an explanation: application
    rejected, task done (reason codes kept in its checklist); after commit the rejection letter
    goes out and every open task of the application closes."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    language = locked.application.language
    errors: dict[str, list[Any]] = {}
    items = _collect(errors, clean_checklist, checklist)
    codes: list[str] = []
    if isinstance(reasons, list | tuple) and all(isinstance(code, str) for code in reasons):
        codes = list(dict.fromkeys(reasons))
    if not codes or not set(codes) <= set(IneligibilityReason.values):
        errors["reasons"] = [_("Please choose at least one reason from the list.")]
        codes = []
    # The letter's reasons are the labels of the codes, then the text: both within the limit.
    room = LONG_TEXT - len(ineligibility_text(codes, "", language=language))
    required = _("Please explain the reasons to the applicant.")
    explained = _collect(errors, clean_text, text, field="text", max_length=room, required=required)  # fmt: skip
    _raise(errors)
    assert items is not None and explained is not None
    with _beside_fields():
        application = application_services.reject_application(
            locked.application,
            by=by,
            reasons=ineligibility_text(codes, explained, language=language),
        )
    services.complete_task(
        locked, by=by, outcome="ineligible", checklist={**items, "reasons": codes}
    )
    return application


# --- the assessment -----------------------------------------------------------------------------


def rubric_of(application: Application) -> list[tuple[str, Decimal]]:
    """(criterion code, weight) of the application's programme, in the programme's order."""
    programme = application.programme
    rubric = programme.rubric if programme is not None else []
    return [(str(row["code"]), Decimal(str(row["weight"]))) for row in rubric or []]


def weighted_score(scores: Mapping[str, int], rubric: list[tuple[str, Decimal]]) -> Decimal:
    """sum(points x weight) / sum(weights) x 10: 0..100, two decimals, rounded half up."""
    total = sum((_EXACT.multiply(Decimal(scores[code]), weight) for code, weight in rubric), Decimal(0))  # fmt: skip
    weights = sum((weight for _code, weight in rubric), Decimal(0))
    value = _EXACT.divide(_EXACT.multiply(total, Decimal(10)), weights)
    return value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def average_score(values: list[Decimal]) -> Decimal:
    """The mean of the reviews' weighted scores, two decimals, rounded half up."""
    total = sum(values, Decimal(0))
    return _EXACT.divide(total, Decimal(len(values))).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def _scores(
    scores: object, rubric: list[tuple[str, Decimal]], errors: dict[str, list[Any]]
) -> dict[str, int]:
    if not isinstance(scores, Mapping):
        errors["scores"] = [_("Please score every criterion.")]
        return {}
    known = {code for code, _weight in rubric}
    unknown = sorted(str(code) for code in scores if code not in known)
    if unknown:
        errors["scores"] = [
            _("These are not criteria of this programme: %(codes)s.")
            % {"codes": ", ".join(code[:40] for code in unknown[:5])}
        ]
    clean: dict[str, int] = {}
    for code, _weight in rubric:
        field = f"score_{code}"
        value = scores.get(code)
        if value is None or value == "":
            errors[field] = [
                _("Please give “%(criterion)s” a score.") % {"criterion": criterion_label(code)}
            ]
        elif (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not MIN_POINTS <= value <= MAX_POINTS
        ):
            errors[field] = [
                _("Please give “%(criterion)s” a whole number of points from 0 to 10.")
                % {"criterion": criterion_label(code)}
            ]
        else:
            clean[code] = value
    return clean


def _proposed_amount(
    value: object, recommendation: str, requested: Decimal, errors: dict[str, list[Any]]
) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if recommendation == Recommendation.APPROVE_LOWER:
            errors["proposed_amount"] = [_("Please propose the lower amount.")]
        return None
    if isinstance(value, str) and ("\x00" in value or len(value) > 32):
        errors["proposed_amount"] = [_("Please enter an amount in euros, e.g. 1234.56.")]
        return None
    try:
        amount = parse_amount(value, label=_("The proposed amount"))
    except WorkflowError as error:
        errors["proposed_amount"] = [error.message]
        return None
    if amount <= 0:
        errors["proposed_amount"] = [_("The proposed amount must be more than 0.")]
    elif recommendation == Recommendation.APPROVE_LOWER and amount >= requested:
        errors["proposed_amount"] = [
            _("A lower amount must be less than the %(requested)s requested.")
            % {"requested": format_eur(requested)}
        ]
    elif amount > requested:
        errors["proposed_amount"] = [
            _("The proposed amount cannot be more than the %(requested)s requested.")
            % {"requested": format_eur(requested)}
        ]
    return amount


@transaction.atomic
def submit_review(
    task: ReviewTask,
    *,
    by: Any,
    scores: Mapping[str, int],
    recommendation: str,
    proposed_amount: Decimal | str | None = None,
    comment_internal: str = "",
    comment_for_applicant: str = "",
) -> Review:
    """Record the reviewer's assessment against the programme's rubric and close the task; the
    last review required completes the application's review with the average weighted score
    (system transition, same transaction; its side effects close the other assessment tasks)."""
    locked = _take(task, by=by, kind=TaskKind.ASSESSMENT)
    # The application row is the lock that lets two reviewers finishing together count each other.
    application = Application.objects.select_for_update(of=("self",)).select_related("programme").get(pk=locked.application_id)  # fmt: skip
    if Review.objects.filter(application=application, reviewer=by).exists():
        raise WorkflowError(
            _("You have already reviewed this application; each reviewer assesses it once."),
            code="already_reviewed",
        )
    rubric = rubric_of(application)
    if not rubric:
        raise WorkflowError(
            _("The programme of this application has no assessment criteria."), code="no_rubric"
        )
    errors: dict[str, list[Any]] = {}
    clean_scores = _scores(scores, rubric, errors)
    if recommendation not in Recommendation.values:
        errors["recommendation"] = [_("Please choose a recommendation.")]
    amount = _proposed_amount(
        proposed_amount, str(recommendation), application.requested_amount, errors
    )
    internal = _collect(errors, clean_text, comment_internal, field="comment_internal", max_length=COMMENT_TEXT)  # fmt: skip
    for_applicant = _collect(errors, clean_text, comment_for_applicant, field="comment_for_applicant", max_length=COMMENT_TEXT)  # fmt: skip
    _raise(errors)
    assert internal is not None and for_applicant is not None
    review = Review.objects.create(
        task=locked,
        application=application,
        reviewer=by,
        scores=clean_scores,
        weighted_score=weighted_score(clean_scores, rubric),
        recommendation=recommendation,
        proposed_amount=amount,
        comment_internal=internal,
        comment_for_applicant=for_applicant,
        submitted_at=clock.now(),
    )
    services.complete_task(locked, by=by, outcome="reviewed")
    programme = application.programme
    required = max(1, programme.reviews_required if programme is not None else 1)
    submitted = list(
        Review.objects.filter(application=application).values_list("weighted_score", flat=True)
    )
    if len(submitted) >= required:
        application_services.complete_review(application, score=average_score(submitted), by=None)
    return review


def review_status(application: Application) -> tuple[int, int]:
    """(reviews submitted, reviews the programme requires)."""
    programme = application.programme
    required = max(1, programme.reviews_required if programme is not None else 1)
    return Review.objects.filter(application=application).count(), required

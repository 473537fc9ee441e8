"""The reviewer's work on an application: the formal check (recevabilité) and the assessment.

Each service checks in the order a person expects: who (a reviewer who may work on the task and
holds it; an open task is claimed first), then where the application is (still waiting for this
work), then the input. Nothing is written unless everything passes: the application's transition,
the task's completion and the review row share one transaction. Tasks that follow from the
transition (assessments opened, checks closed) are side effects run after commit
(`reviews.effects`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications import services as application_services
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
from workflows.errors import TransitionForbidden, WorkflowError

# What the formal check looks at; every item must be "yes" for the check to pass.
CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("complete", _("Complete: every part filled in, the declarations confirmed and signed")),
    ("applicant", _("Eligible applicant (legal form, country)")),
    ("dates", _("The dates respect the lead time before the project start")),
    ("budget", _("Budget balanced and within the maximum share of eligible costs")),
    ("partners", _("Partners as the programme requires")),
    ("attachments", _("Attachments readable")),
)
CHECKLIST_CODES = tuple(code for code, _label in CHECKLIST)

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
REPLY_DAYS = 14
# A reply deadline further away than this is a typing error.
LONGEST_REPLY_DAYS = 365
# Free text longer than this is refused rather than stored (pasted documents, attacks).
MESSAGE_MAX, COMMENT_MAX = 5000, 10000

_HUNDREDTH = Decimal("0.01")
_EXACT = Context(prec=40)


class MovedOn(WorkflowError):
    """The task is closed or the application has left the state the task was waiting for."""

    code = "moved_on"
    http_status = 409


def criterion_label(code: str) -> Any:
    """The translated name of a criterion (an unknown code reads as itself)."""
    return CRITERIA.get(code, code.replace("_", " "))


def checklist_label(code: str) -> Any:
    return dict(CHECKLIST).get(code, code)


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
        services.claim(locked, by=by)
    elif locked.assignee_id != by.pk:
        raise TransitionForbidden(_("This task is claimed by someone else."))
    locked.status, locked.assignee = TaskStatus.CLAIMED, by
    return locked


# --- input ------------------------------------------------------------------------------------------


def _text(
    value: object,
    *,
    field: str,
    errors: dict[str, list[Any]],
    required: Any = None,
    max_length: int = MESSAGE_MAX,
) -> str:
    """Free text stripped, or an error under `field` (not text, NUL bytes, too long, missing)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(field, []).append(_("Please enter this as text."))
        return ""
    try:
        value.encode("utf-8")
        bad = "\x00" in value
    except UnicodeEncodeError:
        bad = True
    if bad:
        errors.setdefault(field, []).append(
            _("The text contains an invalid character. Please retype it.")
        )
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors.setdefault(field, []).append(
            _("Please keep this under %(count)s characters.") % {"count": max_length}
        )
    elif required is not None and not value:
        errors.setdefault(field, []).append(required)
    return value


def clean_checklist(checklist: Mapping[str, object] | Iterable[str]) -> dict[str, bool]:
    """Every item of the checklist as yes/no; given as {code: bool} or as the codes ticked."""
    if isinstance(checklist, Mapping):
        ticked = {code for code, value in checklist.items() if value is True}
        given = set(checklist)
    elif isinstance(checklist, Iterable) and not isinstance(checklist, str | bytes):
        ticked = given = set(checklist)
    else:
        raise ValidationError({"checklist": _("Please tick the items of the checklist.")})
    if not given <= set(CHECKLIST_CODES):
        raise ValidationError({"checklist": _("Please choose from the items of the checklist.")})
    return {code: code in ticked for code in CHECKLIST_CODES}


def _reply_date(value: object, errors: dict[str, list[Any]]) -> date | None:
    today = clock.today()
    if not isinstance(value, date) or isinstance(value, datetime):
        errors.setdefault("reply_by", []).append(_("Please give the date by which to reply."))
        return None
    if value <= today:
        errors.setdefault("reply_by", []).append(_("The reply deadline must be a future date."))
    elif value > today + timedelta(days=LONGEST_REPLY_DAYS):
        errors.setdefault("reply_by", []).append(
            _("The reply deadline must be within a year from today.")
        )
    return value


def _raise(errors: dict[str, list[Any]]) -> None:
    if errors:
        raise ValidationError(errors)


# --- the formal check ---------------------------------------------------------------------------


@transaction.atomic
def pass_formal_check(
    task: ReviewTask, *, by: Any, checklist: Mapping[str, object] | Iterable[str]
) -> Application:
    """Pass the formal check: application in review, task done; after commit the open formal
    checks close and the assessment tasks open (reviews.effects)."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    items = clean_checklist(checklist)
    missing = [str(capfirst(label)) for code, label in CHECKLIST if not items[code]]
    if missing:
        raise ValidationError(
            {
                "checklist": _(
                    "The formal check passes only when every item is met. Not ticked: %(items)s."
                )
                % {"items": "; ".join(missing)}
            }
        )
    application = application_services.pass_formal_check(locked.application, by=by)
    services.complete_task(locked, by=by, outcome="passed", checklist=items)
    return application


@transaction.atomic
def request_changes(
    task: ReviewTask,
    *,
    by: Any,
    checklist: Mapping[str, object] | Iterable[str],
    message: str,
    reply_by: date,
) -> Application:
    """Ask the applicant for changes by a date: application changes_requested, task done; the
    e-mail goes out and the open formal checks close after commit. The resubmission comes back
    to `by` (reviews.services.open_formal_check)."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    items = clean_checklist(checklist)
    errors: dict[str, list[Any]] = {}
    message = _text(
        message,
        field="message",
        errors=errors,
        required=_("Please tell the applicant what to change or add."),
    )
    deadline = _reply_date(reply_by, errors)
    _raise(errors)
    assert deadline is not None
    application = application_services.request_changes(
        locked.application, by=by, message=message, reply_by=deadline
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
    checklist: Mapping[str, object] | Iterable[str],
    reasons: list[str],
    text: str,
) -> Application:
    """Reject the application as ineligible with reason codes and an explanation: application
    rejected, task done (reason codes kept in its checklist); after commit the rejection letter
    goes out and every open task of the application closes."""
    locked = _take(task, by=by, kind=TaskKind.FORMAL_CHECK)
    items = clean_checklist(checklist)
    errors: dict[str, list[Any]] = {}
    codes: list[str] = []
    if isinstance(reasons, list | tuple) and all(isinstance(code, str) for code in reasons):
        codes = list(dict.fromkeys(reasons))
    if not codes or not set(codes) <= set(IneligibilityReason.values):
        errors["reasons"] = [_("Please choose at least one reason from the list.")]
    text = _text(
        text,
        field="text",
        errors=errors,
        required=_("Please explain the reasons to the applicant."),
    )
    _raise(errors)
    application = application_services.reject_application(
        locked.application,
        by=by,
        reasons=ineligibility_text(codes, text, language=locked.application.language),
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
    internal = _text(comment_internal, field="comment_internal", errors=errors, max_length=COMMENT_MAX)  # fmt: skip
    for_applicant = _text(comment_for_applicant, field="comment_for_applicant", errors=errors, max_length=COMMENT_MAX)  # fmt: skip
    _raise(errors)
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

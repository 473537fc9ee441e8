"""Writes on the applicant side: drafts and the application's transitions (organisations, members
and invitations: `organisations.services`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from applications import budget_rules, rules
from applications.formal_check import Checklist, as_recorded
from applications.models import (
    REQUIRED_DECLARATIONS,
    Application,
    ApplicationStatus,
    BudgetLine,
    Partner,
)
from grants import services as grant_services
from grants.models import Call, Fund, Programme
from organisations.models import Organisation
from workflows import clock, perform
from workflows.engine import starting_step
from workflows.errors import (
    RuleViolation,
    TransitionConflict,
    TransitionForbidden,
    WorkflowError,
)

EDITABLE_STATES = (ApplicationStatus.DRAFT, ApplicationStatus.CHANGES_REQUESTED)
DRAFT_FIELDS = (
    "title",
    "summary",
    "description",
    "themes",
    "project_format",
    "start_date",
    "end_date",
    "places",
    "participants_expected",
    "requested_amount",
    "language",
    "call",
    "declarations",
)


# --- drafts ------------------------------------------------------------------------------------


def _require_editable(application: Application, by: Any) -> None:
    if not rules.is_applicant(application, by):
        raise TransitionForbidden()
    if application.status not in EDITABLE_STATES:
        raise WorkflowError(
            _("This application can no longer be edited (status: %(status)s).")
            % {"status": application.get_status_display()},
            code="not_editable",
        )


@transaction.atomic
def create_draft(
    organisation: Organisation,
    *,
    fund: Fund,
    by: Any,
    budget_lines: list[dict[str, Any]] | None = None,
    partners: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Application:
    """Start a draft for an organisation the user belongs to, optionally with its budget plan."""
    if not organisation.has_member(by):
        raise TransitionForbidden()
    application = Application(fund=fund, organisation=organisation, created_by=by)
    _apply_draft_fields(application, fields)
    _validate_draft(application)
    new_lines = [
        _build(BudgetLine, application, r, position=i) for i, r in enumerate(budget_lines or [])
    ]
    new_partners = [_build(Partner, application, row) for row in partners or []]
    application.save()
    BudgetLine.objects.bulk_create(new_lines)
    Partner.objects.bulk_create(new_partners)
    return application


def _validate_draft(application: Application) -> None:
    # Application.clean() states the end-after-start constraint in words, so the database
    # round trip that validate_constraints would add is not needed.
    application.full_clean(exclude=["status"], validate_constraints=False)


@transaction.atomic
def save_draft(
    application: Application,
    *,
    by: Any,
    budget_lines: list[dict[str, Any]] | None = None,
    partners: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Application:
    """Save what the applicant typed; lines and partners, when given, replace the old ones.

    All values are validated first; on any error nothing is written.
    """
    locked = Application.objects.select_for_update().get(pk=application.pk)
    _require_editable(locked, by)
    _apply_draft_fields(locked, fields)
    _validate_draft(locked)
    new_lines = [
        _build(BudgetLine, locked, row, position=i) for i, row in enumerate(budget_lines or [])
    ]
    new_partners = [_build(Partner, locked, row) for row in partners or []]
    try:
        locked.save()
    except ConcurrentTransition as exc:
        # Submitted (or withdrawn) by another request in the meantime: nothing is written.
        raise TransitionConflict() from exc
    if budget_lines is not None:
        locked.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(new_lines)
    if partners is not None:
        locked.partners.all().delete()
        Partner.objects.bulk_create(new_partners)
    return locked


def _apply_draft_fields(application: Application, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(DRAFT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(names)s") % {"names": ", ".join(sorted(unknown))}
        )
    language = fields.get("language", application.language)
    if language != application.language and application.status != ApplicationStatus.DRAFT:
        raise WorkflowError(
            _("The language of an application can be changed only until it is submitted."),
            code="language_fixed",
        )
    for name, value in fields.items():
        setattr(application, name, value)


def _build(model: type, application: Application, row: dict[str, Any], **extra: Any) -> Any:
    obj = model(application=application, **row, **extra)
    obj.full_clean(exclude=["application"])
    return obj


# --- the rules, applied to a real application ---------------------------------------------------


def programme_ranges(fund: Fund) -> list[tuple[Programme, Decimal, Decimal | None]]:
    programmes = Programme.objects.filter(fund=fund, is_active=True).order_by("category")
    return [(p, p.min_amount, p.max_amount) for p in programmes]


def policy_of(programme: Programme) -> budget_rules.Policy:
    return budget_rules.Policy(
        min_amount=programme.min_amount,
        max_amount=programme.max_amount,
        max_share=programme.max_share,
        lead_time_days=programme.lead_time_days,
        rolling=programme.is_rolling,
        requires_cross_border_partner=programme.requires_cross_border_partner,
    )


def plan_of(application: Application) -> budget_rules.Plan:
    organisation = application.organisation
    return budget_rules.Plan(
        requested=application.requested_amount,
        eligible_expenses=application.eligible_expenses(),
        other_income=application.other_income(),
        start=application.start_date,
        end=application.end_date,
        applicant_country=organisation.country,
        partner_countries=tuple(p.country for p in application.partners.all()),
        informal_group=organisation.is_informal_group,
        group_member_count=len(organisation.named_group_members()),
    )


def check_application(
    application: Application, *, on: date | None = None
) -> tuple[Programme | None, list[budget_rules.Violation]]:
    """The programme the amount falls into, and every rule the application breaks today."""
    on = on or clock.today()
    ranges = programme_ranges(application.fund)
    programme = budget_rules.pick_programme(application.requested_amount, ranges)
    if programme is None:
        money = budget_rules.check_money(application.requested_amount, field="requested_amount")
        return None, money or budget_rules.check_programme(application.requested_amount, ranges)
    call: Call | None = application.call
    window = budget_rules.CallWindow(call.opens_on, call.closes_on) if call else None
    violations = budget_rules.check_plan(
        plan_of(application), policy_of(programme), on=on, call=window
    )
    return programme, violations


# Fields a submitted application must have, with the section of the form they are in.
REQUIRED_CONTENT = (
    ("title", "project", _("Please give the project a title.")),
    ("summary", "project", _("Please summarise the project in a few sentences.")),
    ("description", "project", _("Please describe the project: what, with whom, why.")),
    ("themes", "project", _("Please choose at least one theme.")),
    ("places", "dates", _("Please say where the project takes place.")),
)


def missing_content(application: Application) -> list[budget_rules.Violation]:
    """What the applicant still has to fill in or confirm before submitting."""
    code = budget_rules.RuleCode
    missing = [
        budget_rules.Violation(code.FIELD_MISSING, name, message)
        for name, _section, message in REQUIRED_CONTENT
        if not getattr(application, name)
    ]
    if not any(line.counts_as_eligible_expense for line in application.budget_lines.all()):
        missing.append(
            budget_rules.Violation(
                code.FIELD_MISSING, "budget", _("Please add the expenses of the project.")
            )
        )
    confirmed = set(application.declarations or [])
    if not set(REQUIRED_DECLARATIONS) <= confirmed:
        missing.append(
            budget_rules.Violation(
                code.DECLARATION_MISSING,
                "declarations",
                _("Please confirm the declarations at the end of the form."),
            )
        )
    return missing


def submission_problems(
    application: Application, *, on: date | None = None
) -> tuple[Programme | None, list[budget_rules.Violation]]:
    """Everything that stops a submission today: missing content first, then the fund's rules."""
    programme, violations = check_application(application, on=on)
    return programme, [*missing_content(application), *violations]


def snapshot_of(application: Application) -> dict[str, Any]:
    """The content as submitted, frozen for reviewers and for the record."""
    return {
        "title": application.title,
        "summary": application.summary,
        "description": application.description,
        "themes": application.themes,
        "start_date": application.start_date.isoformat() if application.start_date else None,
        "end_date": application.end_date.isoformat() if application.end_date else None,
        "places": application.places,
        "requested_amount": str(application.requested_amount),
        "organisation": {
            "name": application.organisation.name,
            "country": application.organisation.country,
        },
        "budget_lines": [
            {
                "side": line.side,
                "category": line.category,
                "purpose": line.purpose,
                "quantity": str(line.quantity),
                "unit_cost": str(line.unit_cost),
                "eligible": line.eligible,
            }
            for line in application.budget_lines.all()
        ],
        "partners": [
            {"name": p.name, "country": p.country, "city": p.city}
            for p in application.partners.all()
        ],
    }


def _lock_and_check(
    application: Application, by: Any, transition: str
) -> tuple[Application, Programme]:
    """Lock, then refuse in the order a person expects: who, then status, then the rules."""
    locked = (
        Application.objects.select_related("organisation", "call")
        .prefetch_related("budget_lines", "partners")
        .select_for_update(of=("self",))
        .get(pk=application.pk)
    )
    if not rules.is_applicant(locked, by):
        raise TransitionForbidden()
    starting_step(locked, transition)
    programme, violations = submission_problems(locked)
    if violations or programme is None:
        raise RuleViolation(violations)
    if locked.programme_id != programme.pk:
        Application.objects.filter(pk=locked.pk).update(programme=programme)
    return locked, programme


# --- the application's transitions: one service each -------------------------------------------


@transaction.atomic
def submit_application(application: Application, *, by: Any, note: str = "") -> Application:
    """Check every rule, assign the reference, freeze the content, submit."""
    locked, _programme = _lock_and_check(application, by, "submit")
    reference = grant_services.next_reference(locked.fund, clock.today().year)
    submitted = perform(locked, "submit", by=by, note=note, reference=reference)
    Application.objects.filter(pk=submitted.pk).update(submitted_content=snapshot_of(locked))
    return submitted


@transaction.atomic
def resubmit_application(application: Application, *, by: Any, note: str = "") -> Application:
    """After changes were requested: same rules as the first submission; content frozen again."""
    locked, _programme = _lock_and_check(application, by, "resubmit")
    resubmitted = perform(locked, "resubmit", by=by, note=note)
    Application.objects.filter(pk=resubmitted.pk).update(submitted_content=snapshot_of(locked))
    return resubmitted


def request_changes(
    application: Application, *, by: Any, message: str, reply_by: date, note: str = ""
) -> Application:
    return perform(
        application, "request_changes", by=by, note=note, message=message, reply_by=reply_by
    )


def pass_formal_check(
    application: Application, *, by: Any, checklist: Checklist, note: str = ""
) -> Application:
    """Into review, every item of the checklist ticked (the audit row keeps it); the side effects
    registered for the step (the assessment tasks) run after commit."""
    ticked = as_recorded(checklist)
    return perform(application, "pass_formal_check", by=by, note=note, checklist=ticked)


def reject_application(
    application: Application, *, by: Any, reasons: str, note: str = ""
) -> Application:
    return perform(application, "reject", by=by, note=note, reasons=reasons)


def complete_review(
    application: Application, *, score: Decimal, by: Any = None, note: str = ""
) -> Application:
    """System: all required reviews are in; records the weighted score."""
    return perform(application, "complete_review", by=by, note=note, score=score)


# Rules a higher app adds to every approval (reviews: the programme's minimum score), so that the
# decision page, the admin and the API refuse alike. Each raises a WorkflowError.
APPROVAL_CHECKS: list[Callable[[Application], None]] = []


def add_approval_check(check: Callable[[Application], None]) -> None:
    if check not in APPROVAL_CHECKS:
        APPROVAL_CHECKS.append(check)


@transaction.atomic
def approve_application(
    application: Application, *, by: Any, amount: Decimal, conditions: str = "", note: str = ""
) -> Application:
    """Approve within budget: commits the amount under a row lock and offers the grant."""
    for check in APPROVAL_CHECKS:
        check(application)
    approved = perform(
        application, "approve", by=by, note=note, amount=amount, conditions=conditions
    )
    programme = approved.programme
    if programme is None:
        raise WorkflowError(_("The application has no programme."), code="no_programme")
    grant_services.offer_grant(
        approved,
        programme=programme,
        amount=approved.awarded_amount,
        conditions=approved.decision_note,  # cleaned by the transition
        by=by,
    )
    return approved


def waitlist_application(
    application: Application, *, by: Any, reason: str = "", note: str = ""
) -> Application:
    return perform(application, "waitlist", by=by, note=note, reason=reason)


def reopen_application(application: Application, *, by: Any = None, note: str = "") -> Application:
    return perform(application, "reopen", by=by, note=note)


def withdraw_application(
    application: Application, *, by: Any, reason: str = "", note: str = ""
) -> Application:
    return perform(application, "withdraw", by=by, note=note, reason=reason)


def expire_application(application: Application, *, by: Any = None, note: str = "") -> Application:
    return perform(application, "expire", by=by, note=note)

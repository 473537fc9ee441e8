"""Bad input gets a clear error and changes nothing.

Every refusal here is checked twice: the error carries a readable message (a sentence, no
unformatted placeholders, no internal names), and the database is exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from applications import services
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus, BudgetLine
from applications.transitions import run_application_transition
from demo import builders as demo
from grants import services as grant_services
from grants.transitions import run_grant_transition
from organisations import services as organisation_services
from tests.support import assert_readable, unchanged
from workflows import clock, perform
from workflows.errors import (
    RuleViolation,
    TransitionNotAllowed,
    UnknownTransition,
    WorkflowError,
)
from workflows.models import TransitionLog

NUL_TEXT = "a\x00b"

# --- helpers -----------------------------------------------------------------------------------


def messages_of(error: ValidationError, field: str) -> list[str]:
    assert field in error.message_dict, f"{field!r} not in {error.message_dict}"
    messages = error.message_dict[field]
    for message in messages:
        assert_readable(message)
    return messages


def not_refused(
    obj: models.Model,
    cases: list[Any],
    attempt: Callable[[Any], object],
    expected: type[Exception] | tuple[type[Exception], ...],
    codes: set[str] | None = None,
) -> list[str]:
    """Try every case on `obj`; list those not refused cleanly (right error, nothing changed)."""
    wrong = []
    for case in cases:
        try:
            with unchanged(obj):
                attempt(case)
        except expected as exc:
            if codes is not None and getattr(exc, "code", None) not in codes:
                wrong.append(f"{case!r}: code {exc.code!r}")
            else:
                assert_readable(getattr(exc, "message", exc))
            continue
        except Exception as exc:
            wrong.append(f"{case!r}: {type(exc).__name__}: {exc}")
            continue
        wrong.append(f"{case!r}: accepted")
    return wrong


# --- organisation: bank details -----------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # wrong check digits
        "DE8937040044053201300",  # one digit short
        "XX89370400440532013000",  # no such country
        "not an iban",
        "DE89 3704 0044 0532 0130 00 99",
    ],
)
def test_invalid_iban_is_refused_with_a_readable_message(cast, iban):
    organisation = cast.organisation

    with unchanged(organisation), pytest.raises(ValidationError) as refused:
        organisation_services.update_organisation(organisation, by=cast.applicant, iban=iban)

    assert "IBAN" in " ".join(messages_of(refused.value, "iban"))


@pytest.mark.parametrize("bic", ["COBADEFF1", "XYZ", "COBA12FFXXX", "COBA DE FF XXX X"])
def test_invalid_bic_is_refused_with_a_readable_message(cast, bic):
    organisation = cast.organisation

    with unchanged(organisation), pytest.raises(ValidationError) as refused:
        organisation_services.update_organisation(organisation, by=cast.applicant, bic=bic)

    assert "BIC" in " ".join(messages_of(refused.value, "bic"))


def test_valid_iban_with_spaces_is_stored_normalised(cast):
    organisation_services.update_organisation(
        cast.organisation, by=cast.applicant, iban="fr14 2004 1010 0505 0001 3m02 606"
    )

    cast.organisation.refresh_from_db()
    assert cast.organisation.iban == "FR1420041010050500013M02606"


def test_nul_byte_in_organisation_name_is_refused(cast):
    with unchanged(cast.organisation), pytest.raises(ValidationError) as refused:
        organisation_services.update_organisation(
            cast.organisation, by=cast.applicant, name=NUL_TEXT
        )

    messages_of(refused.value, "name")


# --- drafts: amounts, dates, text ---------------------------------------------------------------

BAD_AMOUNTS = [
    pytest.param(Decimal("-1.00"), id="negative"),
    pytest.param(Decimal("-0.01"), id="minus-one-cent"),
    pytest.param(Decimal("10.123"), id="three-decimals"),
    pytest.param(10**13, id="absurdly-large"),
    pytest.param(Decimal("1E+20"), id="exponent"),
    pytest.param(Decimal("NaN"), id="nan"),
    pytest.param(Decimal("Infinity"), id="infinity"),
    pytest.param("viertausend", id="not-a-number"),
]


def draft_and_lines(draft: Application) -> tuple[Application, list[dict[str, Any]]]:
    lines = list(BudgetLine.objects.filter(application=draft).order_by("pk").values())
    assert len(lines) == 2
    return draft, lines


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_requested_amount_is_refused_and_the_draft_is_unchanged(cast, draft, amount):
    _draft, lines = draft_and_lines(draft)

    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, title="Neuer Titel", requested_amount=amount)

    messages_of(refused.value, "requested_amount")
    assert list(BudgetLine.objects.filter(application=draft).order_by("pk").values()) == lines
    assert draft.title != "Neuer Titel"


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_unit_cost_is_refused_and_the_old_budget_lines_stay(cast, draft, amount):
    _draft, lines = draft_and_lines(draft)
    new_lines = [
        {"side": "expense", "category": "stay", "purpose": "Unterkunft", "unit_cost": "100.00"},
        {"side": "expense", "category": "travel", "purpose": "Bus", "unit_cost": amount},
    ]

    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, budget_lines=new_lines)

    messages_of(refused.value, "unit_cost")
    assert list(BudgetLine.objects.filter(application=draft).order_by("pk").values()) == lines


@pytest.mark.parametrize(
    "quantity", [Decimal("0"), Decimal("-2"), Decimal("1.005"), 10**10], ids=str
)
def test_bad_quantity_is_refused_and_the_old_budget_lines_stay(cast, draft, quantity):
    line = {"side": "expense", "category": "travel", "purpose": "Bus", "quantity": quantity}

    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, budget_lines=[{**line, "unit_cost": 1}])

    messages_of(refused.value, "quantity")


def test_income_category_on_the_expense_side_is_refused(cast, draft):
    line = {"side": "expense", "category": "own_funds", "purpose": "x", "unit_cost": 1}

    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, budget_lines=[line])

    messages_of(refused.value, "category")


def test_unknown_draft_field_is_refused(cast, draft):
    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, status="approved", awarded_amount=10**6)

    assert_readable(refused.value.messages[0])
    assert "status" in refused.value.messages[0]


def test_end_before_start_is_refused_and_changes_nothing(cast, draft):
    start = draft.start_date

    with unchanged(draft), pytest.raises((ValidationError, RuleViolation)):
        services.save_draft(draft, by=cast.applicant, end_date=start - timedelta(days=1))


def test_end_before_start_is_explained_in_words_on_the_end_date(cast, draft):
    start = draft.start_date

    with pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, end_date=start - timedelta(days=1))

    messages = messages_of(refused.value, "end_date")
    assert not any("application_end_after_start" in m for m in messages)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", NUL_TEXT),
        ("summary", NUL_TEXT),
        ("description", NUL_TEXT),
        ("places", NUL_TEXT),
        ("project_format", NUL_TEXT),
    ],
)
def test_nul_byte_in_draft_text_is_refused_and_nothing_stored(cast, draft, field, value):
    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, **{field: value})

    messages_of(refused.value, field)


@pytest.mark.parametrize(
    ("kind", "row"),
    [
        (
            "budget_lines",
            {"side": "expense", "category": "travel", "purpose": NUL_TEXT, "unit_cost": 1},
        ),
        ("partners", {"name": NUL_TEXT, "country": "FR", "city": "Lyon"}),
    ],
)
def test_nul_byte_in_budget_line_or_partner_is_refused(cast, draft, kind, row):
    with unchanged(draft), pytest.raises(ValidationError) as refused:
        services.save_draft(draft, by=cast.applicant, **{kind: [row]})

    messages_of(refused.value, "purpose" if kind == "budget_lines" else "name")


# --- submission rules ---------------------------------------------------------------------------


def test_unbalanced_budget_blocks_submit_and_consumes_no_reference(cast, draft):
    services.save_draft(
        draft,
        by=cast.applicant,
        budget_lines=[
            {"side": "expense", "category": "travel", "purpose": "Bus", "unit_cost": "5000.00"},
            {"side": "income", "category": "own_funds", "purpose": "Eigen", "unit_cost": "500.00"},
        ],
    )

    with unchanged(draft), pytest.raises(RuleViolation) as refused:
        services.submit_application(draft, by=cast.applicant)

    violations = refused.value.violations
    assert "budget_not_balanced" in [v.code for v in violations]
    for violation in violations:
        assert_readable(violation.message)
    assert_readable(refused.value.message)
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.reference is None
    assert not TransitionLog.objects.for_object(draft).exists()

    services.save_draft(draft, by=cast.applicant, budget_lines=demo.budget_for(Decimal("4000")))
    submitted = services.submit_application(draft, by=cast.applicant)
    assert submitted.reference == f"BF-{clock.today().year}-00001"


def test_missing_end_date_blocks_submit(cast, draft):
    services.save_draft(draft, by=cast.applicant, end_date=None)

    with unchanged(draft), pytest.raises(RuleViolation) as refused:
        services.submit_application(draft, by=cast.applicant)

    assert [v.code for v in refused.value.violations] == ["dates_missing"]
    assert_readable(refused.value.message)


# --- unknown transitions, wrong states ----------------------------------------------------------

UNKNOWN_NAMES = [
    "fly",
    "__init__",
    "_secret",
    42,
    "delete",
    "save",
    "refresh_from_db",
    "",
    None,
    "SUBMIT",
    "submit ",
    "submit\x00",
]


def test_unknown_transition_via_perform_is_refused(cast, draft):
    def attempt(name: Any) -> object:
        return perform(draft, name, by=cast.applicant)

    assert not not_refused(draft, UNKNOWN_NAMES, attempt, UnknownTransition)


def test_unknown_transition_via_the_application_service_is_refused(cast, draft):
    def attempt(name: Any) -> object:
        return run_application_transition(draft, name, by=cast.applicant)

    assert not not_refused(draft, UNKNOWN_NAMES, attempt, UnknownTransition)


def test_unknown_transition_via_the_grant_service_is_refused(cast):
    grant = demo.drive(cast, "approved", "offered").grant

    def attempt(name: Any) -> object:
        return run_grant_transition(grant, name, by=cast.applicant)

    names = [*UNKNOWN_NAMES, "submit", "approve"]
    assert not not_refused(grant, names, attempt, UnknownTransition)


def test_unknown_transition_of_the_other_machine_is_refused_by_perform(cast, draft):
    with unchanged(draft), pytest.raises(UnknownTransition):
        perform(draft, "accept_report", by=None)


def test_transition_from_wrong_state_is_refused_with_a_message(cast, draft):
    with unchanged(draft), pytest.raises(TransitionNotAllowed) as refused:
        services.pass_formal_check(draft, by=cast.reviewer, checklist=CHECKLIST_CODES)
    assert_readable(refused.value.message)
    assert str(ApplicationStatus.DRAFT.label) in str(refused.value.message)

    with unchanged(draft), pytest.raises(TransitionNotAllowed) as refused:
        perform(draft, "approve", by=cast.manager, amount=Decimal("1"))
    assert_readable(refused.value.message)


def test_unexpected_data_for_a_transition_is_refused(cast):
    app = demo.drive(cast, "submitted")

    with unchanged(app), pytest.raises(WorkflowError) as refused:
        perform(app, "pass_formal_check", by=cast.reviewer, status="approved")

    assert refused.value.code == "bad_data"
    assert_readable(refused.value.message)


# --- text with NUL bytes in transitions ---------------------------------------------------------


def test_nul_byte_in_a_perform_note_is_refused(cast):
    app = demo.drive(cast, "submitted")

    with unchanged(app), pytest.raises(WorkflowError) as refused:
        perform(app, "pass_formal_check", by=cast.reviewer, note=NUL_TEXT)

    assert refused.value.code == "invalid_text"
    assert_readable(refused.value.message)


def application_text_cases() -> list[Any]:
    reply_by = timedelta(days=14)
    return [
        pytest.param("submitted", "reject", "reviewer", {"reasons": NUL_TEXT}),
        pytest.param(
            "submitted",
            "request_changes",
            "reviewer",
            {"message": NUL_TEXT, "reply_by": reply_by},
        ),
        pytest.param("submitted", "withdraw", "applicant", {"reason": NUL_TEXT}),
        pytest.param("reviewed", "waitlist", "manager", {"reason": NUL_TEXT}),
        pytest.param(
            "reviewed",
            "approve",
            "manager",
            {"amount": Decimal("4000.00"), "conditions": NUL_TEXT},
        ),
    ]


@pytest.mark.parametrize(("state", "name", "role", "data"), application_text_cases())
def test_nul_byte_in_application_transition_text_is_refused(cast, state, name, role, data):
    app = demo.drive(cast, state)
    if "reply_by" in data:
        data = {**data, "reply_by": clock.today() + data["reply_by"]}

    with unchanged(app), pytest.raises((WorkflowError, ValidationError)) as refused:
        run_application_transition(app, name, by=getattr(cast, role), **data)

    assert_readable(getattr(refused.value, "message", refused.value))


def grant_text_cases() -> list[Any]:
    return [
        pytest.param("offered", "accept", "applicant", {"full_name": NUL_TEXT, "consent": True}),
        pytest.param("offered", "decline", "applicant", {"reason": NUL_TEXT}),
        pytest.param("accepted", "cancel", "manager", {"reason": NUL_TEXT}),
        pytest.param("report_due", "revoke", "manager", {"reason": NUL_TEXT}),
        pytest.param(
            "report_submitted",
            "request_report_changes",
            "reviewer",
            {"message": NUL_TEXT, "reply_by": timedelta(days=14)},
        ),
    ]


@pytest.mark.parametrize(("state", "name", "role", "data"), grant_text_cases())
def test_nul_byte_in_grant_transition_text_is_refused(cast, state, name, role, data):
    grant = demo.drive(cast, "approved", state).grant
    day = grant.report_due_on + timedelta(days=1) if name == "revoke" else clock.today()
    with clock.travel_to(day):
        if "reply_by" in data:
            data = {**data, "reply_by": clock.today() + data["reply_by"]}
        with unchanged(grant), pytest.raises(WorkflowError) as refused:
            run_grant_transition(grant, name, by=getattr(cast, role), **data)

    assert refused.value.code == "invalid_text"
    assert_readable(refused.value.message)


# --- figures in transitions ---------------------------------------------------------------------

BAD_FIGURES = [
    "-1.00",
    Decimal("-0.01"),
    "100.005",
    Decimal("100.005"),
    10**13,
    "NaN",
    "-Infinity",
    "fünftausend",
    None,
]


@pytest.mark.parametrize(
    "figure", ["actual_expenses", "actual_eligible_expenses", "actual_other_income"]
)
def test_submit_report_with_bad_figures_is_refused(cast, figure):
    grant = demo.drive(cast, "approved", "report_due").grant

    def attempt(value: Any) -> object:
        figures = {
            "actual_expenses": Decimal("5000.00"),
            "actual_eligible_expenses": Decimal("5000.00"),
            "actual_other_income": Decimal("1000.00"),
            figure: value,
        }
        return grant_services.submit_report_figures(grant, by=cast.applicant, **figures)

    assert not not_refused(grant, BAD_FIGURES, attempt, WorkflowError, {"invalid_amount"})


def test_submit_report_with_more_eligible_than_total_expenses_is_refused(cast):
    grant = demo.drive(cast, "approved", "report_due").grant

    with unchanged(grant), pytest.raises(WorkflowError) as refused:
        grant_services.submit_report_figures(
            grant,
            by=cast.applicant,
            actual_expenses=Decimal("4000.00"),
            actual_eligible_expenses=Decimal("5000.00"),
            actual_other_income=Decimal("0.00"),
        )

    assert refused.value.code == "eligible_too_high"
    assert_readable(refused.value.message)


def test_approve_with_a_bad_amount_is_refused(cast):
    app = demo.drive(cast, "reviewed")
    amounts = ["4000.001", "-5", "NaN", "Infinity", "viertausend", None, 10**13, "4.000,00"]

    def attempt(amount: Any) -> object:
        return services.approve_application(app, by=cast.manager, amount=amount)

    assert not not_refused(app, amounts, attempt, WorkflowError)


def test_complete_review_with_a_bad_score_is_refused(cast):
    app = demo.drive(cast, "in_review")
    scores = [Decimal("-0.01"), 101, "NaN", "Infinity", "sehr gut", None]

    def attempt(score: Any) -> object:
        return services.complete_review(app, score=score)

    assert not not_refused(app, scores, attempt, WorkflowError, {"bad_score"})


@pytest.mark.parametrize(
    ("message", "days"),
    [("", 14), ("   ", 14), ("Bitte ergänzen.", 0), ("Bitte ergänzen.", -1)],
)
def test_request_changes_without_message_or_future_deadline_is_refused(cast, message, days):
    app = demo.drive(cast, "submitted")

    with unchanged(app), pytest.raises(WorkflowError) as refused:
        services.request_changes(
            app, by=cast.reviewer, message=message, reply_by=clock.today() + timedelta(days)
        )

    assert refused.value.code in {"message_missing", "bad_deadline"}
    assert_readable(refused.value.message)


def test_request_changes_with_a_deadline_that_is_not_a_date_is_refused(cast):
    app = demo.drive(cast, "submitted")

    with unchanged(app), pytest.raises(WorkflowError) as refused:
        services.request_changes(app, by=cast.reviewer, message="Bitte.", reply_by="morgen")

    assert refused.value.code == "bad_deadline"


@pytest.mark.parametrize(
    "days",
    [
        pytest.param(0, id="today"),
        pytest.param(-1, id="yesterday"),
    ],
)
def test_request_report_changes_needs_a_future_deadline(cast, days):
    grant = demo.drive(cast, "approved", "report_submitted").grant

    with unchanged(grant), pytest.raises(WorkflowError) as refused:
        grant_services.request_report_changes(
            grant, by=cast.reviewer, message="Belege?", reply_by=clock.today() + timedelta(days)
        )

    assert refused.value.code == "bad_deadline"
    assert_readable(refused.value.message)

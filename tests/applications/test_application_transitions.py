"""The application state machine, generated from its own transition table, and its stories.

Every (source, transition, target) row of `Application` is tried from its source by the allowed
role (it succeeds and logs once), from every other state (refused, nothing changed) and by every
other role (refused, nothing changed). Objects reach their states through `demo.drive`, i.e. the
real services with a travelling clock.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from applications import services
from applications.formal_check import CHANGES_MESSAGE_MISSING, CHECKLIST_CODES
from applications.models import Application, ApplicationStatus
from applications.transitions import run_application_transition
from demo import builders as demo
from grants.models import (
    BudgetAllocation,
    Grant,
    GrantStatus,
    LedgerKind,
    ReferenceCounter,
)
from tests.support import assert_readable, everyone, unchanged
from workflows import clock
from workflows.engine import transition_table
from workflows.errors import (
    InvalidInput,
    RuleViolation,
    TransitionForbidden,
    TransitionNotAllowed,
    WorkflowError,
)
from workflows.models import TransitionLog
from workflows.roles import Role
from workflows.text import LONG_TEXT, LONGEST_REPLY_DAYS

TABLE = transition_table(Application)
NAMES = sorted({name for _source, name, _target in TABLE})
STATES = list(ApplicationStatus.values)
ROLES = (
    "applicant",
    "other_applicant",
    "reviewer",
    "manager",
    "finance",
    "funder",
    "admin",
    "anonymous",
    "system",
)

# Who may run each transition, per the table in design.md. `reject` depends on the source.
ALLOWED: dict[str, dict[str, set[str]] | set[str]] = {
    "submit": {"applicant"},
    "request_changes": {"reviewer"},
    "resubmit": {"applicant"},
    "pass_formal_check": {"reviewer"},
    "reject": {"submitted": {"reviewer"}, "in_review": {"manager"}, "reviewed": {"manager"}},
    "complete_review": {"system"},
    "approve": {"manager"},
    "waitlist": {"manager"},
    "reopen": {"manager", "system"},
    "withdraw": {"applicant"},
    "expire": {"system"},
}

# Valid data for each transition, computed on the (travelled) clock at the time of the call.
DATA: dict[str, Callable[[Application], dict[str, Any]]] = {
    "submit": lambda app: {},
    "request_changes": lambda app: {
        "message": "Bitte den Eigenanteil erläutern.",
        "reply_by": clock.today() + timedelta(days=14),
    },
    "resubmit": lambda app: {},
    "pass_formal_check": lambda app: {"checklist": list(CHECKLIST_CODES)},
    "reject": lambda app: {"reasons": "Nicht förderfähig / non éligible."},
    "complete_review": lambda app: {"score": Decimal("72.50")},
    "approve": lambda app: {"amount": app.requested_amount},
    "waitlist": lambda app: {"reason": "Budget ausgeschöpft"},
    "reopen": lambda app: {},
    "withdraw": lambda app: {"reason": "Projekt verschoben"},
    "expire": lambda app: {},
}


def travel_day(app: Application, name: str) -> date | None:
    """Time-guarded transitions run on a day past their deadline (project start > reply date)."""
    if name == "expire" and app.start_date is not None:
        return app.start_date + timedelta(days=1)
    return None


def allowed_roles(source: str, name: str) -> set[str]:
    roles = ALLOWED[name]
    return roles[source] if isinstance(roles, dict) else roles


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def actors(cast: demo.Cast, other_applicant: Any) -> dict[str, Any]:
    return everyone(cast, other_applicant)


def run(app: Application, name: str, actor: Any) -> Application:
    """Call the transition's service with valid data, on a day its time guard allows."""
    day = travel_day(app, name)
    with clock.travel_to(day) if day else nullcontext():
        return run_application_transition(app, name, by=actor, **DATA[name](app))


# --- the generated matrix ----------------------------------------------------------------------


def test_every_transition_of_the_table_has_roles_and_data():
    assert set(ALLOWED) == set(NAMES) == set(DATA)
    for source, name, target in TABLE:
        assert source in STATES and target in STATES
        assert allowed_roles(source, name) <= set(ROLES)


SUCCESS_CASES = [
    pytest.param(source, name, target, role, id=f"{name}-from-{source}-by-{role}")
    for source, name, target in TABLE
    for role in sorted(allowed_roles(source, name))
]


@pytest.mark.parametrize(("source", "name", "target", "role"), SUCCESS_CASES)
def test_transition_succeeds_from_its_source_by_the_allowed_role(
    cast, actors, source, name, target, role
):
    app = demo.drive(cast, source)
    before = TransitionLog.objects.for_object(app).count()

    run(app, name, actors[role])

    app.refresh_from_db()
    assert app.status == target
    rows = TransitionLog.objects.for_object(app)
    assert rows.count() == before + 1
    row = rows.last()
    assert (row.transition, row.source, row.target) == (name, source, target)
    assert row.actor_id == getattr(actors[role], "pk", None)


# Submitting from a state without submit is also proven by its own test below.
KNOWN_WRONG_STATE_BUGS = {("submit", "expired"), ("resubmit", "expired")}


def sources_of(name: str) -> list[str]:
    return sorted(source for source, n, _target in TABLE if n == name)


@pytest.mark.parametrize("state", STATES)
def test_every_transition_not_starting_here_is_refused_and_changes_nothing(cast, actors, state):
    app = demo.drive(cast, state)
    names = [
        n for n in NAMES if state not in sources_of(n) and (n, state) not in KNOWN_WRONG_STATE_BUGS
    ]
    not_refused = []
    for name in names:
        actor = actors[sorted(allowed_roles(sources_of(name)[0], name))[0]]
        try:
            with unchanged(app):
                run(app, name, actor)
        except TransitionNotAllowed as exc:
            assert_readable(exc.message)
            continue
        except Exception as exc:
            not_refused.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        not_refused.append(f"{name}: allowed")
    assert not not_refused, f"from {state}, not refused as not allowed: {not_refused}"


@pytest.mark.parametrize(("name", "state"), sorted(KNOWN_WRONG_STATE_BUGS))
def test_submitting_from_a_state_without_submit_says_so_and_not_which_rule_fails(cast, name, state):
    app = demo.drive(cast, state)

    with unchanged(app), pytest.raises(TransitionNotAllowed) as refused:
        run(app, name, cast.applicant)

    assert_readable(refused.value.message)


ROLE_CASES = [
    pytest.param(source, name, id=f"{name}-from-{source}")
    for source, name, _target in TABLE
    if set(ROLES) - allowed_roles(source, name)
]


@pytest.mark.parametrize(("source", "name"), ROLE_CASES)
def test_transition_is_refused_to_every_other_role_and_changes_nothing(cast, actors, source, name):
    app = demo.drive(cast, source)
    not_refused = []
    for role in sorted(set(ROLES) - allowed_roles(source, name)):
        try:
            with unchanged(app):
                run(app, name, actors[role])
        except TransitionForbidden as exc:
            assert_readable(exc.message)
            continue
        except Exception as exc:
            not_refused.append(f"{role}: {type(exc).__name__}: {exc}")
            continue
        not_refused.append(f"{role}: allowed")
    assert not not_refused, f"{name} from {source} not forbidden to: {not_refused}"


# --- four eyes ----------------------------------------------------------------------------------


@pytest.fixture
def reviewing_manager(db: Any) -> Any:
    """A user with both roles: reviewer and programme manager."""
    return demo.make_user("reviewer-manager", Role.REVIEWER, Role.MANAGER)


def test_manager_who_did_the_formal_check_may_not_approve_it(cast, reviewing_manager):
    app = demo.drive(cast, "submitted")
    services.pass_formal_check(app, by=reviewing_manager, checklist=CHECKLIST_CODES)
    services.complete_review(app, score=Decimal("80"))

    with unchanged(app), pytest.raises(TransitionForbidden):
        services.approve_application(app, by=reviewing_manager, amount=Decimal("4000.00"))
    with unchanged(app), pytest.raises(TransitionForbidden):
        services.waitlist_application(app, by=reviewing_manager)

    services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))
    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED
    assert app.decided_by == cast.manager


def test_manager_who_did_the_formal_check_may_not_reject_on_content(cast, reviewing_manager):
    app = demo.drive(cast, "submitted")
    services.pass_formal_check(app, by=reviewing_manager, checklist=CHECKLIST_CODES)

    with unchanged(app), pytest.raises(TransitionForbidden):
        services.reject_application(app, by=reviewing_manager, reasons="Zu teuer.")


def test_manager_who_requested_changes_may_not_approve_it(cast, reviewing_manager):
    app = demo.drive(cast, "submitted")
    services.request_changes(
        app, by=reviewing_manager, message="Bitte ergänzen.", reply_by=clock.today() + timedelta(7)
    )
    services.resubmit_application(app, by=cast.applicant)
    services.pass_formal_check(app, by=cast.reviewer, checklist=CHECKLIST_CODES)
    services.complete_review(app, score=Decimal("80"))

    with unchanged(app), pytest.raises(TransitionForbidden):
        services.approve_application(app, by=reviewing_manager, amount=Decimal("4000.00"))


# --- approval and the budget -------------------------------------------------------------------


def allocation_of(app: Application) -> BudgetAllocation:
    return BudgetAllocation.objects.get(programme=app.programme, year=clock.today().year)


def test_approve_commits_the_awarded_amount_and_offers_the_grant(cast):
    app = demo.drive(cast, "reviewed")
    allocation = allocation_of(app)
    committed_before = allocation.balances()["committed"]

    services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))

    app.refresh_from_db()
    grant = Grant.objects.get(application=app)
    assert app.status == ApplicationStatus.APPROVED
    assert app.awarded_amount == Decimal("4000.00")
    assert grant.status == GrantStatus.OFFERED
    assert grant.amount_awarded == Decimal("4000.00")
    assert grant.allocation == allocation
    assert grant.offer_expires_on == clock.today() + timedelta(
        days=grant.programme.offer_acceptance_days
    )
    entries = list(grant.ledger_entries.values_list("kind", "amount"))
    assert entries == [(LedgerKind.COMMIT, Decimal("4000.00"))]
    assert allocation.balances()["committed"] == committed_before + Decimal("4000.00")


def test_approve_a_lower_amount_than_requested_commits_only_that(cast):
    app = demo.drive(cast, "reviewed")

    services.approve_application(app, by=cast.manager, amount=Decimal("2500.50"))

    app.refresh_from_db()
    assert app.requested_amount == Decimal("4000.00")
    assert app.awarded_amount == Decimal("2500.50")
    assert app.grant.amount_awarded == Decimal("2500.50")
    assert list(app.grant.ledger_entries.values_list("kind", "amount")) == [
        (LedgerKind.COMMIT, Decimal("2500.50"))
    ]


@pytest.mark.parametrize("amount", [Decimal("4000.01"), Decimal("0"), Decimal("-1")])
def test_approving_outside_zero_to_requested_is_refused_with_a_message(cast, amount):
    app = demo.drive(cast, "reviewed")

    # Messages are put together in the language active when the refusal happens (the request's).
    with unchanged(app), pytest.raises(WorkflowError) as refused, translation.override("en"):
        services.approve_application(app, by=cast.manager, amount=amount)

    assert_readable(refused.value.message)
    if amount > 0:
        assert "4,000.00 EUR" in str(refused.value.message)


def test_approval_beyond_the_remaining_budget_is_refused_naming_what_is_left(cast):
    app = demo.drive(cast, "reviewed")
    BudgetAllocation.objects.filter(pk=allocation_of(app).pk).update(amount=Decimal("1500.00"))

    with unchanged(app), pytest.raises(RuleViolation) as refused, translation.override("en"):
        services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))

    message = str(refused.value.message)
    assert_readable(message)
    assert "1,500.00 EUR" in message
    assert "4,000.00 EUR" in message
    assert not Grant.objects.filter(application=app).exists()
    assert app.status == ApplicationStatus.REVIEWED


def test_approval_that_fits_the_remaining_budget_exactly_is_accepted(cast):
    app = demo.drive(cast, "reviewed")
    BudgetAllocation.objects.filter(pk=allocation_of(app).pk).update(amount=Decimal("4000.00"))

    services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))

    assert allocation_of(app).balances()["remaining"] == Decimal("0.00")


def test_approval_is_refused_while_the_budget_is_not_released(cast):
    app = demo.drive(cast, "reviewed")
    BudgetAllocation.objects.filter(pk=allocation_of(app).pk).update(released=False)

    with unchanged(app), pytest.raises(RuleViolation) as refused:
        services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))

    assert refused.value.code == "budget_refused"
    assert_readable(refused.value.message)
    assert str(clock.today().year) in str(refused.value.message)


def test_an_application_that_did_not_fit_can_be_waitlisted_and_reopened(cast):
    app = demo.drive(cast, "reviewed")
    BudgetAllocation.objects.filter(pk=allocation_of(app).pk).update(released=False)

    services.waitlist_application(app, by=cast.manager, reason="Budget noch nicht freigegeben")
    BudgetAllocation.objects.filter(pk=allocation_of(app).pk).update(released=True)
    services.reopen_application(app, by=None)
    services.approve_application(app, by=cast.manager, amount=Decimal("4000.00"))

    app.refresh_from_db()
    assert app.status == ApplicationStatus.APPROVED
    assert [r.transition for r in TransitionLog.objects.for_object(app)][-3:] == [
        "waitlist",
        "reopen",
        "approve",
    ]


# --- references, resubmission, withdrawal ------------------------------------------------------


def test_submit_assigns_references_in_order(cast):
    drafts = [
        demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
        for _ in range(3)
    ]
    year = clock.today().year

    submitted = [services.submit_application(d, by=cast.applicant) for d in drafts]

    assert [a.reference for a in submitted] == [
        f"BF-{year}-00001",
        f"BF-{year}-00002",
        f"BF-{year}-00003",
    ]
    for app in submitted:
        app.refresh_from_db()
        assert app.submitted_content["title"] == app.title
        assert app.submitted_at is not None


def test_resubmit_keeps_the_reference(cast):
    app = demo.drive(cast, "changes_requested")
    reference = app.reference
    assert reference

    services.save_draft(app, by=cast.applicant, summary="Mit erläutertem Eigenanteil.")
    services.resubmit_application(app, by=cast.applicant)

    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED
    assert app.reference == reference
    assert app.reply_deadline is None
    assert app.submitted_content["summary"] == "Mit erläutertem Eigenanteil."
    assert ReferenceCounter.objects.get().last_number == 1


@pytest.mark.parametrize("state", ["approved", "rejected", "waitlisted", "expired"])
def test_withdraw_is_refused_after_a_decision(cast, state):
    app = demo.drive(cast, state)

    with unchanged(app), pytest.raises(TransitionNotAllowed) as refused:
        services.withdraw_application(app, by=cast.applicant, reason="Zu spät")

    assert_readable(refused.value.message)


def test_expire_is_refused_before_the_reply_deadline(cast):
    app = demo.drive(cast, "changes_requested")

    with unchanged(app), pytest.raises(TransitionNotAllowed) as refused:
        services.expire_application(app)

    assert refused.value.code == "reply_deadline_not_passed"
    assert_readable(refused.value.message)


def test_expire_is_refused_for_a_waitlisted_application_before_the_project_starts(cast):
    app = demo.drive(cast, "waitlisted")

    with (
        clock.travel_to(app.start_date - timedelta(days=1)),
        unchanged(app),
        pytest.raises(TransitionNotAllowed),
    ):
        services.expire_application(app)


# --- the input rules of the steps, whatever the door ------------------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)


def in_days(days: int) -> Callable[[], date]:
    return lambda: clock.today() + timedelta(days=days)


REFUSED_INPUT = [
    pytest.param("submitted", "request_changes", "reviewer", {"message": TOO_LONG}, "message", "text_too_long", id="changes-message-too-long"),
    pytest.param("submitted", "request_changes", "reviewer", {"message": " \n "}, "message", "message_missing", id="changes-message-blank"),
    pytest.param("submitted", "request_changes", "reviewer", {"reply_by": in_days(LONGEST_REPLY_DAYS + 1)}, "reply_by", "bad_deadline", id="changes-reply-after-a-year"),
    pytest.param("submitted", "request_changes", "reviewer", {"reply_by": in_days(0)}, "reply_by", "bad_deadline", id="changes-reply-today"),
    pytest.param("submitted", "pass_formal_check", "reviewer", {"checklist": []}, "checklist", "checklist_incomplete", id="checklist-empty"),
    pytest.param("submitted", "pass_formal_check", "reviewer", {"checklist": ["complete", "dates"]}, "checklist", "checklist_incomplete", id="checklist-partial"),
    pytest.param("submitted", "pass_formal_check", "reviewer", {"checklist": {**dict.fromkeys(CHECKLIST_CODES, True), "budget": False}}, "checklist", "checklist_incomplete", id="checklist-budget-no"),
    pytest.param("submitted", "pass_formal_check", "reviewer", {"checklist": [*CHECKLIST_CODES, "made_up"]}, "checklist", "bad_checklist", id="checklist-unknown-item"),
    pytest.param("submitted", "pass_formal_check", "reviewer", {"checklist": "complete"}, "checklist", "bad_checklist", id="checklist-a-string"),
    pytest.param("submitted", "reject", "reviewer", {"reasons": ""}, "reasons", "no_reasons", id="formal-rejection-without-reasons"),
    pytest.param("reviewed", "reject", "manager", {"reasons": TOO_LONG}, "reasons", "text_too_long", id="rejection-reasons-too-long"),
    pytest.param("reviewed", "approve", "manager", {"conditions": TOO_LONG}, "conditions", "text_too_long", id="approval-conditions-too-long"),
    pytest.param("reviewed", "waitlist", "manager", {"reason": TOO_LONG}, "reason", "text_too_long", id="waitlist-reason-too-long"),
    pytest.param("submitted", "withdraw", "applicant", {"reason": TOO_LONG}, "reason", "text_too_long", id="withdraw-reason-too-long"),
    pytest.param("submitted", "withdraw", "applicant", {"reason": "Grund\ud800"}, "reason", "invalid_text", id="withdraw-reason-lone-surrogate"),
    pytest.param("submitted", "reject", "reviewer", {"reasons": 42}, "reasons", "not_text", id="rejection-reasons-not-text"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "name", "role", "change", "field", "code"), REFUSED_INPUT)
def test_each_step_refuses_input_outside_its_limits_naming_the_field(cast, actors, state, name, role, change, field, code):  # fmt: skip
    """The limits live in the transition method: a service called directly (the demo, the
    scheduler, a shell) meets them as the pages, the admin and the API do."""
    app = demo.drive(cast, state)
    data = DATA[name](app)
    data.update({key: value() if callable(value) else value for key, value in change.items()})

    with unchanged(app), pytest.raises(InvalidInput) as refused:
        run_application_transition(app, name, by=actors[role], **data)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert [(v.field, v.code) for v in refused.value.violations] == [(field, code)]
    assert_readable(refused.value.message)


def test_a_reply_date_exactly_a_year_ahead_and_a_long_message_at_the_limit_are_taken(cast):
    app = demo.drive(cast, "submitted")
    services.request_changes(
        app, by=cast.reviewer, message="x" * LONG_TEXT, reply_by=in_days(LONGEST_REPLY_DAYS)()
    )
    app.refresh_from_db()
    assert len(app.change_request_message) == LONG_TEXT
    assert app.reply_deadline == clock.today() + timedelta(days=LONGEST_REPLY_DAYS)


def test_the_words_of_a_refusal_are_the_same_whoever_calls(cast):
    app = demo.drive(cast, "submitted")
    with translation.override("en"), pytest.raises(InvalidInput) as refused:
        services.request_changes(app, by=cast.reviewer, message="", reply_by=in_days(3)())
    assert refused.value.message == CHANGES_MESSAGE_MISSING
    with translation.override("de"), pytest.raises(InvalidInput) as refused:
        services.pass_formal_check(app, by=cast.reviewer, checklist=["complete"])
    assert "Nicht angehakt" in str(refused.value.message)
    assert "Attachments" not in str(refused.value.message)


def test_passing_the_formal_check_keeps_the_checklist_in_the_audit_row(cast):
    app = demo.drive(cast, "submitted")
    services.pass_formal_check(app, by=cast.reviewer, checklist=list(CHECKLIST_CODES))
    row = TransitionLog.objects.for_object(app).get(transition="pass_formal_check")
    assert row.payload == {"checklist": dict.fromkeys(CHECKLIST_CODES, True)}


def test_a_note_longer_than_the_limit_is_refused_before_anything_changes(cast):
    app = demo.drive(cast, "reviewed")
    with unchanged(app), pytest.raises(InvalidInput) as refused:
        services.waitlist_application(app, by=cast.manager, note=TOO_LONG)
    assert (refused.value.field, refused.value.code) == ("note", "text_too_long")
    services.waitlist_application(app, by=cast.manager, note="  Budget 2027 abwarten  ")
    row = TransitionLog.objects.for_object(app).get(transition="waitlist")
    assert row.note == "Budget 2027 abwarten"

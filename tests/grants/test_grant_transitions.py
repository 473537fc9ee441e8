"""The grant state machine, generated from its own transition table, and the money stories.

Every (source, transition, target) row of `Grant` is tried from its source by the allowed role
(it succeeds and logs once), from every other state and by every other role (refused, nothing
changed: grant, application, log, ledger, payments, claims). Grants reach their states through
`demo.drive`, i.e. the real services with a travelling clock.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from demo import builders as demo
from grants import services
from grants.models import (
    Grant,
    GrantStatus,
    LedgerKind,
    PaymentKind,
    PaymentStatus,
    RepaymentStatus,
)
from grants.transitions import run_grant_transition
from organisations.models import Organisation
from tests.support import assert_readable, everyone, unchanged
from workflows import clock
from workflows.engine import transition_table
from workflows.errors import InvalidInput, TransitionForbidden, TransitionNotAllowed, WorkflowError
from workflows.models import TransitionLog
from workflows.roles import Role
from workflows.text import LONG_TEXT, LONGEST_REPLY_DAYS, NAME_TEXT

TABLE = transition_table(Grant)
NAMES = sorted({name for _source, name, _target in TABLE})
STATES = list(GrantStatus.values)
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

# Who may run each transition, per the table in design.md.
ALLOWED: dict[str, set[str]] = {
    "accept": {"applicant"},
    "decline": {"applicant"},
    "lapse": {"system"},
    "end_project": {"system"},
    "submit_report": {"applicant"},
    "request_report_changes": {"reviewer"},
    "accept_report": {"reviewer"},
    "revoke": {"manager"},
    "cancel": {"applicant", "manager"},
    "close": {"system", "finance", "admin"},
}

# Valid data for each transition, computed on the (travelled) clock at the time of the call.
DATA: dict[str, Callable[[Grant], dict[str, Any]]] = {
    "accept": lambda grant: {"full_name": "Erika Mustermann", "consent": True},
    "decline": lambda grant: {"reason": "Projekt verschoben"},
    "lapse": lambda grant: {},
    "end_project": lambda grant: {},
    "submit_report": lambda grant: {
        "actual_expenses": Decimal("5000.00"),
        "actual_eligible_expenses": Decimal("5000.00"),
        "actual_other_income": Decimal("1000.00"),
    },
    "request_report_changes": lambda grant: {
        "message": "Bitte Belege nachreichen.",
        "reply_by": clock.today() + timedelta(days=14),
    },
    "accept_report": lambda grant: {},
    "revoke": lambda grant: {"reason": "Verwendungsnachweis fehlt"},
    "cancel": lambda grant: {"reason": "Projekt abgesagt"},
    "close": lambda grant: {},
}


def travel_day(grant: Grant, name: str) -> date | None:
    """Time-guarded transitions run on the day after their deadline."""
    deadline = {
        "lapse": grant.offer_expires_on,
        "end_project": grant.project_end,
        "revoke": grant.report_due_on,
    }.get(name)
    return deadline + timedelta(days=1) if deadline else None


def pay_open_payments(grant: Grant, by: Any) -> None:
    for payment in grant.payments.filter(status=PaymentStatus.SCHEDULED):
        services.record_payment_paid(payment, by=by)


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def actors(cast: demo.Cast, other_applicant: Any) -> dict[str, Any]:
    return everyone(cast, other_applicant)


def grant_in(cast: demo.Cast, state: str) -> Grant:
    return Grant.objects.get(application=demo.drive(cast, "approved", state))


def run(grant: Grant, name: str, actor: Any) -> Grant:
    """Call the transition's service with valid data, on a day its time guard allows."""
    day = travel_day(grant, name)
    with clock.travel_to(day) if day else nullcontext():
        return run_grant_transition(grant, name, by=actor, **DATA[name](grant))


def commitment(grant: Grant) -> Decimal:
    return services.grant_commitment(grant)


def ledger(grant: Grant) -> list[tuple[str, Decimal]]:
    return list(grant.ledger_entries.order_by("pk").values_list("kind", "amount"))


# --- the generated matrix ----------------------------------------------------------------------


def test_every_transition_of_the_table_has_roles_and_data():
    assert set(ALLOWED) == set(NAMES) == set(DATA)
    for source, _name, target in TABLE:
        assert source in STATES and target in STATES
    assert all(roles <= set(ROLES) for roles in ALLOWED.values())


SUCCESS_CASES = [
    pytest.param(source, name, target, role, id=f"{name}-from-{source}-by-{role}")
    for source, name, target in TABLE
    for role in sorted(ALLOWED[name])
]


@pytest.mark.parametrize(("source", "name", "target", "role"), SUCCESS_CASES)
def test_transition_succeeds_from_its_source_by_the_allowed_role(
    cast, actors, source, name, target, role
):
    grant = grant_in(cast, source)
    if name == "close":
        pay_open_payments(grant, cast.finance)
    before = TransitionLog.objects.for_object(grant).count()

    run(grant, name, actors[role])

    grant.refresh_from_db()
    assert grant.status == target
    rows = TransitionLog.objects.for_object(grant)
    assert rows.count() == before + 1
    row = rows.last()
    assert (row.transition, row.source, row.target) == (name, source, target)
    assert row.actor_id == getattr(actors[role], "pk", None)


def sources_of(name: str) -> list[str]:
    return sorted(source for source, n, _target in TABLE if n == name)


@pytest.mark.parametrize("state", STATES)
def test_every_transition_not_starting_here_is_refused_and_changes_nothing(cast, actors, state):
    grant = grant_in(cast, state)
    not_refused = []
    for name in (n for n in NAMES if state not in sources_of(n)):
        actor = actors[sorted(ALLOWED[name])[0]]
        try:
            with unchanged(grant):
                run(grant, name, actor)
        except TransitionNotAllowed as exc:
            assert_readable(exc.message)
            continue
        except Exception as exc:
            not_refused.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        not_refused.append(f"{name}: allowed")
    assert not not_refused, f"from {state}, not refused as not allowed: {not_refused}"


@pytest.mark.parametrize(
    ("source", "name"),
    [pytest.param(s, n, id=f"{n}-from-{s}") for s, n, _t in TABLE if set(ROLES) - ALLOWED[n]],
)
def test_transition_is_refused_to_every_other_role_and_changes_nothing(cast, actors, source, name):
    grant = grant_in(cast, source)
    if name == "close":
        pay_open_payments(grant, cast.finance)
    not_refused = []
    for role in sorted(set(ROLES) - ALLOWED[name]):
        try:
            with unchanged(grant):
                run(grant, name, actors[role])
        except TransitionForbidden as exc:
            assert_readable(exc.message)
            continue
        except Exception as exc:
            not_refused.append(f"{role}: {type(exc).__name__}: {exc}")
            continue
        not_refused.append(f"{role}: allowed")
    assert not not_refused, f"{name} from {source} not forbidden to: {not_refused}"


# --- offer: accept, decline, lapse --------------------------------------------------------------


def test_accept_schedules_the_advance_of_75_percent(cast):
    grant = grant_in(cast, "offered")

    services.accept_offer(grant, by=cast.applicant, full_name="Erika Mustermann", consent=True)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACCEPTED
    assert grant.accepted_name == "Erika Mustermann"
    assert grant.accepted_by == cast.applicant
    assert grant.accepted_at is not None
    payments = list(grant.payments.values_list("kind", "sequence", "amount", "status", "due_on"))
    assert payments == [
        (PaymentKind.ADVANCE, 1, Decimal("3000.00"), PaymentStatus.SCHEDULED, clock.today())
    ]
    assert commitment(grant) == Decimal("4000.00")


@pytest.mark.parametrize(
    "bank",
    [
        pytest.param({"iban": ""}, id="no-iban"),
        pytest.param({"iban": "DE89370400440532013001"}, id="wrong-check-digits"),
        pytest.param({"bank_account_holder": ""}, id="no-account-holder"),
    ],
)
def test_accept_without_a_valid_bank_account_is_refused(cast, bank):
    grant = grant_in(cast, "offered")
    Organisation.objects.filter(pk=cast.organisation.pk).update(**bank)

    with unchanged(grant), pytest.raises(TransitionNotAllowed) as refused:
        services.accept_offer(grant, by=cast.applicant, full_name="Erika Mustermann", consent=True)

    assert refused.value.code == "no_valid_iban"
    assert_readable(refused.value.message)


@pytest.mark.parametrize(
    ("full_name", "consent"),
    [
        pytest.param("Erika Mustermann", False, id="no-consent"),
        pytest.param("Erika Mustermann", "yes", id="consent-not-a-boolean"),
        pytest.param("", True, id="empty-name"),
        pytest.param("   ", True, id="blank-name"),
        pytest.param(None, True, id="no-name"),
    ],
)
def test_accept_without_consent_or_name_is_refused(cast, full_name, consent):
    grant = grant_in(cast, "offered")

    with unchanged(grant), pytest.raises(WorkflowError) as refused:
        services.accept_offer(grant, by=cast.applicant, full_name=full_name, consent=consent)

    assert refused.value.code in {"consent_missing", "name_missing"}
    assert_readable(refused.value.message)


def test_declining_releases_the_full_commitment(cast):
    grant = grant_in(cast, "offered")
    committed = grant.allocation.balances()["committed"]

    services.decline_offer(grant, by=cast.applicant, reason="Projekt verschoben")

    assert ledger(grant) == [
        (LedgerKind.COMMIT, Decimal("4000.00")),
        (LedgerKind.RELEASE, Decimal("4000.00")),
    ]
    assert commitment(grant) == 0
    assert grant.allocation.balances()["committed"] == committed - Decimal("4000.00")
    assert not grant.payments.exists()


def test_lapsing_releases_the_full_commitment(cast):
    grant = grant_in(cast, "offered")

    with clock.travel_to(grant.offer_expires_on + timedelta(days=1)):
        services.lapse_offer(grant)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.LAPSED
    assert ledger(grant) == [
        (LedgerKind.COMMIT, Decimal("4000.00")),
        (LedgerKind.RELEASE, Decimal("4000.00")),
    ]
    assert commitment(grant) == 0


def test_lapse_is_refused_until_the_offer_has_expired(cast):
    grant = grant_in(cast, "offered")

    with (
        clock.travel_to(grant.offer_expires_on),
        unchanged(grant),
        pytest.raises(TransitionNotAllowed) as refused,
    ):
        services.lapse_offer(grant)

    assert refused.value.code == "offer_not_expired"
    assert_readable(refused.value.message)


def test_end_project_is_refused_until_the_project_has_ended(cast):
    grant = grant_in(cast, "accepted")

    with (
        clock.travel_to(grant.project_end),
        unchanged(grant),
        pytest.raises(TransitionNotAllowed) as refused,
    ):
        services.end_project(grant)

    assert refused.value.code == "project_not_ended"


def test_end_project_sets_the_report_deadline_from_the_programme(cast):
    grant = grant_in(cast, "report_due")

    assert grant.report_due_on == grant.project_end + timedelta(
        days=grant.programme.report_days_after_end
    )


# --- settlement ----------------------------------------------------------------------------------

SETTLEMENTS = [
    # expenses, eligible, other income -> entitlement, balance payment, repayment claim
    pytest.param("6000.00", "6000.00", "1000.00", "4000.00", "1000.00", None, id="awarded-binds"),
    pytest.param("4000.00", "4000.00", "0.00", "3200.00", "200.00", None, id="share-binds"),
    pytest.param("5000.00", "5000.00", "1500.00", "3500.00", "500.00", None, id="net-cost-binds"),
    pytest.param("6000.00", "4500.00", "2000.00", "3600.00", "600.00", None, id="part-eligible"),
    pytest.param("5000.00", "5000.00", "3000.00", "2000.00", None, "1000.00", id="repayment"),
    pytest.param("3750.00", "3750.00", "750.00", "3000.00", None, None, id="exactly-the-advance"),
]


@pytest.mark.parametrize(
    ("expenses", "eligible", "other", "entitled", "balance", "claim"), SETTLEMENTS
)
def test_settlement_pays_the_balance_or_claims_back_and_releases_the_rest(
    cast, expenses, eligible, other, entitled, balance, claim
):
    grant = grant_in(cast, "report_due")
    paid = Decimal("3000.00")
    assert grant.payments.get().status == PaymentStatus.PAID

    services.submit_report_figures(
        grant,
        by=cast.applicant,
        actual_expenses=Decimal(expenses),
        actual_eligible_expenses=Decimal(eligible),
        actual_other_income=Decimal(other),
    )
    services.accept_report(grant, by=cast.reviewer)

    grant.refresh_from_db()
    entitlement = Decimal(entitled)
    assert grant.status == GrantStatus.SETTLED
    assert grant.final_amount == entitlement
    # min(awarded, 80 % x actual eligible, actual expenses - other income)
    assert entitlement == min(
        Decimal("4000.00"),
        (Decimal(eligible) * Decimal("0.80")).quantize(Decimal("0.01")),
        Decimal(expenses) - Decimal(other),
    )
    balances = list(grant.payments.filter(kind=PaymentKind.BALANCE).values_list("amount", "status"))
    assert balances == ([(Decimal(balance), PaymentStatus.SCHEDULED)] if balance else [])
    claims = list(grant.repayment_claims.values_list("amount", "status"))
    assert claims == ([(Decimal(claim), RepaymentStatus.OPEN)] if claim else [])
    # The commitment keeps what the grantee is entitled to, or what has left the account
    # while a repayment is outstanding; the rest goes back to the budget.
    kept = max(entitlement, paid)
    assert commitment(grant) == kept
    released = Decimal("4000.00") - kept
    releases = [amount for kind, amount in ledger(grant) if kind == LedgerKind.RELEASE]
    assert releases == ([released] if released else [])


def test_accepting_the_report_cancels_an_advance_never_sent(cast):
    grant = grant_in(cast, "offered")
    services.accept_offer(grant, by=cast.applicant, full_name="Erika Mustermann", consent=True)
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        services.end_project(grant)
    services.submit_report_figures(
        grant,
        by=cast.applicant,
        actual_expenses=Decimal("5000.00"),
        actual_eligible_expenses=Decimal("5000.00"),
        actual_other_income=Decimal("1000.00"),
    )

    services.accept_report(grant, by=cast.reviewer)

    rows = list(grant.payments.order_by("sequence").values_list("kind", "amount", "status"))
    assert rows == [
        (PaymentKind.ADVANCE, Decimal("3000.00"), PaymentStatus.CANCELLED),
        (PaymentKind.BALANCE, Decimal("4000.00"), PaymentStatus.SCHEDULED),
    ]


def test_request_report_changes_sends_the_report_back_with_a_deadline(cast):
    grant = grant_in(cast, "report_submitted")
    reply_by = clock.today() + timedelta(days=14)

    services.request_report_changes(grant, by=cast.reviewer, message="Belege?", reply_by=reply_by)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.REPORT_DUE
    assert grant.report_due_on == reply_by
    assert grant.report_change_message == "Belege?"


# --- revoke, cancel, close ------------------------------------------------------------------------


def test_revoke_after_payment_claims_back_what_was_paid(cast):
    grant = grant_in(cast, "report_due")
    day = grant.report_due_on + timedelta(days=1)

    with clock.travel_to(day):
        services.revoke_grant(grant, by=cast.manager, reason="Verwendungsnachweis fehlt")

    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert grant.final_amount == 0
    claims = list(grant.repayment_claims.values_list("amount", "status", "due_on"))
    assert claims == [
        (Decimal("3000.00"), RepaymentStatus.OPEN, day + timedelta(days=services.REPAYMENT_DAYS))
    ]
    assert commitment(grant) == Decimal("3000.00")
    assert (LedgerKind.RELEASE, Decimal("1000.00")) in ledger(grant)


def test_revoke_is_refused_while_the_report_is_not_overdue(cast):
    grant = grant_in(cast, "report_due")

    with (
        clock.travel_to(grant.report_due_on),
        unchanged(grant),
        pytest.raises(TransitionNotAllowed) as refused,
    ):
        services.revoke_grant(grant, by=cast.manager, reason="zu spät")

    assert refused.value.code == "report_not_overdue"


def test_cancel_after_payment_claims_back_what_was_paid(cast):
    grant = grant_in(cast, "accepted")
    pay_open_payments(grant, cast.finance)

    services.cancel_grant(grant, by=cast.manager, reason="Projekt fand nicht statt")

    assert list(grant.repayment_claims.values_list("amount", flat=True)) == [Decimal("3000.00")]
    assert commitment(grant) == Decimal("3000.00")


def test_cancel_before_any_payment_cancels_the_advance_and_releases_everything(cast):
    grant = grant_in(cast, "offered")
    services.accept_offer(grant, by=cast.applicant, full_name="Erika Mustermann", consent=True)

    services.cancel_grant(grant, by=cast.applicant, reason="Projekt abgesagt")

    assert list(grant.payments.values_list("status", flat=True)) == [PaymentStatus.CANCELLED]
    assert not grant.repayment_claims.exists()
    assert commitment(grant) == 0


def test_close_is_refused_while_a_payment_is_open(cast):
    grant = grant_in(cast, "settled")
    assert grant.payments.filter(status=PaymentStatus.SCHEDULED).exists()

    with unchanged(grant), pytest.raises(TransitionNotAllowed) as refused:
        services.close_grant(grant, by=cast.finance)

    assert refused.value.code == "money_outstanding"
    assert_readable(refused.value.message)


def test_close_is_refused_while_a_repayment_is_open(cast):
    grant = grant_in(cast, "report_due")
    services.submit_report_figures(
        grant,
        by=cast.applicant,
        actual_expenses=Decimal("2000.00"),
        actual_eligible_expenses=Decimal("2000.00"),
        actual_other_income=Decimal("0.00"),
    )
    services.accept_report(grant, by=cast.reviewer)
    assert grant.repayment_claims.filter(status=RepaymentStatus.OPEN).exists()

    with unchanged(grant), pytest.raises(TransitionNotAllowed) as refused:
        services.close_grant(grant)

    assert refused.value.code == "money_outstanding"


def test_close_after_everything_is_paid(cast):
    grant = grant_in(cast, "settled")
    pay_open_payments(grant, cast.finance)

    services.close_grant(grant, by=cast.finance)

    grant.refresh_from_db()
    assert grant.status == GrantStatus.CLOSED
    assert grant.closed_at is not None
    paid = sum(amount for kind, amount in ledger(grant) if kind == LedgerKind.PAY)
    assert paid == grant.final_amount == commitment(grant)


# --- four eyes on the money ---------------------------------------------------------------------


def test_reviewer_who_paid_the_grant_may_not_accept_its_report(cast):
    payer = demo.make_user("reviewer-finance", Role.REVIEWER, Role.FINANCE)
    grant = grant_in(cast, "offered")
    services.accept_offer(grant, by=cast.applicant, full_name="Erika Mustermann", consent=True)
    pay_open_payments(grant, payer)
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        services.end_project(grant)
    services.submit_report_figures(grant, by=cast.applicant, **DATA["submit_report"](grant))

    with unchanged(grant), pytest.raises(TransitionForbidden):
        services.accept_report(grant, by=payer)


# --- the input rules of the steps, whatever the door ------------------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)


def in_days(days: int) -> Callable[[], date]:
    return lambda: clock.today() + timedelta(days=days)


REFUSED_INPUT = [
    pytest.param("report_submitted", "request_report_changes", "reviewer", {"message": TOO_LONG}, "message", "text_too_long", id="report-message-too-long"),
    pytest.param("report_submitted", "request_report_changes", "reviewer", {"message": ""}, "message", "message_missing", id="report-message-missing"),
    pytest.param("report_submitted", "request_report_changes", "reviewer", {"reply_by": in_days(LONGEST_REPLY_DAYS + 1)}, "reply_by", "bad_deadline", id="report-reply-after-a-year"),
    pytest.param("report_due", "revoke", "manager", {"reason": TOO_LONG}, "reason", "text_too_long", id="revoke-reason-too-long"),
    pytest.param("report_due", "revoke", "manager", {"reason": " "}, "reason", "reason_missing", id="revoke-reason-missing"),
    pytest.param("accepted", "cancel", "manager", {"reason": TOO_LONG}, "reason", "text_too_long", id="cancel-reason-too-long"),
    pytest.param("offered", "decline", "applicant", {"reason": TOO_LONG}, "reason", "text_too_long", id="decline-reason-too-long"),
    pytest.param("offered", "accept", "applicant", {"full_name": "E" * (NAME_TEXT + 1)}, "full_name", "text_too_long", id="accept-name-too-long"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "name", "role", "change", "field", "code"), REFUSED_INPUT)
def test_each_step_refuses_input_outside_its_limits_naming_the_field(cast, actors, state, name, role, change, field, code):  # fmt: skip
    grant = grant_in(cast, state)
    day = travel_day(grant, name)
    with clock.travel_to(day) if day else nullcontext():
        data = DATA[name](grant)
        data.update({key: value() if callable(value) else value for key, value in change.items()})
        with unchanged(grant), pytest.raises(InvalidInput) as refused:
            run_grant_transition(grant, name, by=actors[role], **data)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert_readable(refused.value.message)


def test_the_report_may_be_asked_back_for_at_most_a_year(cast):
    grant = grant_in(cast, "report_submitted")
    services.request_report_changes(
        grant, by=cast.reviewer, message="Belege?", reply_by=in_days(LONGEST_REPLY_DAYS)()
    )
    grant.refresh_from_db()
    assert grant.report_due_on == clock.today() + timedelta(days=LONGEST_REPLY_DAYS)

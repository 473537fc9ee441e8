"""A payment's life in the audit: every status through perform(), each step with who did it."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps as live_apps
from django.contrib.contenttypes.models import ContentType

from demo import builders as demo
from grants import finance
from grants import services as grant_services
from grants.models import Payment
from tests.support import unchanged
from workflows import clock, perform
from workflows.audit import BEFORE_THE_LOG, log_states_reached_before_the_log, verify_chain
from workflows.errors import TransitionForbidden, TransitionNotAllowed
from workflows.models import TransitionLog
from workflows.roles import Role


def steps_of(payment: Payment) -> list[tuple[str, str, str, Any]]:
    rows = TransitionLog.objects.for_object(payment).order_by("pk")
    return [(r.source, r.transition, r.target, r.actor) for r in rows]


def advance_of(cast: demo.Cast) -> Payment:
    return demo.drive(cast, "approved", "accepted").grant.payments.get()


def test_the_audit_shows_who_approved_exported_failed_and_paid_a_payment(cast: demo.Cast) -> None:
    colleague = demo.make_user("colleague", Role.FINANCE)
    payment = finance.approve_payment(advance_of(cast), by=cast.finance)
    batch = finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
    first = finance.export_batch(batch, by=cast.finance)
    finance.mark_payment_failed(payment, by=colleague, reason="AC04 account closed")
    finance.approve_payment(payment, by=colleague)
    second = finance.export_batch(
        finance.create_batch([payment], by=cast.admin, execution_date=clock.today()), by=cast.admin
    )
    finance.mark_batch_paid(second, by=cast.finance)

    assert steps_of(payment) == [
        ("scheduled", "approve", "approved", cast.finance),
        ("approved", "export", "exported", cast.finance),
        ("exported", "fail", "failed", colleague),
        ("failed", "requeue", "scheduled", colleague),
        ("scheduled", "approve", "approved", colleague),
        ("approved", "export", "exported", cast.admin),
        ("exported", "pay", "paid", cast.finance),
    ]
    rows = list(TransitionLog.objects.for_object(payment).order_by("pk"))
    assert [row.payload.get("batch") for row in rows if row.transition == "export"] == [
        first.message_id,
        second.message_id,
    ]
    fail = next(row for row in rows if row.transition == "fail")
    assert fail.payload == {"reason": "AC04 account closed", "batch": first.message_id}
    assert verify_chain().ok


def test_the_four_eyes_rule_holds_at_the_door_itself(cast: demo.Cast) -> None:
    """Not only the finance page: perform() refuses the report's acceptor too."""
    checker = demo.make_user("checker", Role.REVIEWER, Role.FINANCE)
    grant = demo.drive(cast, "approved", "report_submitted").grant
    balance = grant_services.accept_report(grant, by=checker).payments.get(kind="balance")

    with unchanged(balance), pytest.raises(TransitionForbidden):
        perform(balance, "approve", by=checker)
    assert perform(balance, "approve", by=cast.finance).approved_by == cast.finance


def test_settling_a_grant_cancels_its_unsent_payments_in_the_name_of_who_settled_it(
    cast: demo.Cast,
) -> None:
    grant = demo.drive(cast, "approved", "accepted").grant
    advance = grant.payments.get()
    grant = grant_services.cancel_grant(grant, by=cast.applicant, reason="Der Bus fiel aus.")

    advance.refresh_from_db()
    assert advance.status == "cancelled"
    assert steps_of(advance) == [("scheduled", "cancel", "cancelled", cast.applicant)]


def test_a_payment_is_not_cancelled_while_its_grant_runs(cast: demo.Cast) -> None:
    advance = advance_of(cast)
    with unchanged(advance), pytest.raises(TransitionNotAllowed) as refused:
        perform(advance, "cancel", by=cast.finance)
    assert refused.value.code == "grant_not_settled"


@pytest.mark.parametrize("role", ["applicant", "reviewer", "manager", "funder"])
def test_only_finance_records_a_payment_paid_or_failed(cast: demo.Cast, role: str) -> None:
    payment = advance_of(cast)
    for name, data in [("pay", {}), ("approve", {})]:
        with unchanged(payment), pytest.raises(TransitionForbidden):
            perform(payment, name, by=getattr(cast, role), **data)


def test_status_is_not_set_by_hand(cast: demo.Cast) -> None:
    payment = advance_of(cast)
    with pytest.raises(AttributeError):
        payment.status = "paid"


def test_the_migration_gives_states_reached_before_the_log_one_system_row(
    cast: demo.Cast,
) -> None:
    """Data written before payments went through perform(): paid without a row. The migration's
    step appends one row per such payment, and the chain holds against the records again."""
    paid = advance_of(cast)
    Payment.objects.filter(pk=paid.pk).update(status="paid")  # as the old services did
    payments = ContentType.objects.get_for_model(Payment)
    assert not TransitionLog.objects.filter(content_type=payments).exists()
    assert not verify_chain().ok

    added = log_states_reached_before_the_log(
        live_apps, "grants", "Payment", field="status", initial="scheduled"
    )

    assert added == 1
    row = TransitionLog.objects.for_object(paid).get()
    assert (row.transition, row.source, row.target, row.actor) == (
        BEFORE_THE_LOG,
        "scheduled",
        "paid",
        None,
    )
    assert verify_chain().ok
    assert (
        log_states_reached_before_the_log(
            live_apps, "grants", "Payment", field="status", initial="scheduled"
        )
        == 0
    )

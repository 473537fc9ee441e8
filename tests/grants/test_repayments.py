"""Money coming back: a repayment received is booked, frees the commitment and lets a grant close."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from demo import builders as demo
from grants import services
from grants.models import Grant, LedgerEntry, RepaymentClaim
from workflows import clock
from workflows.errors import TransitionForbidden, TransitionNotAllowed


def overpaid_and_settled(cast) -> Grant:
    """Awarded 4,000, advance 3,000 paid, but the project cost only 2,500 (entitlement 2,000)."""
    grant = demo.drive(cast, "approved", "report_submitted").grant
    Grant.objects.filter(pk=grant.pk).update(
        actual_expenses=Decimal("2500.00"),
        actual_eligible_expenses=Decimal("2500.00"),
        actual_other_income=Decimal("500.00"),
    )
    return services.accept_report(grant, by=cast.reviewer2)


def test_overpaid_grant_gets_a_repayment_claim_and_keeps_what_was_paid_committed(cast):
    grant = overpaid_and_settled(cast)
    claim = grant.repayment_claims.get()
    assert grant.final_amount == Decimal("2000.00")
    assert claim.amount == Decimal("1000.00")
    assert services.grant_commitment(grant) == Decimal("3000.00")


def test_repayment_received_is_booked_and_releases_the_commitment(cast):
    grant = overpaid_and_settled(cast)
    claim = grant.repayment_claims.get()

    services.record_repayment_received(claim, by=cast.finance)

    balances = grant.allocation.balances()
    claim.refresh_from_db()
    assert claim.status == "received"
    assert claim.received_recorded_by == cast.finance
    assert services.grant_commitment(grant) == Decimal("2000.00")
    assert balances["repaid"] >= Decimal("1000.00")
    assert balances["paid"] - balances["repaid"] <= balances["committed"]


def test_a_repaid_grant_can_be_closed(cast):
    grant = overpaid_and_settled(cast)
    with pytest.raises(TransitionNotAllowed) as refused:
        services.close_grant(grant, by=cast.finance)
    assert refused.value.code == "money_outstanding"
    services.record_repayment_received(grant.repayment_claims.get(), by=cast.finance)
    assert services.close_grant(grant, by=cast.finance).status == "closed"


def test_recording_a_repayment_twice_books_it_once(cast):
    grant = overpaid_and_settled(cast)
    claim = grant.repayment_claims.get()
    services.record_repayment_received(claim, by=cast.finance)
    services.record_repayment_received(claim, by=cast.finance)
    assert grant.ledger_entries.filter(kind="repay").count() == 1


@pytest.mark.parametrize("role", ["applicant", "reviewer", "manager", "funder"])
def test_only_finance_records_money(cast, role):
    grant = overpaid_and_settled(cast)
    claim = grant.repayment_claims.get()
    with pytest.raises(TransitionForbidden):
        services.record_repayment_received(claim, by=getattr(cast, role))
    assert RepaymentClaim.objects.get(pk=claim.pk).status == "open"
    payment = demo.drive(cast, "approved", "accepted").grant.payments.get()
    with pytest.raises(TransitionForbidden):
        services.record_payment_paid(payment, by=getattr(cast, role))
    payment.refresh_from_db()
    assert payment.status == "scheduled"


def test_revoked_grant_claims_back_the_advance_and_frees_it_once_repaid(cast):
    grant = demo.drive(cast, "approved", "report_due").grant
    with clock.travel_to(grant.report_due_on + timedelta(days=1)):
        grant = services.revoke_grant(grant, by=cast.manager, reason="Kein Nachweis")
    claim = grant.repayment_claims.get()
    assert claim.amount == Decimal("3000.00")
    services.record_repayment_received(claim, by=cast.finance)
    assert services.grant_commitment(grant) == Decimal("0.00")


# --- what the data says is read in the reader's language --------------------------------------


def test_the_claim_and_the_bookings_keep_figures_and_read_in_each_language(cast):
    grant = overpaid_and_settled(cast)
    claim = grant.repayment_claims.get()
    assert (claim.entitlement, claim.paid, claim.reason) == (Decimal("2000.00"), Decimal("3000.00"), "")  # fmt: skip
    with translation.override("de"):
        assert claim.description() == "endgültiger Zuwendungsbetrag 2.000,00 EUR, ausgezahlt 3.000,00 EUR"  # fmt: skip
    with translation.override("fr"):
        assert claim.description() == "montant définitif de la subvention 2\xa0000,00 EUR, versé 3\xa0000,00 EUR"  # fmt: skip

    services.record_repayment_received(claim, by=cast.finance)
    repay = LedgerEntry.objects.get(grant=grant, kind="repay")
    release = LedgerEntry.objects.filter(grant=grant, kind="release").latest("id")
    assert (repay.note, release.note) == (str(claim.pk), "settled")  # values, not sentences
    with translation.override("de"):
        assert repay.description() == f"Rückforderung Nr. {claim.pk}"
        assert release.description() == "freigegeben (Förderung: abgerechnet)"


def test_ledger_notes_written_as_english_sentences_read_in_the_readers_language(cast):
    grant = demo.drive(cast, "approved", "accepted").grant
    old = LedgerEntry(allocation=grant.allocation, grant=grant, kind="release", amount=Decimal("1.00"), note="release after lapsed")  # fmt: skip
    typed = LedgerEntry(allocation=grant.allocation, grant=grant, kind="release", amount=Decimal("1.00"), note="Korrektur Buchung 17")  # fmt: skip
    with translation.override("fr"):
        assert old.description() == "libéré (subvention\u00a0: caduc)"
        assert typed.description() == "Korrektur Buchung 17"  # a person's note stays as typed


def test_a_lapsed_offer_writes_no_english_reason(cast):
    grant = demo.drive(cast, "approved", "lapsed").grant
    assert grant.ended_reason == ""


def test_the_audit_shows_who_recorded_a_repayment(cast):
    from workflows.audit import verify_chain
    from workflows.models import TransitionLog

    claim = overpaid_and_settled(cast).repayment_claims.get()
    services.record_repayment_received(claim, by=cast.finance)
    services.record_repayment_received(claim, by=cast.finance)  # a second click: nothing more

    [row] = TransitionLog.objects.for_object(claim)
    assert (row.transition, row.source, row.target, row.actor) == ("receive", "open", "received", cast.finance)  # fmt: skip
    assert LedgerEntry.objects.filter(grant=claim.grant, kind="repay").count() == 1
    assert verify_chain().ok

"""Payments from approval to the bank and back: four-eyes approval, SEPA batches exported once
(files that validate, in the SEPA character set, served as stored), failed payments that go out
again with their EndToEndId, batches paid with their ledger entries and payment advice, and the
finance pages (finance officers and administrators only)."""

from __future__ import annotations

import csv
import hashlib
import io
import string
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, assume, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sepaxml.validation import try_valid_xml

from applications.models import Document
from demo import builders as demo
from grants import finance
from grants import services as grant_services
from grants.models import Grant, LedgerEntry, Payment, PaymentBatch
from organisations.models import Organisation
from tests.support import assert_readable, generated_examples, unchanged
from workflows import clock
from workflows.errors import RuleViolation, TransitionForbidden, TransitionNotAllowed
from workflows.models import TransitionLog
from workflows.roles import Role

PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"
# The SEPA Latin character set, written out here rather than taken from the code under test.
SEPA_SET = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
AMITIE = "Müller & Söhne — Verein « Amitié » e.V."


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def advance_of(cast: demo.Cast, **kwargs: Any) -> Payment:
    """A grant accepted today: its 75 % advance is scheduled."""
    return demo.drive(cast, "approved", "accepted", **kwargs).grant.payments.get()


def approved(cast: demo.Cast, count: int = 1, **kwargs: Any) -> list[Payment]:
    return [
        finance.approve_payment(advance_of(cast, **kwargs), by=cast.finance) for _ in range(count)
    ]


def exported(cast: demo.Cast, payments: list[Payment]) -> PaymentBatch:
    batch = finance.create_batch(payments, by=cast.finance, execution_date=clock.today())
    return finance.export_batch(batch, by=cast.finance)


def stored(batch: PaymentBatch, kind: str) -> bytes:
    field = getattr(batch, f"{kind}_file")
    with field.storage.open(field.name, "rb") as handle:
        return handle.read()


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def tag(name: str) -> str:
    return f"{PAIN}{name}"


def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 - the file this suite just built


def transactions(xml: bytes) -> list[ET.Element]:
    return list(parse(xml).iter(tag("CdtTrfTxInf")))


def sepa_texts(xml: bytes) -> list[str]:
    return [element.text for element in parse(xml).iter() if element.text]


# --- the SEPA character set -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        (AMITIE, "Mueller Soehne - Verein Amitie e.V."),
        ("Straße 5, Zürich–Köln", "Strasse 5, Zuerich-Koeln"),
        ("Œuvre “Jeunesse” de l’Ain", "Oeuvre 'Jeunesse' de l'Ain"),
        ("Mu\u0308ller (NFD)", "Mueller (NFD)"),
        ("Ça va ? 100 % sûr !", "Ca va ? 100 sur"),
        ("東京 Partnerschaft\t\n e.V.", "Partnerschaft e.V."),
    ],
)
def test_names_are_transliterated_readably(typed: str, sent: str) -> None:
    assert finance.sepa_text(typed, limit=70) == sent


@hypothesis_settings(database=None, max_examples=generated_examples(300), deadline=None)
@given(text=st.text(), limit=st.integers(min_value=1, max_value=140))
def test_transliterated_text_keeps_to_the_sepa_set_and_the_limit(text: str, limit: int) -> None:
    sent = finance.sepa_text(text, limit=limit)
    assert set(sent) <= SEPA_SET
    assert len(sent) <= limit
    assert sent == sent.strip() and "  " not in sent
    assert finance.sepa_text(sent, limit=limit) == sent


@hypothesis_settings(
    database=None,
    max_examples=generated_examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(names=st.lists(st.text(min_size=1), min_size=1, max_size=3), title=st.text())
def test_characters_outside_the_sepa_set_never_reach_the_xml(names: list[str], title: str) -> None:
    lines = []
    for number, name in enumerate(names, start=1):
        sent = finance.sepa_text(name, limit=finance.NAME_LIMIT)
        assume(sent)  # a name with no Latin letter at all is refused before export
        remittance = finance.sepa_text(f"BF-2026-{number:05d} Zuschuss Abschlag {title}", limit=140)
        lines.append(
            finance.SepaLine(
                f"MG-G{number}-P1",
                f"BF-2026-{number:05d}",
                sent,
                "DE89370400440532013000",
                "COBADEFFXXX",
                Decimal("12.34"),
                remittance,
            )
        )
    batch = PaymentBatch(
        message_id="MG-20260101-1",
        execution_date=clock.today(),
        debtor_name="Bürgerfonds – Démo",
        debtor_iban=django_settings.MICROGRANTS_DEBTOR_IBAN,
        debtor_bic=django_settings.MICROGRANTS_DEBTOR_BIC,
        exported_at=clock.now(),
    )
    xml = finance.build_sepa_xml(batch, lines)  # validated against the XSD on the way
    for text in sepa_texts(xml):
        assert set(text) <= SEPA_SET, text
    for element in transactions(xml):
        assert 0 < len(element.find(f"{tag('Cdtr')}/{tag('Nm')}").text) <= 70
        assert len(element.find(f"{tag('RmtInf')}/{tag('Ustrd')}").text) <= 140


def test_remittance_names_the_reference_first_and_stays_within_140(cast: demo.Cast) -> None:
    long_title = "Jugendbegegnung „Grenzenlos“ – Köln und Lyon gestalten gemeinsam " * 4
    payment = advance_of(cast, title=long_title[:200])
    line = finance.sepa_line(payment)
    reference = payment.grant.application.reference
    assert line.remittance.startswith(f"{reference} Zuschuss Abschlag Jugendbegegnung 'Grenzenlos'")
    assert len(line.remittance) <= 140
    assert len(line.name) <= 70


# --- approval -------------------------------------------------------------------------------------


def test_approving_a_scheduled_payment_stamps_who_and_when_and_logs_it(cast: demo.Cast) -> None:
    payment = finance.approve_payment(advance_of(cast), by=cast.finance)
    payment.refresh_from_db()
    assert (payment.status, payment.approved_by) == ("approved", cast.finance)
    assert payment.approved_at is not None
    row = TransitionLog.objects.for_object(payment).get()
    assert (row.transition, row.source, row.target, row.actor) == (
        "approve",
        "scheduled",
        "approved",
        cast.finance,
    )
    with unchanged(payment), pytest.raises(TransitionNotAllowed):
        finance.approve_payment(payment, by=cast.admin)


def test_the_report_acceptor_cannot_approve_the_balance_payment_it_triggered(
    cast: demo.Cast,
) -> None:
    checker = demo.make_user("checker", Role.REVIEWER, Role.FINANCE)
    grant = demo.drive(cast, "approved", "report_submitted").grant
    grant = grant_services.accept_report(grant, by=checker)
    balance = grant.payments.get(kind="balance")
    assert grant.report_accepted_by == checker

    with unchanged(balance), pytest.raises(RuleViolation) as refused:
        finance.approve_payment(balance, by=checker)

    assert refused.value.code == "four_eyes"
    assert_readable(refused.value.message)
    assert grant.application.reference in str(refused.value.message)
    assert finance.approve_payment(balance, by=cast.finance).approved_by == cast.finance


@pytest.mark.parametrize("role", ["applicant", "reviewer", "manager", "funder"])
def test_only_finance_officers_and_administrators_move_payments(cast: demo.Cast, role: str) -> None:
    payment = advance_of(cast)
    with unchanged(payment), pytest.raises(TransitionForbidden):
        finance.approve_payment(payment, by=getattr(cast, role))
    assert finance.approve_payment(payment, by=cast.admin).status == "approved"
    with unchanged(payment), pytest.raises(TransitionForbidden):
        finance.create_batch([payment], by=getattr(cast, role), execution_date=clock.today())


# --- batches --------------------------------------------------------------------------------------


def test_a_batch_takes_only_approved_payments_and_names_the_others(cast: demo.Cast) -> None:
    ready = approved(cast)[0]
    waiting = advance_of(cast)
    with unchanged(waiting), pytest.raises(RuleViolation) as refused:
        finance.create_batch([ready, waiting], by=cast.finance, execution_date=clock.today())
    assert refused.value.code == "not_approved"
    assert waiting.end_to_end_id in str(refused.value.message)
    assert not PaymentBatch.objects.exists()


def test_a_batch_cannot_be_executed_in_the_past(cast: demo.Cast) -> None:
    payment = approved(cast)[0]
    with unchanged(payment), pytest.raises(RuleViolation) as refused:
        finance.create_batch(
            [payment], by=cast.finance, execution_date=clock.today() - timedelta(days=1)
        )
    assert refused.value.code == "execution_date_past"
    assert_readable(refused.value.message)


def test_a_creditor_without_a_valid_iban_is_refused_by_name(cast: demo.Cast) -> None:
    payment = approved(cast)[0]
    Organisation.objects.filter(pk=cast.organisation.pk).update(iban="DE00123456780000000000")
    with unchanged(payment), pytest.raises(RuleViolation) as refused:
        finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
    assert refused.value.code == "creditor_iban"
    assert cast.organisation.name in str(refused.value.message)
    assert payment.grant.application.reference in str(refused.value.message)


def test_a_payment_waiting_in_a_draft_batch_cannot_go_into_another(cast: demo.Cast) -> None:
    payment = approved(cast)[0]
    first = finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
    with pytest.raises(RuleViolation) as refused:
        finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
    assert refused.value.code == "in_draft_batch"
    assert first.message_id in str(refused.value.message)


def test_message_ids_are_unique_and_at_most_35_characters(cast: demo.Cast) -> None:
    made = [
        finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
        for payment in approved(cast, 3)
    ]
    ids = [batch.message_id for batch in made]
    assert len(set(ids)) == 3
    assert all(len(i) <= 35 and i.startswith(f"MG-{clock.today():%Y%m%d}-") for i in ids)
    assert made[0].debtor_iban == django_settings.MICROGRANTS_DEBTOR_IBAN


def test_the_exported_sepa_file_validates_and_holds_every_line(cast: demo.Cast) -> None:
    payments = approved(cast, 2)
    Organisation.objects.filter(pk=cast.organisation.pk).update(bank_account_holder=AMITIE)
    batch = exported(cast, payments)
    xml = stored(batch, "sepa")

    try_valid_xml(xml, "pain.001.001.09")  # sepaxml's bundled XSD
    root = parse(xml)
    header = root.find(f"{tag('CstmrCdtTrfInitn')}/{tag('GrpHdr')}")
    total = sum(p.amount for p in payments)
    assert header.find(tag("MsgId")).text == batch.message_id
    assert header.find(tag("NbOfTxs")).text == "2" and batch.count == 2
    assert Decimal(header.find(tag("CtrlSum")).text) == total == batch.control_sum
    info = root.find(f"{tag('CstmrCdtTrfInitn')}/{tag('PmtInf')}")
    assert info.find(f"{tag('ReqdExctnDt')}/{tag('Dt')}").text == clock.today().isoformat()
    assert info.find(tag("ChrgBr")).text == "SLEV"
    assert (
        info.find(f"{tag('DbtrAgt')}/{tag('FinInstnId')}/{tag('BICFI')}").text
        == django_settings.MICROGRANTS_DEBTOR_BIC
    )
    lines = {
        element.find(f"{tag('PmtId')}/{tag('EndToEndId')}").text: element
        for element in transactions(xml)
    }
    assert set(lines) == {p.end_to_end_id for p in payments}
    for payment in payments:
        line = lines[payment.end_to_end_id]
        assert Decimal(line.find(f"{tag('Amt')}/{tag('InstdAmt')}").text) == payment.amount
        assert (
            line.find(f"{tag('CdtrAgt')}/{tag('FinInstnId')}/{tag('BICFI')}").text == "COBADEFFXXX"
        )
        assert line.find(f"{tag('Cdtr')}/{tag('Nm')}").text == "Mueller Soehne - Verein Amitie e.V."
        assert (
            line.find(f"{tag('CdtrAcct')}/{tag('Id')}/{tag('IBAN')}").text
            == "DE89370400440532013000"
        )
        assert line.find(f"{tag('RmtInf')}/{tag('Ustrd')}").text.startswith(
            payment.grant.application.reference
        )
        payment.refresh_from_db()
        assert (payment.status, payment.batch_id) == ("exported", batch.pk)
    for kind in ("sepa", "csv", "xlsx"):
        assert hashlib.sha256(stored(batch, kind)).hexdigest() == getattr(batch, f"{kind}_sha256")
    # The database keeps the name as typed; only the file is transliterated.
    assert Organisation.objects.get(pk=cast.organisation.pk).bank_account_holder == AMITIE


def test_csv_and_xlsx_hold_the_same_lines_as_the_xml(cast: demo.Cast) -> None:
    payments = approved(cast, 2)
    batch = exported(cast, payments)
    rows = read_csv(stored(batch, "csv"))
    sheet = load_workbook(io.BytesIO(stored(batch, "xlsx"))).active
    header, *cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == list(rows[0].keys())
    xml_ids = [
        e.find(f"{tag('PmtId')}/{tag('EndToEndId')}").text
        for e in transactions(stored(batch, "sepa"))
    ]
    assert [row["end_to_end_id"] for row in rows] == xml_ids == [row[2] for row in cells]
    assert [Decimal(row["amount"]) for row in rows] == [p.amount for p in payments]
    assert [Decimal(str(row[7])) for row in cells] == [p.amount for p in payments]
    assert {row["message_id"] for row in rows} == {batch.message_id}


def test_the_batch_csv_opens_in_a_spreadsheet_as_the_approvals_export_does(cast: demo.Cast) -> None:  # fmt: skip
    Organisation.objects.filter(pk=cast.organisation.pk).update(bank_account_holder="+Verein -1")
    batch = exported(cast, approved(cast))
    content = stored(batch, "csv")
    assert content.startswith("\ufeff".encode())  # a BOM: Excel reads the accents right
    assert content.decode("utf-8-sig").splitlines()[0].startswith("message_id;execution_date;")
    [row] = read_csv(content)
    assert row["creditor_name"] == "'+Verein -1"  # text, never a formula


def test_the_files_do_not_depend_on_the_clock(cast: demo.Cast) -> None:
    payment = approved(cast)[0]
    batch = finance.create_batch([payment], by=cast.finance, execution_date=clock.today())
    batch.exported_at = clock.now()
    lines = [finance.sepa_line(payment)]
    built = [
        (finance.build_sepa_xml(batch, lines), finance.build_xlsx(batch, lines)) for _ in range(2)
    ]
    with clock.travel_to(clock.today() + timedelta(days=3)):
        built.append((finance.build_sepa_xml(batch, lines), finance.build_xlsx(batch, lines)))
    assert built[0] == built[1] == built[2]


def test_a_batch_is_exported_once_and_its_files_stay_as_they_were(cast: demo.Cast) -> None:
    batch = exported(cast, approved(cast))
    files = {kind: stored(batch, kind) for kind in ("sepa", "csv", "xlsx")}
    with unchanged(batch), pytest.raises(TransitionNotAllowed) as refused:
        finance.export_batch(batch, by=cast.admin)
    assert refused.value.code == "already_exported"
    assert {kind: stored(batch, kind) for kind in files} == files


def test_payments_no_longer_approved_leave_the_draft_at_export(cast: demo.Cast) -> None:
    kept, paid_by_hand = approved(cast, 2)
    batch = finance.create_batch(
        [kept, paid_by_hand], by=cast.finance, execution_date=clock.today()
    )
    grant_services.record_payment_paid(paid_by_hand, by=cast.finance)
    batch = finance.export_batch(batch, by=cast.finance)
    paid_by_hand.refresh_from_db()
    assert (batch.count, batch.control_sum) == (1, kept.amount)
    assert paid_by_hand.batch_id is None and paid_by_hand.status == "paid"
    assert [
        e.find(f"{tag('PmtId')}/{tag('EndToEndId')}").text
        for e in transactions(stored(batch, "sepa"))
    ] == [kept.end_to_end_id]


# --- the bank's answer ----------------------------------------------------------------------------


def test_a_failed_payment_goes_out_again_in_a_new_batch_with_the_same_end_to_end_id(
    cast: demo.Cast,
) -> None:
    returned, fine = approved(cast, 2)
    first = exported(cast, [returned, fine])
    first_files = {kind: stored(first, kind) for kind in ("sepa", "csv", "xlsx")}

    returned = finance.mark_payment_failed(returned, by=cast.finance, reason="AC04 account closed")

    returned.refresh_from_db()
    assert (returned.status, returned.failure_reason) == ("scheduled", "AC04 account closed")
    assert returned.approved_by is None and returned.batch_id == first.pk
    steps = TransitionLog.objects.for_object(returned).values_list("transition", "target")
    assert list(steps)[-2:] == [("fail", "failed"), ("requeue", "scheduled")]
    assert not LedgerEntry.objects.filter(grant=returned.grant, kind="pay").exists()

    finance.approve_payment(returned, by=cast.admin)
    second = exported(cast, [returned])
    again = transactions(stored(second, "sepa"))
    assert [e.find(f"{tag('PmtId')}/{tag('EndToEndId')}").text for e in again] == [
        returned.end_to_end_id
    ]
    first.refresh_from_db()
    assert {kind: stored(first, kind) for kind in first_files} == first_files
    assert (first.count, first.status) == (2, "exported")

    finance.mark_batch_paid(first, by=cast.finance)
    returned.refresh_from_db()
    fine.refresh_from_db()
    assert (fine.status, returned.status) == ("paid", "exported")
    finance.mark_batch_paid(second, by=cast.finance)
    returned.refresh_from_db()
    assert returned.status == "paid"
    assert LedgerEntry.objects.filter(kind="pay", note=returned.end_to_end_id).count() == 1


def test_only_an_exported_payment_fails_and_the_reason_is_required(cast: demo.Cast) -> None:
    payment = approved(cast)[0]
    with unchanged(payment), pytest.raises(TransitionNotAllowed):
        finance.mark_payment_failed(payment, by=cast.finance, reason="returned")
    exported(cast, [payment])
    with unchanged(payment), pytest.raises(Exception) as refused:
        finance.mark_payment_failed(payment, by=cast.finance, reason="   ")
    assert refused.value.code == "no_reason"


def test_marking_a_batch_paid_books_the_ledger_and_issues_the_payment_advice(
    cast: demo.Cast, committed: Any
) -> None:
    payments = approved(cast, 2)
    batch = exported(cast, payments)

    with committed():
        batch = finance.mark_batch_paid(batch, by=cast.finance)

    assert batch.status == "paid" and batch.paid_at is not None
    for payment in payments:
        payment.refresh_from_db()
        assert (payment.status, payment.recorded_paid_by) == ("paid", cast.finance)
        assert payment.paid_at is not None
        entry = LedgerEntry.objects.get(grant=payment.grant, kind="pay")
        assert (entry.amount, entry.note) == (payment.amount, payment.end_to_end_id)
        assert Document.objects.filter(kind="payment_advice", payment=payment).exists()
    with unchanged(batch), pytest.raises(TransitionNotAllowed) as refused:
        finance.mark_batch_paid(batch, by=cast.finance)
    assert refused.value.code == "already_paid"


def test_the_demo_still_pays_scheduled_payments_directly(cast: demo.Cast) -> None:
    grant = demo.drive(cast, "approved", "report_submitted").grant
    advance = grant.payments.get()
    assert advance.status == "paid" and advance.paid_at is not None


# --- the pages ------------------------------------------------------------------------------------


@pytest.fixture
def money_in_every_state(cast: demo.Cast) -> dict[str, Any]:
    """A scheduled payment, an exported batch (with a line that can fail) and an open claim."""
    scheduled = advance_of(cast)
    batch = exported(cast, approved(cast))
    grant = demo.drive(cast, "approved", "report_submitted").grant
    # The project cost less than planned: 2,000 entitled, 3,000 paid, 1,000 to repay.
    Grant.objects.filter(pk=grant.pk).update(
        actual_expenses=Decimal("2500.00"),
        actual_eligible_expenses=Decimal("2500.00"),
        actual_other_income=Decimal("500.00"),
    )
    claim = grant_services.accept_report(grant, by=cast.reviewer2).repayment_claims.get()
    return {"scheduled": scheduled, "batch": batch, "line": batch.payments.get(), "claim": claim}


def finance_requests(world: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    batch, line, claim = world["batch"], world["line"], world["claim"]
    today = clock.today().isoformat()
    return [
        ("get", reverse("finance:payments"), {}),
        ("get", reverse("finance:batches"), {}),
        ("get", reverse("finance:batch", args=[batch.pk]), {}),
        ("get", reverse("finance:repayments"), {}),
        *[
            ("get", reverse("finance:download", args=[batch.pk, kind]), {})
            for kind in ("xml", "csv", "xlsx")
        ],
        ("post", reverse("finance:approve"), {"payment": [world["scheduled"].pk]}),
        (
            "post",
            reverse("finance:create_batch"),
            {"payment": [world["scheduled"].pk], "execution_date": today},
        ),
        ("post", reverse("finance:export", args=[batch.pk]), {"execution_date": today}),
        ("post", reverse("finance:mark_paid", args=[batch.pk]), {}),
        ("post", reverse("finance:payment_failed", args=[line.pk]), {"reason": "AC04"}),
        ("post", reverse("finance:repayment_received", args=[claim.pk]), {}),
    ]


def test_only_finance_officers_and_administrators_reach_the_pages_and_files(
    client: Any, cast: demo.Cast, money_in_every_state: dict[str, Any]
) -> None:
    world = money_in_every_state
    requests = finance_requests(world)
    with unchanged(world["line"]):
        for method, url, data in requests:
            response = getattr(client, method)(url, data)
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("login")), url
        for role in ("applicant", "reviewer", "manager", "funder"):
            client.force_login(getattr(cast, role))
            for method, url, data in requests:
                assert getattr(client, method)(url, data).status_code == 403, (role, method, url)
    assert world["batch"].payments.get().status == "exported"
    for user in (cast.finance, cast.admin):
        client.force_login(user)
        for method, url, _data in requests:
            if method == "get":
                assert client.get(url).status_code == 200, (user, url)


def test_the_pages_carry_their_forms_and_downloads_return_the_stored_bytes(
    client: Any, cast: demo.Cast
) -> None:
    advance_of(cast)
    approved(cast)
    draft = finance.create_batch(approved(cast), by=cast.finance, execution_date=clock.today())
    done = exported(cast, approved(cast))
    finance.mark_payment_failed(done.payments.get(), by=cast.finance, reason="AC04")
    client.force_login(cast.finance)
    page = client.get(reverse("finance:payments")).content.decode()
    assert 'id="approve-form"' in page and 'id="batch-form"' in page
    assert (
        'id="export-form"' in client.get(reverse("finance:batch", args=[draft.pk])).content.decode()
    )
    other = exported(cast, approved(cast))
    assert (
        'id="paid-form"' in client.get(reverse("finance:batch", args=[other.pk])).content.decode()
    )
    for kind, field in (("xml", "sepa"), ("csv", "csv"), ("xlsx", "xlsx")):
        url = reverse("finance:download", args=[other.pk, kind])
        first, second = client.get(url), client.get(url)
        assert first.content == second.content == stored(other, field)
        assert hashlib.sha256(second.content).hexdigest() == getattr(other, f"{field}_sha256")
        assert f"{other.message_id}.{kind}" in first["Content-Disposition"]
    assert client.get(reverse("finance:download", args=[draft.pk, "xml"])).status_code == 404


def test_a_file_changed_after_export_is_not_served(client: Any, cast: demo.Cast) -> None:
    batch = exported(cast, approved(cast))
    with batch.sepa_file.storage.open(batch.sepa_file.name, "wb") as handle:
        handle.write(b"<Document/>")
    client.force_login(cast.finance)
    response = client.get(reverse("finance:download", args=[batch.pk, "xml"]))
    assert response.status_code == 409


def test_approve_selected_checks_each_payment_and_reports_each_refusal(
    client: Any, cast: demo.Cast
) -> None:
    fresh = advance_of(cast)
    already = approved(cast)[0]
    client.force_login(cast.finance)
    response = client.post(reverse("finance:approve"), {"payment": [fresh.pk, already.pk]})
    # Post/redirect/get: reloading the page that follows sends nothing again.
    assert response.status_code == 302 and response.url == reverse("finance:payments")
    page = client.get(response.url)
    outcomes = {outcome["payment"]: outcome for outcome in page.context["outcomes"]}
    assert outcomes[fresh.pk]["ok"] and not outcomes[already.pk]["ok"]
    assert already.end_to_end_id in outcomes[already.pk]["message"]
    assert 'id="approval-results"' in page.content.decode()
    fresh.refresh_from_db()
    assert fresh.status == "approved"
    reloaded = client.get(response.url)
    assert reloaded.context["outcomes"] is None  # shown once


def test_payments_due_are_filtered_and_sorted_by_due_date(
    client: Any, cast: demo.Cast, other_organisation: Organisation, other_applicant: Any
) -> None:
    later = advance_of(cast, requested=Decimal("2000.00"))
    Payment.objects.filter(pk=later.pk).update(due_on=clock.today() + timedelta(days=10))
    soon = advance_of(cast, requested=Decimal("4000.00"))
    french = advance_of(cast, organisation=other_organisation, applicant=other_applicant)
    client.force_login(cast.finance)

    def shown(**query: Any) -> list[int]:
        response = client.get(reverse("finance:payments"), query)
        assert response.status_code == 200
        return [payment.pk for payment in response.context["rows"]]

    assert shown() == [soon.pk, french.pk, later.pk]
    assert shown(country="FR") == [french.pk]
    assert shown(due_by=clock.today().isoformat()) == [soon.pk, french.pk]
    assert shown(amount_from="1000", amount_to="2000") == [later.pk]
    assert shown(programme=soon.grant.programme_id, country="DE") == [soon.pk, later.pk]


def test_a_batch_is_created_from_the_approved_payments_shown(
    client: Any, cast: demo.Cast, other_organisation: Organisation, other_applicant: Any
) -> None:
    german = approved(cast)[0]
    french = finance.approve_payment(
        advance_of(cast, organisation=other_organisation, applicant=other_applicant),
        by=cast.finance,
    )
    client.force_login(cast.finance)
    shown = client.get(reverse("finance:payments"), {"country": "FR"}).context["batchable"]
    assert shown == [french]
    response = client.post(
        reverse("finance:create_batch") + "?country=FR",
        {"payment": [p.pk for p in shown], "execution_date": clock.today().isoformat()},
    )
    batch = PaymentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "finance:batch", args=[batch.pk]
    )
    assert list(batch.payments.all()) == [french]
    german.refresh_from_db()
    assert german.batch_id is None


def test_export_failure_and_payment_go_through_the_batch_page(
    client: Any, cast: demo.Cast, committed: Any
) -> None:
    returned, fine = approved(cast, 2)
    batch = finance.create_batch([returned, fine], by=cast.finance, execution_date=clock.today())
    client.force_login(cast.finance)
    page = reverse("finance:batch", args=[batch.pk])
    today = clock.today().isoformat()

    assert (
        client.post(reverse("finance:export", args=[batch.pk]), {"execution_date": today})[
            "Location"
        ]
        == page
    )
    batch.refresh_from_db()
    assert batch.status == "exported"
    client.post(reverse("finance:payment_failed", args=[returned.pk]), {"reason": "AC04 closed"})
    with committed():
        client.post(reverse("finance:mark_paid", args=[batch.pk]))
    returned.refresh_from_db()
    fine.refresh_from_db()
    batch.refresh_from_db()
    assert (batch.status, fine.status, returned.status) == ("paid", "paid", "scheduled")
    assert Document.objects.filter(kind="payment_advice", payment=fine).exists()
    response = client.post(
        reverse("finance:export", args=[batch.pk]), {"execution_date": today}, follow=True
    )
    assert any("already exported" in str(m) for m in response.context["messages"])


def test_repayment_claims_page_lists_the_open_ones_and_records_one(
    client: Any, cast: demo.Cast, money_in_every_state: dict[str, Any]
) -> None:
    claim = money_in_every_state["claim"]
    client.force_login(cast.finance)
    assert list(client.get(reverse("finance:repayments")).context["claims"]) == [claim]
    client.post(reverse("finance:repayment_received", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == "received"
    assert list(client.get(reverse("finance:repayments")).context["claims"]) == []


def test_finance_pages_do_not_query_per_row(client: Any, cast: demo.Cast) -> None:
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    batch = finance.create_batch(approved(cast, 2), by=cast.finance, execution_date=clock.today())
    advance_of(cast)
    client.force_login(cast.finance)
    urls = [
        reverse("finance:payments"),
        reverse("finance:batches"),
        reverse("finance:batch", args=[batch.pk]),
    ]
    few = [queries(url) for url in urls]
    more = approved(cast, 4)
    Payment.objects.filter(pk__in=[p.pk for p in more]).update(batch=batch)
    for _ in range(3):
        advance_of(cast)
    finance.create_batch(approved(cast, 2), by=cast.finance, execution_date=clock.today())
    assert [queries(url) for url in urls] == few
    assert max(few) <= 12


def test_a_batch_is_exported_and_paid_through_the_one_door_with_its_audit_rows(cast: demo.Cast) -> None:  # fmt: skip
    from workflows.audit import verify_chain

    payments = approved(cast, 2)
    batch = exported(cast, payments)
    finance.mark_batch_paid(batch, by=cast.finance)

    rows = list(TransitionLog.objects.for_object(batch).order_by("pk"))
    assert [(r.transition, r.source, r.target, r.actor) for r in rows] == [
        ("create", "", "draft", cast.finance),
        ("export", "draft", "exported", cast.finance),
        ("pay", "exported", "paid", cast.finance),
    ]
    assert rows[1].payload["count"] == 2 and set(rows[1].payload["sha256"]) == {"sepa", "csv", "xlsx"}  # fmt: skip
    assert sorted(rows[2].payload["paid"]) == sorted(p.end_to_end_id for p in payments)
    assert verify_chain().ok

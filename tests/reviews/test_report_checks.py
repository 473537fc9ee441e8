"""The report check: a reviewer reads the final report beside the plan and its receipts, then
accepts it (the grant is settled) or sends it back for changes.

The demo grant awarded 4,000.00 EUR on a plan of 5,000.00 EUR travel and 1,000.00 EUR own funds;
the advance of 3,000.00 EUR (75 %) was recorded as paid by the finance officer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import reporting
from applications.models import Receipt
from demo import builders as demo
from grants import services as grant_services
from grants.models import (
    REPORT_MESSAGE_MISSING,
    GrantStatus,
    LedgerKind,
    PaymentKind,
    PaymentStatus,
    RepaymentClaim,
)
from reviews import report_checks, services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from tests.support import assert_readable, unchanged
from workflows import clock
from workflows.errors import InvalidInput, TransitionForbidden, WorkflowError
from workflows.models import TransitionLog
from workflows.roles import Role
from workflows.text import LONG_TEXT, LONGEST_REPLY_DAYS, clean_reply_date, clean_text

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def submitted(drive: Callable[..., Any]) -> Any:
    """An application whose grant's final report waits for its check (the task is open)."""
    return drive("approved", "report_submitted")


def check_of(application: Any, round_: int = 1) -> ReviewTask:
    return ReviewTask.objects.get(application=application, kind=TaskKind.REPORT_CHECK, round=round_)


def page(task: ReviewTask) -> str:
    return reverse("reviews:report_check", args=[task.pk])


def accept_data() -> dict[str, str]:
    return {"action": "accept", "accept-confirm": "on", "accept-note": "Belege vollständig."}


def changes_data(
    message: str = "Bitte die Busrechnung hochladen.", days: int = 21
) -> dict[str, str]:
    reply_by = clock.today() + timedelta(days=days)
    return {"action": "request_changes", "changes-message": message, "changes-reply_by": reply_by.isoformat()}  # fmt: skip


def submit_own_report(
    cast: demo.Cast, application: Any, *, travel: Decimal, own_funds: Decimal, receipts: int = 1
) -> Any:
    """The grantee writes and submits a report through the reporting services."""
    grant = application.grant
    lines = [{"side": "expense", "category": "travel", "actual": travel, "comment": "günstiger"}]
    lines.append({"side": "income", "category": "own_funds", "actual": own_funds, "comment": ""})
    share = (travel / receipts).quantize(Decimal("0.01"))
    amounts = [share] * (receipts - 1) + [travel - share * (receipts - 1)]
    rows = [
        {
            "category": "travel",
            "paid_on": grant.project_start,
            "payee": f"Rheinland Reisen {i}",
            "purpose": "Bus Köln–Lyon",
            "amount": amount,
            "upload": SimpleUploadedFile(f"Rechnung {i}.pdf", PDF, content_type="application/pdf"),
        }
        for i, amount in enumerate(amounts)
    ]
    report = reporting.save_report(
        reporting.report_for(grant, by=cast.applicant),
        by=cast.applicant,
        narrative="Zwanzig Mitglieder sind nach Lyon gefahren.",
        results="Ein Gegenbesuch ist geplant.",
        participants={"DE": 12, "FR": 8},
        lines=lines,
        receipts=rows,
    )
    return reporting.submit_report(report, by=cast.applicant)


# --- accepting ------------------------------------------------------------------------------------


def test_accepting_settles_the_grant_with_a_balance_payment_when_actual_costs_match_the_plan(
    client: Any, cast: demo.Cast, submitted: Any, committed: Any
) -> None:
    task = check_of(submitted)
    client.force_login(cast.reviewer)
    shown = client.get(page(task)).content.decode()
    assert "Dreißig Mitglieder beider Vereine" in shown
    assert "Rheinland Reisen GmbH" in shown
    assert "final payment of 1,000.00 EUR" in shown
    assert 'id="accept-report-form"' in shown and 'id="report-changes-form"' in shown

    with committed():
        response = client.post(page(task), accept_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:queue", args=["report_check"])

    grant = submitted.grant
    grant.refresh_from_db()
    assert (grant.status, grant.final_amount, grant.report_accepted_by) == (
        GrantStatus.SETTLED,
        Decimal("4000.00"),
        cast.reviewer,
    )
    balance = grant.payments.get(kind=PaymentKind.BALANCE)
    assert (balance.amount, balance.status) == (Decimal("1000.00"), PaymentStatus.SCHEDULED)
    assert not RepaymentClaim.objects.filter(grant=grant).exists()
    assert not grant.ledger_entries.filter(kind=LedgerKind.RELEASE).exists()  # all 4,000 needed
    task.refresh_from_db()
    assert (task.status, task.outcome, task.assignee) == (
        TaskStatus.DONE,
        "accepted",
        cast.reviewer,
    )
    log = TransitionLog.objects.for_object(grant).get(transition="accept_report")
    assert (log.actor, log.note) == (cast.reviewer, "Belege vollständig.")


def test_accepting_needs_the_confirmation_and_changes_nothing_without_it(
    client: Any, cast: demo.Cast, submitted: Any
) -> None:
    task = check_of(submitted)
    client.force_login(cast.reviewer)
    with unchanged(submitted.grant):
        response = client.post(page(task), {"action": "accept"})
    assert response.status_code == 200
    assert "Please confirm that you have checked the report and the receipts." in response.content.decode()  # fmt: skip
    task.refresh_from_db()
    assert (task.status, task.assignee) == (TaskStatus.OPEN, None)


def test_lower_eligible_costs_end_in_a_repayment_claim_and_release_the_unneeded_budget(
    client: Any, cast: demo.Cast, drive: Any, committed: Any
) -> None:
    application = drive("approved", "report_due")
    with committed():
        submit_own_report(cast, application, travel=Decimal("3000.00"), own_funds=Decimal("0"))
    task = check_of(application)
    client.force_login(cast.reviewer)
    shown = client.get(page(task)).content.decode()
    # min(4,000 awarded, 80 % of 3,000 = 2,400, 3,000 - 0) = 2,400; 3,000 paid already.
    assert "repayment claim of 600.00 EUR" in shown
    assert "günstiger" in shown  # the grantee's comment on the difference

    with committed():
        done = report_checks.accept_report(task, by=cast.reviewer)
    assert (done.status, done.outcome) == (TaskStatus.DONE, "accepted")
    grant = application.grant
    grant.refresh_from_db()
    assert (grant.status, grant.final_amount) == (GrantStatus.SETTLED, Decimal("2400.00"))
    claim = RepaymentClaim.objects.get(grant=grant)
    assert claim.amount == Decimal("600.00")
    assert not grant.payments.filter(kind=PaymentKind.BALANCE).exists()
    released = grant.ledger_entries.filter(kind=LedgerKind.RELEASE).values_list("amount", flat=True)
    assert list(released) == [Decimal("1000.00")]  # 4,000 committed, 3,000 paid and kept


# --- asking for changes ---------------------------------------------------------------------------


def test_request_changes_sends_the_grant_back_to_report_due_and_the_resubmitted_report_opens_round_2(
    client: Any, cast: demo.Cast, submitted: Any, committed: Any
) -> None:
    task = check_of(submitted)
    client.force_login(cast.reviewer)
    with committed():
        response = client.post(page(task), changes_data("Bitte die Busrechnung hochladen."))
    assert response.status_code == 302

    grant = submitted.grant
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REPORT_DUE
    assert grant.report_change_message == "Bitte die Busrechnung hochladen."
    assert grant.report_due_on == clock.today() + timedelta(days=21)
    task.refresh_from_db()
    assert (task.status, task.outcome, task.assignee) == (TaskStatus.DONE, "changes_requested", cast.reviewer)  # fmt: skip
    assert not grant.payments.filter(kind=PaymentKind.BALANCE).exists()

    with committed():
        reporting.submit_report(reporting.report_for(grant, by=cast.applicant), by=cast.applicant)
    second = check_of(submitted, round_=2)
    assert (second.status, second.grant_id) == (TaskStatus.OPEN, grant.pk)
    shown = client.get(page(second)).content.decode()
    assert "round 2" in shown and "Bitte die Busrechnung hochladen." in shown


def test_request_changes_needs_a_message_and_a_future_reply_date(
    client: Any, cast: demo.Cast, submitted: Any
) -> None:
    task = check_of(submitted)
    client.force_login(cast.reviewer)
    with unchanged(submitted.grant):
        empty = client.post(page(task), changes_data(message=" "))
        past = client.post(page(task), changes_data(days=0))
    assert "Please tell the grantee what to change." in empty.content.decode()
    assert "The reply deadline must be a future date." in past.content.decode()
    with unchanged(submitted.grant), pytest.raises(WorkflowError) as refused:
        report_checks.request_report_changes(
            task, by=cast.reviewer, message="", reply_by=clock.today() + timedelta(days=5)
        )
    assert_readable(refused.value.message)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


# --- four eyes, wrong states, wrong people --------------------------------------------------------


def test_the_reviewer_who_recorded_the_advance_payment_is_refused_and_nothing_changes(
    client: Any, cast: demo.Cast, submitted: Any, committed: Any
) -> None:
    # The finance officer who recorded the advance as paid also reviews.
    payer = demo.make_user(cast.finance.username, Role.REVIEWER)
    payer = type(payer).objects.get(pk=payer.pk)
    assert submitted.grant.payments.filter(recorded_paid_by=payer).exists()
    task = check_of(submitted)

    with unchanged(submitted.grant), pytest.raises(report_checks.PayerMayNotAccept) as refused:
        report_checks.accept_report(task, by=payer)
    assert str(refused.value.message) == (
        "You recorded a payment of this grant, so someone else must accept its report."
    )
    task.refresh_from_db()
    assert (task.status, task.assignee) == (TaskStatus.OPEN, None)

    client.force_login(payer)
    shown = client.get(page(task)).content.decode()
    assert "someone else must accept its report" in shown
    assert 'id="accept-report-form"' not in shown
    with unchanged(submitted.grant):
        response = client.post(page(task), accept_data(), follow=True)
    assert "someone else must accept its report" in response.content.decode()

    with committed():
        report_checks.accept_report(task, by=cast.reviewer2)
    submitted.grant.refresh_from_db()
    assert submitted.grant.status == GrantStatus.SETTLED


def test_a_completed_or_closed_check_is_refused_with_a_readable_message(
    cast: demo.Cast, submitted: Any, drive: Any, committed: Any
) -> None:
    task = check_of(submitted)
    with committed():
        report_checks.accept_report(task, by=cast.reviewer)
    for attempt in (
        lambda: report_checks.accept_report(task, by=cast.reviewer),
        lambda: report_checks.request_report_changes(
            task, by=cast.reviewer2, message="Noch was", reply_by=clock.today() + timedelta(days=9)
        ),
    ):
        with unchanged(submitted.grant), pytest.raises(WorkflowError) as refused:
            attempt()
        assert refused.value.code == "task_done"
        assert_readable(refused.value.message)

    # Sent back elsewhere (e.g. from the admin): the task is closed by the side effect.
    other = drive("approved", "report_submitted")
    closed = check_of(other)
    with committed():
        grant_services.request_report_changes(
            other.grant,
            by=cast.reviewer,
            message="Bitte ergänzen.",
            reply_by=clock.today() + timedelta(days=9),
        )
    with unchanged(other.grant), pytest.raises(WorkflowError) as refused:
        report_checks.accept_report(closed, by=cast.reviewer)
    assert refused.value.code == "task_cancelled"
    assert_readable(refused.value.message)


def test_a_check_claimed_by_another_reviewer_or_done_by_a_non_reviewer_is_forbidden(
    cast: demo.Cast, submitted: Any
) -> None:
    task = services.claim(check_of(submitted), by=cast.reviewer2)
    for person in (cast.reviewer, cast.manager, cast.finance, cast.applicant):
        with unchanged(submitted.grant), pytest.raises(TransitionForbidden):
            report_checks.accept_report(task, by=person)
    task.refresh_from_db()
    assert (task.status, task.assignee) == (TaskStatus.CLAIMED, cast.reviewer2)


@pytest.mark.parametrize("role", ["applicant", "finance", "funder"])
def test_applicant_finance_and_funder_get_403_on_get_and_post(
    client: Any, cast: demo.Cast, submitted: Any, role: str
) -> None:
    task = check_of(submitted)
    client.force_login(getattr(cast, role))
    with unchanged(submitted.grant):
        assert client.get(page(task)).status_code == 403
        assert client.post(page(task), accept_data()).status_code == 403


def test_anonymous_is_sent_to_login(client: Any, submitted: Any) -> None:
    task = check_of(submitted)
    for response in (client.get(page(task)), client.post(page(task), accept_data())):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_administrators_read_the_check_but_do_not_act(
    client: Any, cast: demo.Cast, submitted: Any, role: str
) -> None:
    task = check_of(submitted)
    client.force_login(getattr(cast, role))
    shown = client.get(page(task))
    assert shown.status_code == 200
    assert 'id="accept-report-form"' not in shown.content.decode()
    with unchanged(submitted.grant):
        assert client.post(page(task), accept_data()).status_code == 403


def test_a_reviewer_in_conflict_does_not_see_the_check(
    client: Any, cast: demo.Cast, submitted: Any
) -> None:
    services.declare_conflict(submitted, by=cast.reviewer2, note="Mein Verein")
    client.force_login(cast.reviewer2)
    assert client.get(page(check_of(submitted))).status_code == 404


def test_other_tasks_are_not_report_checks(client: Any, cast: demo.Cast, drive: Any) -> None:
    formal = ReviewTask.objects.get(application=drive("submitted"))
    client.force_login(cast.reviewer)
    assert client.get(page(formal)).status_code == 404


# --- what the page shows --------------------------------------------------------------------------


def test_receipts_that_no_longer_add_up_are_highlighted_and_files_can_be_downloaded(
    client: Any, cast: demo.Cast, drive: Any, committed: Any
) -> None:
    application = drive("approved", "report_due")
    with committed():
        submit_own_report(cast, application, travel=Decimal("5000.00"), own_funds=Decimal("1000.00"), receipts=2)  # fmt: skip
    # A receipt corrected afterwards (e.g. in the admin) no longer matches the actual amount.
    first = Receipt.objects.filter(report__grant=application.grant).order_by("position").first()
    assert first is not None
    Receipt.objects.filter(pk=first.pk).update(amount=first.amount - Decimal("100.00"))
    client.force_login(cast.reviewer)
    shown = client.get(page(check_of(application))).content.decode()
    assert 'class="number mismatch"' in shown
    assert "100.00 EUR less than the actual amount" in shown
    link = reverse("applications:attachment_download", args=[first.attachment_id])
    assert f'href="{link}"' in shown
    assert client.get(link).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_query_count_does_not_grow_with_receipts(
    client: Any,
    cast: demo.Cast,
    drive: Any,
    committed: Any,
    count: int,
    django_assert_max_num_queries: Any,
) -> None:
    application = drive("approved", "report_due")
    with committed():
        submit_own_report(cast, application, travel=Decimal("5000.00"), own_funds=Decimal("1000.00"), receipts=count)  # fmt: skip
    task = check_of(application)
    client.force_login(cast.reviewer)
    with django_assert_max_num_queries(16):
        response = client.get(page(task))
    assert response.status_code == 200
    assert response.content.decode().count("attachment") >= count


# --- the step's limits on the page, in the step's words -----------------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)


def refusal(rule: Any, *args: Any, **kwargs: Any) -> str:
    """What the step's own rule says to this input (the transition method calls the same)."""
    with pytest.raises(InvalidInput) as refused:
        rule(*args, **kwargs)
    return str(refused.value.message)


@pytest.mark.parametrize(
    ("message", "days", "field", "words"),
    [
        pytest.param(TOO_LONG, 21, "message", lambda: refusal(clean_text, TOO_LONG), id="message-too-long"),
        pytest.param(" ", 21, "message", lambda: str(REPORT_MESSAGE_MISSING), id="message-missing"),
        pytest.param("Belege?", LONGEST_REPLY_DAYS + 1, "reply_by", lambda: refusal(clean_reply_date, clock.today() + timedelta(days=LONGEST_REPLY_DAYS + 1)), id="reply-after-a-year"),
        pytest.param("Belege?", 0, "reply_by", lambda: refusal(clean_reply_date, clock.today()), id="reply-today"),
    ],
)  # fmt: skip
def test_the_report_check_page_refuses_what_the_step_refuses_beside_the_field_in_its_words(
    client: Any, cast: demo.Cast, submitted: Any, message: str, days: int, field: str, words: Any
) -> None:
    task = check_of(submitted)
    client.force_login(cast.reviewer)
    with unchanged(submitted.grant):
        response = client.post(page(task), changes_data(message, days))
    assert response.status_code == 200
    assert response.context["changes_form"].errors[field] == [words()]
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN

"""An interim report from the policy to the money: the grant owes it when its programme says, the
grantee writes and sends it, a reviewer accepts it from the queue, and the tranche that waits for
it is scheduled once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format

from applications.models import Application
from applications.selectors import next_step, timeline_for_applicant
from demo import builders as demo
from demo.interim import write_interim_report
from grants import services as grant_services
from grants.models import Grant, Payment, PaymentStatus, PaymentTrigger
from interim import services
from interim.models import InterimReport, InterimStatus
from reviews import interim_checks
from reviews.models import ReviewTask, TaskKind, TaskStatus
from tests.interim.conftest import AMOUNT
from workflows import clock
from workflows.audit import verify_chain
from workflows.errors import TransitionForbidden, TransitionNotAllowed, WorkflowError
from workflows.models import TransitionLog


def test_the_grant_owes_its_interim_report_halfway_through_the_project(grant):
    # The demo's category 3: 50 % of a project of five days -> two days after the start.
    assert grant.interim_report_due_on == grant.project_start + timedelta(days=2)
    step = next_step(grant.application)
    assert (step.deadline, step.action) == (grant.interim_report_due_on, "interim:report")


def test_a_programme_without_interim_reports_owes_none(cast, drive):
    grant = Grant.objects.get(application=drive("approved", "accepted"))  # category 1

    assert grant.interim_report_due_on is None
    with pytest.raises(WorkflowError, match="no interim report"):
        services.interim_report_for(grant, by=cast.applicant)


def test_accepting_the_report_releases_the_tranche_once(cast, grant, committed):
    with committed():
        report = write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    assert (report.status, task.status) == (InterimStatus.SUBMITTED, TaskStatus.OPEN)
    sent = TransitionLog.objects.for_object(report).get(transition="submit")
    assert sent.payload["spent"] == "7500.00"  # half of the plan's 15,000 EUR of expenses

    with committed():
        interim_checks.accept_interim_report(task, by=cast.reviewer)

    report.refresh_from_db()
    assert (report.status, report.accepted_by) == (InterimStatus.ACCEPTED, cast.reviewer)
    instalment = Payment.objects.get(grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)
    assert (instalment.kind, instalment.amount, instalment.status) == (
        "instalment",
        Decimal("3000.00"),
        PaymentStatus.SCHEDULED,
    )
    accepted = TransitionLog.objects.for_object(report).get(transition="accept")
    assert accepted.payload["tranche"] == "3000.00"
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.DONE, "accepted")
    # Once: neither a second release nor a second acceptance pays again.
    assert grant_services.release_interim_tranche(grant, by=cast.reviewer) is None
    with pytest.raises(TransitionNotAllowed):
        services.accept_interim_report(report, by=cast.reviewer2)
    assert Payment.objects.filter(grant=grant).count() == 2
    # The grantee hears of it, and the history says it.
    assert any("Zwischenbericht angenommen" in m.subject for m in mail.outbox)  # in German
    labels = [entry.label for entry in timeline_for_applicant(grant.application)]
    assert labels[-2:] == ["Interim report sent", "Interim report accepted"]
    assert verify_chain().ok


def test_the_final_settlement_counts_the_interim_instalment(cast, grant, committed):
    for payment in grant.payments.all():
        grant_services.record_payment_paid(payment, by=cast.finance)
    with committed():
        report = write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    with committed():
        interim_checks.accept_interim_report(task, by=cast.reviewer)
    instalment = Payment.objects.get(grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)
    grant_services.record_payment_paid(instalment, by=cast.finance)  # 6,000 + 3,000 paid
    grant.refresh_from_db()
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        grant = grant_services.end_project(grant)
    with clock.travel_to(grant.project_end + timedelta(days=10)):
        grant = demo.submit_demo_report(grant, by=cast.applicant, requested=AMOUNT)
        grant = grant_services.accept_report(grant, by=cast.reviewer2)

    # The entitlement is the grant's own rule; the balance counts what the interim report paid.
    assert grant.final_amount == AMOUNT
    balance = grant.payments.get(kind="balance")
    assert balance.amount == Decimal("3000.00")
    report.refresh_from_db()
    assert report.status == InterimStatus.ACCEPTED


def test_the_settlement_closes_a_report_still_waiting_and_pays_its_tranche_as_balance(
    cast, grant, committed
):
    for payment in grant.payments.all():
        grant_services.record_payment_paid(payment, by=cast.finance)
    with committed():
        report = write_interim_report(grant, by=cast.applicant)
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        grant = grant_services.end_project(grant)
    with clock.travel_to(grant.project_end + timedelta(days=10)), committed():
        grant = demo.submit_demo_report(grant, by=cast.applicant, requested=AMOUNT)
        grant = grant_services.accept_report(grant, by=cast.reviewer2)

    report.refresh_from_db()
    assert report.status == InterimStatus.CLOSED
    assert not ReviewTask.objects.filter(
        grant=grant, kind=TaskKind.INTERIM_CHECK, status__in=["open", "claimed"]
    ).exists()
    assert grant.payments.get(kind="balance").amount == Decimal("6000.00")
    assert not grant.payments.filter(trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED).exists()


def test_changes_requested_then_sent_again_opens_a_new_round(cast, grant, committed):
    with committed():
        report = write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    with committed():
        interim_checks.request_interim_changes(
            task,
            by=cast.reviewer,
            message="Bitte die Ausgaben für die Unterkunft erläutern.",
            reply_by=clock.today() + timedelta(days=10),
        )
    report.refresh_from_db()
    assert report.status == InterimStatus.CHANGES_REQUESTED
    assert report.deadline == clock.today() + timedelta(days=10)
    assert any("Änderungen am Zwischenbericht erbeten" in m.subject for m in mail.outbox)
    step = next_step(Application.objects.get(pk=grant.application_id))
    assert (step.deadline, step.action) == (report.reply_by, "interim:report")

    with committed():
        services.save_interim_report(
            report,
            by=cast.applicant,
            progress=report.progress + "\nDie Herberge kostete mehr als geplant.",
            spending=[{"category": "travel", "amount": Decimal("8000.00"), "comment": "Herberge"}],
        )
        report = services.submit_interim_report(report, by=cast.applicant)

    assert report.status == InterimStatus.SUBMITTED
    rounds = list(
        ReviewTask.objects.filter(grant=grant, kind=TaskKind.INTERIM_CHECK)
        .order_by("round")
        .values_list("round", "status", "outcome")
    )
    assert rounds == [(1, "done", "changes_requested"), (2, "open", "")]
    # No money moves before an acceptance.
    assert not Payment.objects.filter(trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED).exists()


def test_only_the_grantees_members_write_and_send(cast, grant, other_applicant):
    for outsider in (other_applicant, cast.reviewer, cast.manager, cast.admin):
        with pytest.raises(TransitionForbidden):
            services.interim_report_for(grant, by=outsider)
    report = write_interim_report(grant, by=cast.applicant, send=False)
    for outsider in (other_applicant, cast.manager):
        with pytest.raises(TransitionForbidden):
            services.submit_interim_report(report, by=outsider)
    assert InterimReport.objects.get(pk=report.pk).status == InterimStatus.DRAFT


def test_a_sent_report_can_no_longer_be_changed(cast, grant):
    report = write_interim_report(grant, by=cast.applicant)

    with pytest.raises(WorkflowError, match="has been sent and is being checked"):
        services.save_interim_report(report, by=cast.applicant, progress="Anders", spending=[])


def test_the_report_is_written_only_while_the_project_runs(cast, drive):
    offered = Grant.objects.get(application=drive("approved", "offered", requested=AMOUNT))
    ended = Grant.objects.get(application=drive("approved", "report_due", requested=AMOUNT))

    assert offered.interim_report_due_on is None  # set when the offer is accepted
    assert ended.interim_report_due_on is not None
    with pytest.raises(WorkflowError, match="The project has ended"):
        services.interim_report_for(ended, by=cast.applicant)


def test_the_grant_agreement_names_the_interim_report_and_its_tranche(cast, grant):
    from applications.documents import approval_context, render_html

    context = approval_context(grant.application, grant=grant)
    html = render_html("approval", context)

    assert context["interim_report_due_on"] == grant.interim_report_due_on
    assert 'id="interim-duty"' in html
    with translation.override("de"):
        assert date_format(grant.interim_report_due_on, "DATE_FORMAT") in html
    assert [t.trigger for t in context["tranches"]] == [
        "acceptance",
        "interim_report_accepted",
        "report_accepted",
    ]
    plain = Grant.objects.get(application=demo.drive(cast, "approved", "offered"))
    assert 'id="interim-duty"' not in render_html(
        "approval", approval_context(plain.application, grant=plain)
    )


def test_the_funder_side_names_the_interim_states_as_the_interim_app_does():
    from grants import models as grant_models

    assert grant_models.INTERIM_NOT_SENT == InterimStatus.DRAFT
    assert grant_models.INTERIM_CHANGES_REQUESTED == InterimStatus.CHANGES_REQUESTED
    assert grant_models.INTERIM_ACCEPTED == InterimStatus.ACCEPTED


def test_sync_review_tasks_reopens_a_check_a_failed_side_effect_left_undone(cast, grant):
    from django.core.management import call_command

    report = write_interim_report(grant, by=cast.applicant)  # side effects not run: no task
    assert not ReviewTask.objects.filter(grant=grant, kind=TaskKind.INTERIM_CHECK).exists()

    call_command("sync_review_tasks", stdout=StringIO())

    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    assert (task.status, task.round) == (TaskStatus.OPEN, 1)
    services.request_interim_changes(
        report,
        by=cast.reviewer,
        message="Bitte ergänzen.",
        reply_by=clock.today() + timedelta(days=5),
    )
    call_command("sync_review_tasks", stdout=StringIO())
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED  # the report no longer waits for its check

"""The pages of the interim report: the grantee writes and sends it beside the grant, with the
documents' upload rules; bad input is refused in words and what was typed stays; a reviewer checks
it in the review workspace; nobody outside the rules learns it exists."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications.models import Attachment, AttachmentPurpose
from demo import builders as demo
from demo.interim import write_interim_report
from grants import services as grant_services
from grants.models import Grant, Payment, PaymentTrigger
from interim.models import InterimReport, InterimSpending, InterimStatus
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind
from tests.interim.conftest import client_of
from workflows.models import TransitionLog
from workflows.roles import Role

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n" + b"%" * 200 + b"\ntrailer <<>>\n%%EOF\n"


def page_of(grant: Grant) -> str:
    return reverse("interim:report", args=[grant.application_id])


def typed(**changes: str) -> dict[str, str]:
    """The form as the grantee fills it: the progress, travel and a stay (a category the plan
    does not have, in the empty row)."""
    data = {
        "progress": "Das erste Treffen in Lyon hat stattgefunden.",
        "spending-TOTAL_FORMS": "2",
        "spending-INITIAL_FORMS": "1",
        "spending-MIN_NUM_FORMS": "0",
        "spending-MAX_NUM_FORMS": "6",
        "spending-0-category": "travel",
        "spending-0-amount": "4.200,50",
        "spending-0-comment": "Bus Köln–Lyon",
        "spending-1-category": "stay",
        "spending-1-amount": "800",
        "spending-1-comment": "Herberge",
        "action": "save",
    }
    data.update(changes)
    return data


def test_the_grant_page_says_when_the_interim_report_is_due(cast, grant):
    client = client_of(cast.applicant)

    page = client.get(reverse("applications:grant", args=[grant.application_id]))

    text = page.content.decode()
    assert 'id="interim-panel-due"' in text
    assert "Write the interim report" in text
    assert "An instalment of the payment plan is paid once the fund accepts the interim report." in text  # fmt: skip


def test_the_grantee_saves_then_sends_the_report(cast, grant, committed):
    client = client_of(cast.applicant)
    assert client.get(page_of(grant)).status_code == 200

    saved = client.post(page_of(grant), typed())

    assert saved.status_code == 302
    report = InterimReport.objects.get(grant=grant)
    lines = dict(report.spending.values_list("category", "amount"))
    assert lines == {"travel": Decimal("4200.50"), "stay": Decimal("800.00")}
    assert report.status == InterimStatus.DRAFT
    with committed():
        sent = client.post(page_of(grant), typed(action="submit"))
    assert sent.status_code == 302
    report.refresh_from_db()
    assert report.status == InterimStatus.SUBMITTED
    assert ReviewTask.objects.filter(grant=grant, kind=TaskKind.INTERIM_CHECK).exists()
    # Sent, it is read-only for the grantee too.
    page = client.get(page_of(grant)).content.decode()
    assert 'id="interim-form"' not in page
    assert "Das erste Treffen in Lyon hat stattgefunden." in page


@pytest.mark.parametrize(
    ("spoil", "field", "message"),
    [
        ({"spending-0-amount": "zwölf"}, "spending-0-amount", "please enter an amount in euros"),
        ({"spending-0-amount": "-5"}, "spending-0-amount", "cannot be negative"),
        ({"spending-0-amount": "12.345"}, "spending-0-amount", "at most two decimals"),
        ({"spending-1-category": "travel"}, "spending-1-category", "listed twice"),
        ({"progress": "Treffen\x00Lyon"}, "progress", "Null characters are not allowed"),
        ({"spending-0-comment": "x" * 301}, "spending-0-comment", "at most 300 characters"),
    ],
)
def test_bad_input_is_refused_in_words_and_what_was_typed_stays(cast, grant, spoil, field, message):
    client = client_of(cast.applicant)
    client.get(page_of(grant))  # the draft, with a row per planned category
    data = typed(**spoil)

    answer = client.post(page_of(grant), data)

    assert answer.status_code == 400
    text = answer.content.decode()
    assert message in text
    assert f'id="id_{field}"' in text
    # Every other typed value is still in the form.
    for name in ("spending-0-comment", "spending-1-amount", "progress"):
        if name not in spoil and name != field:
            assert data[name] in text, name
    report = InterimReport.objects.get(grant=grant)
    assert report.progress == ""  # nothing was saved
    assert not InterimSpending.objects.filter(report=report, amount__gt=0).exists()


def test_sending_without_the_progress_is_refused_and_the_figures_are_kept(cast, grant):
    client = client_of(cast.applicant)

    answer = client.post(page_of(grant), typed(progress="  ", action="submit"))

    assert answer.status_code == 400
    assert "Please describe how the project is going so far." in answer.content.decode()
    report = InterimReport.objects.get(grant=grant)
    assert report.status == InterimStatus.DRAFT
    assert report.spending.get(category="travel").amount == Decimal("4200.50")


def test_documents_follow_the_upload_rules_and_freeze_once_sent(cast, grant):
    client = client_of(cast.applicant)
    upload_url = reverse("applications:attachment_upload", args=[grant.application_id])
    write_interim_report(grant, by=cast.applicant, send=False)

    client.post(
        upload_url,
        {
            "purpose": AttachmentPurpose.INTERIM_REPORT,
            "file": SimpleUploadedFile("Programm.pdf", PDF, "application/pdf"),
            "next": page_of(grant),
        },
    )
    refused = client.post(
        upload_url,
        {
            "purpose": AttachmentPurpose.INTERIM_REPORT,
            "file": SimpleUploadedFile("Programm.pdf", b"MZ\x90\x00" * 100),
        },
        follow=True,
    )

    documents = Attachment.objects.filter(purpose=AttachmentPurpose.INTERIM_REPORT)
    assert list(documents.values_list("original_name", flat=True)) == ["Programm.pdf"]
    assert "This kind of file is not accepted." in refused.content.decode()
    assert "Programm.pdf" in client.get(page_of(grant)).content.decode()
    report = InterimReport.objects.get(grant=grant)
    from interim import services

    services.submit_interim_report(report, by=cast.applicant)
    late = client.post(
        upload_url,
        {
            "purpose": AttachmentPurpose.INTERIM_REPORT,
            "file": SimpleUploadedFile("Nachtrag.pdf", PDF, "application/pdf"),
        },
        follow=True,
    )
    assert "has been sent and is being checked" in late.content.decode()
    assert documents.count() == 1


def test_another_organisation_and_funders_find_nothing(cast, grant, other_applicant, committed):
    with committed():
        write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    for outsider in (other_applicant, cast.funder):
        client = client_of(outsider)
        assert client.get(page_of(grant)).status_code == 404
        assert client.post(page_of(grant), typed()).status_code == 404
        assert (
            "interim-report"
            not in client.get(
                reverse("applications:grant", args=[grant.application_id])
            ).content.decode()
        )
    assert (
        client_of(other_applicant).get(reverse("reviews:interim_check", args=[task.pk])).status_code
        == 403
    )


def test_staff_read_what_was_sent_but_never_a_draft_and_never_write(cast, grant):
    write_interim_report(grant, by=cast.applicant, progress="Entwurf Zxdraftq", send=False)
    manager = client_of(cast.manager)

    draft_page = manager.get(page_of(grant))
    assert draft_page.status_code == 200
    assert "Zxdraftq" not in draft_page.content.decode()
    assert "The grantee has not sent the interim report yet." in draft_page.content.decode()
    assert manager.post(page_of(grant), typed()).status_code == 403

    report = InterimReport.objects.get(grant=grant)
    from interim import services

    services.submit_interim_report(report, by=cast.applicant)
    assert "Zxdraftq" in manager.get(page_of(grant)).content.decode()


def test_the_reviewer_accepts_from_the_queue_and_the_tranche_is_listed(cast, grant, committed):
    with committed():
        write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    client = client_of(cast.reviewer)
    queue = client.get(reverse("reviews:queue", args=[TaskKind.INTERIM_CHECK]))
    assert grant.application.reference in queue.content.decode()
    page = client.get(reverse("reviews:interim_check", args=[task.pk]))
    assert "Accepting the report releases an instalment of 3,000.00" in page.content.decode()

    unconfirmed = client.post(
        reverse("reviews:interim_check", args=[task.pk]), {"action": "accept"}
    )
    assert "Please confirm that you have read the interim report." in unconfirmed.content.decode()
    with committed():
        done = client.post(
            reverse("reviews:interim_check", args=[task.pk]),
            {"action": "accept", "accept-confirm": "on"},
        )

    assert done.status_code == 302
    assert Payment.objects.get(grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)
    grant_page = client_of(cast.applicant).get(
        reverse("applications:grant", args=[grant.application_id])
    )
    assert 'id="interim-panel-payment"' in grant_page.content.decode()


def test_a_reviewer_in_conflict_sees_nothing_and_cannot_act(cast, grant, committed):
    with committed():
        report = write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    review_services.declare_conflict(grant.application, by=cast.reviewer2)
    client = client_of(cast.reviewer2)

    assert client.get(reverse("reviews:interim_check", args=[task.pk])).status_code == 404
    assert client.get(page_of(grant)).status_code == 404
    queue = client.get(reverse("reviews:queue", args=[TaskKind.INTERIM_CHECK]))
    assert grant.application.reference not in queue.content.decode()
    from interim import services
    from workflows.errors import TransitionForbidden

    with pytest.raises(TransitionForbidden):
        services.accept_interim_report(report, by=cast.reviewer2)
    with pytest.raises(review_services.NothingToClaim):
        review_services.claim_next(cast.reviewer2, TaskKind.INTERIM_CHECK)
    assert not TransitionLog.objects.for_object(report).filter(transition="accept").exists()


def test_who_recorded_a_payment_may_not_accept(cast, grant, committed):
    two_hats = demo.make_user("zweihut", Role.REVIEWER, Role.FINANCE)
    grant_services.record_payment_paid(grant.payments.get(), by=two_hats)
    with committed():
        write_interim_report(grant, by=cast.applicant)
    task = ReviewTask.objects.get(grant=grant, kind=TaskKind.INTERIM_CHECK)
    client = client_of(two_hats)

    page = client.get(reverse("reviews:interim_check", args=[task.pk]))
    assert 'id="interim-check-payer"' in page.content.decode()
    refused = client.post(
        reverse("reviews:interim_check", args=[task.pk]),
        {"action": "accept", "accept-confirm": "on"},
        follow=True,
    )

    assert "someone else must accept its interim report" in refused.content.decode()
    assert not Payment.objects.filter(trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED).exists()


def test_who_accepted_the_report_may_not_approve_its_instalment(cast, grant, committed):
    from demo.interim import accept_through_the_queue
    from grants import finance
    from workflows.errors import WorkflowError

    two_hats = demo.make_user("zweihut", Role.REVIEWER, Role.FINANCE)
    report = write_interim_report(grant, by=cast.applicant)
    accept_through_the_queue(report, reviewer=two_hats)
    instalment = Payment.objects.get(trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)

    with pytest.raises(WorkflowError, match="You accepted the interim report"):
        finance.approve_payment(instalment, by=two_hats)
    assert finance.approve_payment(instalment, by=cast.finance).status == "approved"

"""The pages of a request for change: the grantee asks on the grant page, writes and sends it;
a manager decides it in the queue; the amendment letter is a bilingual PDF."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from pypdf import PdfReader

from amendments.models import Amendment, AmendmentStatus
from applications.models import Application, Document, DocumentKind
from demo import builders as demo
from demo.amendments import request_change
from grants.models import Grant

RENDERS_PDF = True


@pytest.fixture
def grant(cast: demo.Cast, drive: Any) -> Grant:
    return Grant.objects.get(application=drive("approved", "accepted"))


def client_of(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def form_data(
    grant: Grant,
    *,
    end: date | None = None,
    amount: str = "4400.00",
    send: bool = False,
    reason: str = "Eine Nacht mehr in Lyon.",
) -> dict[str, str]:
    """The request form as the grantee fills it: the period, the amount, travel and a stay,
    own funds, the partner."""
    data = {
        "start_date": grant.project_start.isoformat(),
        "end_date": (end or grant.project_end).isoformat(),
        "amount": amount,
        "reason": reason,
        "expenses-TOTAL_FORMS": "2",
        "expenses-INITIAL_FORMS": "0",
        "expenses-0-category": "travel",
        "expenses-0-purpose": "Bus Köln–Lyon, 30 Personen",
        "expenses-0-quantity": "1",
        "expenses-0-unit_cost": "5000.00",
        "expenses-0-eligible": "on",
        "expenses-1-category": "stay",
        "expenses-1-purpose": "Herberge Lyon",
        "expenses-1-quantity": "1",
        "expenses-1-unit_cost": "500.00",
        "expenses-1-eligible": "on",
        "incomes-TOTAL_FORMS": "1",
        "incomes-INITIAL_FORMS": "0",
        "incomes-0-category": "own_funds",
        "incomes-0-purpose": "Eigenmittel",
        "incomes-0-amount": "1100.00",
        "partners-TOTAL_FORMS": "1",
        "partners-INITIAL_FORMS": "0",
        "partners-0-name": "Comité de jumelage Lyon",
        "partners-0-country": "FR",
        "partners-0-city": "Lyon",
        "partners-0-contact_email": "",
    }
    data["send" if send else "save"] = "1"
    return data


def test_the_grantee_asks_on_the_grant_page_writes_and_sends_the_request(cast, grant):
    client = client_of(cast.applicant)
    page = client.get(reverse("applications:grant", args=[grant.application_id]))
    assert b"Ask for a change" in page.content

    started = client.post(reverse("amendments:start", args=[grant.application_id]))
    amendment = Amendment.objects.get(grant=grant)
    assert started.url == reverse("amendments:detail", args=[amendment.pk])
    form = client.get(started.url)
    assert form.status_code == 200 and b"amendment-form" in form.content

    sent = client.post(started.url, form_data(grant, send=True))

    assert sent.status_code == 302, sent.content.decode()[:2000]
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.SUBMITTED
    assert amendment.amount == Decimal("4400.00")
    assert [line["category"] for line in amendment.budget_lines] == ["travel", "stay", "own_funds"]
    grant_page = client.get(reverse("applications:grant", args=[grant.application_id]))
    assert b"Change no. 1" in grant_page.content and b"Ask for a change" not in grant_page.content


def test_an_end_before_the_start_is_refused_on_the_page_and_what_was_typed_stays(cast, grant):
    client = client_of(cast.applicant)
    client.post(reverse("amendments:start", args=[grant.application_id]))
    amendment = Amendment.objects.get(grant=grant)
    url = reverse("amendments:detail", args=[amendment.pk])

    data = form_data(grant, end=grant.project_start - timedelta(days=2), reason="Zxtypedq")
    refused = client.post(url, data)

    assert refused.status_code == 400
    assert b"cannot end before it starts" in refused.content
    assert b"Zxtypedq" in refused.content and b"Herberge Lyon" in refused.content
    amendment.refresh_from_db()
    assert (amendment.end_date, amendment.reason) == (grant.project_end, "")


def test_a_request_the_rules_refuse_is_saved_and_the_page_says_why(cast, grant):
    client = client_of(cast.applicant)
    client.post(reverse("amendments:start", args=[grant.application_id]))
    amendment = Amendment.objects.get(grant=grant)
    url = reverse("amendments:detail", args=[amendment.pk])

    # 4,600 is more than 80 % of the eligible 5,500, and the plan no longer balances.
    refused = client.post(url, form_data(grant, amount="4600.00", send=True))

    assert refused.status_code == 400
    assert b"cannot be sent yet" in refused.content
    assert b"more than 80" in refused.content
    amendment.refresh_from_db()
    assert (amendment.status, amendment.amount) == (AmendmentStatus.DRAFT, Decimal("4600.00"))


def test_a_manager_decides_in_the_queue_and_the_grant_follows(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("4400.00"))
    manager = client_of(cast.manager)

    queue = manager.get(reverse("amendments:queue"))
    assert queue.status_code == 200
    assert grant.application.reference.encode() in queue.content
    page = manager.get(reverse("amendments:decision", args=[amendment.pk]))
    assert page.status_code == 200 and b"amendment-approve" in page.content

    done = manager.post(
        reverse("amendments:decision", args=[amendment.pk]),
        {"decision": "approve", "approve-conditions": ""},
    )

    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.amount_awarded == Decimal("4400.00")
    assert Amendment.objects.get(pk=amendment.pk).status == AmendmentStatus.APPROVED


def test_a_rejection_needs_reasons_and_a_reviewer_may_not_open_the_queue(cast, grant):
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("4400.00"))
    manager = client_of(cast.manager)

    empty = manager.post(reverse("amendments:decision", args=[amendment.pk]), {"decision": "reject", "reject-reasons": " "})  # fmt: skip

    assert empty.status_code == 400
    assert Amendment.objects.get(pk=amendment.pk).status == AmendmentStatus.SUBMITTED
    assert client_of(cast.reviewer).get(reverse("amendments:queue")).status_code == 403
    assert client_of(cast.applicant).get(reverse("amendments:queue")).status_code == 403


def test_staff_do_not_see_a_draft_and_another_organisation_sees_nothing(
    cast, grant, other_applicant
):
    draft = request_change(grant, by=cast.applicant, amount=Decimal("4400.00"), send=False)
    url = reverse("amendments:detail", args=[draft.pk])

    assert client_of(cast.applicant).get(url).status_code == 200
    assert client_of(cast.manager).get(url).status_code == 404
    assert client_of(other_applicant).get(url).status_code == 404


def test_the_queue_reads_a_fixed_number_of_queries(cast, drive, django_assert_max_num_queries):
    for _ in range(3):
        grant = Grant.objects.get(application=drive("approved", "accepted"))
        request_change(grant, by=cast.applicant, amount=Decimal("4400.00"))
    manager = client_of(cast.manager)
    manager.get(reverse("amendments:queue"))  # sessions, content types: cached afterwards

    with django_assert_max_num_queries(30):
        page = manager.get(reverse("amendments:queue"))

    assert page.content.count(b"/review/amendments/") >= 3


def pdf_text(document: Document) -> str:
    with document.file.open("rb") as handle:
        text = " ".join(page.extract_text() for page in PdfReader(handle).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.mark.parametrize("language", ["de", "fr"])
def test_the_amendment_letter_is_bilingual_with_the_new_plan(cast, grant, committed, language):
    Application.objects.filter(pk=grant.application_id).update(language=language)
    new_end = grant.project_end + timedelta(days=7)
    amendment = request_change(grant, by=cast.applicant, amount=Decimal("4400.00"), end=new_end, shift=Decimal("500.00"))  # fmt: skip

    with committed():
        from amendments import services

        services.approve_amendment(amendment, by=cast.manager)

    letter = Document.objects.get(kind=DocumentKind.AMENDMENT)
    assert letter.language == language
    text = pdf_text(letter)
    other = "fr" if language == "de" else "de"
    amounts = {"de": "4.400,00 EUR", "fr": "4 400,00 EUR"}
    for code in (language, other):
        with translation.override(code):
            end = " ".join(formats.date_format(new_end, "DATE_FORMAT").replace("\xa0", " ").split())
        assert amounts[code] in text, code
        assert end in text, code
    assert text.index(amounts[language]) < text.index(amounts[other])
    assert "Änderung" in text and "avenant" in text.lower()


def test_a_manager_decides_in_the_admin_through_the_one_table(cast, grant):
    from amendments.transitions import AMENDMENT_TRANSITIONS

    amendment = request_change(grant, by=cast.applicant, end=grant.project_end + timedelta(days=3))
    manager = client_of(cast.manager)
    change = manager.get(reverse("admin:amendments_amendment_change", args=[amendment.pk]))
    assert change.status_code == 200
    assert str(AMENDMENT_TRANSITIONS["approve"].label).encode() in change.content

    done = manager.post(
        reverse("admin:amendments_amendment_transition", args=[amendment.pk, "reject"]),
        {"reasons": "Der Zeitraum reicht.", "note": ""},
    )

    assert done.status_code == 302
    amendment.refresh_from_db()
    assert (amendment.status, amendment.decision_note) == ("rejected", "Der Zeitraum reicht.")
    # The grantee's own steps are not the admin's: they are not in its table.
    assert set(AMENDMENT_TRANSITIONS) == {"approve", "reject"}
    assert manager.get(reverse("admin:amendments_amendment_transition", args=[amendment.pk, "submit"])).status_code == 404  # fmt: skip

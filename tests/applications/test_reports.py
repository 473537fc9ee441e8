"""The final report (Verwendungsnachweis): the grantee writes it, sees what it means, submits it.

The demo grant asked for 4,000.00 EUR on a plan of 5,000.00 EUR travel and 1,000.00 EUR own
funds; the advance of 3,000.00 EUR (75 %) has been paid. The project ran for five days, ending
about two months ago, and the report is due.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from applications import reporting
from applications.models import Attachment, Receipt, Report, ReportLine
from demo import builders as demo
from grants import services as grant_services
from grants.models import GrantStatus
from tests.support import assert_readable
from workflows import clock
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.models import TransitionLog

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def due(cast: demo.Cast) -> Any:
    """An application whose grant waits for its final report."""
    return demo.drive(cast, "approved", "report_due")


def url(name: str, application: Any) -> str:
    return reverse(f"applications:{name}", args=[application.pk])


def page_values(response: Any) -> dict[str, Any]:
    """Every field of the edit page as the browser would send it back untouched."""
    forms = response.context["forms"]
    data: dict[str, Any] = {}
    for field in forms.form:
        data[field.html_name] = field.value() or ""
    for formset in (forms.participants, forms.lines, forms.receipts):
        for field in formset.management_form:
            data[field.html_name] = field.value()
        for form in formset.forms:
            for field in form:
                value = field.value()
                if field.name != "file" and value not in (None, False, ""):
                    data[field.html_name] = value
    return data


def with_receipts(data: dict[str, Any], *rows: dict[str, Any], start: int = 0) -> dict[str, Any]:
    """The data with receipt rows filled in from row `start` on (extra rows are offered)."""
    for i, row in enumerate(rows, start=start):
        for name, value in row.items():
            data[f"receipts-{i}-{name}"] = value
    total = int(data["receipts-TOTAL_FORMS"])
    data["receipts-TOTAL_FORMS"] = str(max(total, start + len(rows)))
    return data


def receipt(day: Any, amount: str, payee: str = "Rheinland Reisen GmbH", **extra: Any) -> dict:
    return {
        "paid_on": day.isoformat(),
        "category": "travel",
        "payee": payee,
        "purpose": "Bus Köln–Lyon",
        "amount": amount,
        **extra,
    }


def line(data: dict[str, Any], category: str) -> str:
    """The prefix of the row of `category` ("expense:travel") in the lines formset."""
    for key, value in data.items():
        if key.startswith("lines-") and key.endswith("-category") and value == category:
            return key[: -len("category")]
    raise AssertionError(f"no row for {category}")


def edit_page(client: Any, application: Any) -> tuple[Any, dict[str, Any]]:
    response = client.get(url("report", application))
    assert response.status_code == 200
    assert response.templates[0].name == "applications/report/edit.html"
    return response, page_values(response)


def fill(client: Any, application: Any, *, travel: str, own_funds: str, receipts: list) -> Any:
    """One save of the whole report from the edit page, as a grantee would type it."""
    _response, data = edit_page(client, application)
    data["narrative"] = "Dreißig Mitglieder waren eine Woche in Lyon."
    data[line(data, "expense:travel") + "actual"] = travel
    data[line(data, "income:own_funds") + "actual"] = own_funds
    return client.post(url("report", application), with_receipts(data, *receipts))


def saved_state(application: Any) -> Any:
    report = Report.objects.filter(grant__application=application).first()
    if report is None:
        return None
    return (
        report.narrative,
        report.results,
        report.participants,
        list(report.lines.order_by("pk").values_list("category", "actual", "comment")),
        list(report.receipts.order_by("pk").values_list("paid_on", "payee", "amount")),
    )


# --- the grantee's story -------------------------------------------------------------------------


def test_grantee_fills_the_report_in_two_saves_sees_the_final_payment_and_submits(
    client, cast, due
):
    grant = due.grant
    client.force_login(cast.applicant)
    first_day = grant.project_start

    response, data = edit_page(client, due)
    page = response.content.decode()
    assert 'name="narrative"' in page and 'name="results"' in page
    assert "5,000.00 EUR" in page  # the planned travel costs beside the input
    # Without JavaScript: a few empty rows for receipts, countries and a new category.
    assert data["receipts-TOTAL_FORMS"] == 3 and data["receipts-INITIAL_FORMS"] == 0
    assert 'id="receipts-template"' in page and "hx-post" in page

    data["narrative"] = "Dreißig Mitglieder waren eine Woche in Lyon."
    data["participants-0-count"] = "16"  # DE
    data["participants-1-count"] = "14"  # FR
    data["participants-3-country"] = "it"
    data["participants-3-count"] = "2"
    data[line(data, "expense:travel") + "actual"] = "5000"
    data[line(data, "income:own_funds") + "actual"] = "1000,00"
    with_receipts(data, receipt(first_day, "3000.00", purpose="Hinfahrt"))
    response = client.post(url("report", due), data)
    assert response.status_code == 302
    assert response["Location"] == url("report", due)

    response, data = edit_page(client, due)
    assert data["narrative"] == "Dreißig Mitglieder waren eine Woche in Lyon."
    assert data["receipts-INITIAL_FORMS"] == 1
    data["results"] = "Ein Gegenbesuch ist geplant."
    with_receipts(data, receipt(grant.project_end, "2000,00", payee="Autocars Lyon"), start=1)
    data["action"] = "review"
    response = client.post(url("report", due), data)
    assert response.status_code == 302
    assert response["Location"] == url("report_submit", due)

    report = Report.objects.get(grant=grant)
    assert report.participants == {"DE": 16, "FR": 14, "IT": 2}
    assert report.results == "Ein Gegenbesuch ist geplant."
    assert report.receipts.count() == 2

    review = client.get(url("report_submit", due)).content.decode()
    assert "4,000.00 EUR" in review  # entitlement: min(4,000, 80 % of 5,000, 5,000 - 1,000)
    assert "3,000.00 EUR" in review  # the advance paid
    assert "final payment of 1,000.00 EUR" in review

    response = client.post(url("report_submit", due))
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REPORT_SUBMITTED
    assert (grant.actual_expenses, grant.actual_eligible_expenses, grant.actual_other_income) == (
        Decimal("5000.00"),
        Decimal("5000.00"),
        Decimal("1000.00"),
    )
    log = TransitionLog.objects.for_object(grant).get(transition="submit_report")
    assert (log.source, log.target, log.actor) == ("report_due", "report_submitted", cast.applicant)
    report.refresh_from_db()
    assert report.submitted_at is not None


def test_lower_eligible_costs_than_planned_end_in_a_repayment(client, cast, due):
    client.force_login(cast.applicant)
    response = fill(
        client,
        due,
        travel="3000",
        own_funds="0",
        receipts=[receipt(due.grant.project_start, "3000")],
    )
    assert response.status_code == 302

    numbers = reporting.figures(Report.objects.get(grant=due.grant))
    # min(4,000 awarded, 80 % of 3,000 = 2,400, 3,000 - 0) = 2,400; 3,000 paid already.
    assert (numbers.entitlement, numbers.paid, numbers.balance) == (
        Decimal("2400.00"),
        Decimal("3000.00"),
        Decimal("-600.00"),
    )
    review = client.get(url("report_submit", due)).content.decode()
    assert "you will be asked to repay 600.00 EUR" in review
    assert client.post(url("report_submit", due)).status_code == 302
    due.grant.refresh_from_db()
    assert due.grant.status == GrantStatus.REPORT_SUBMITTED
    assert due.grant.actual_eligible_expenses == Decimal("3000.00")


def test_live_totals_follow_what_is_typed_and_save_nothing(client, cast, due):
    client.force_login(cast.applicant)
    _response, data = edit_page(client, due)
    before = saved_state(due)
    data[line(data, "expense:travel") + "actual"] = "3000"
    with_receipts(data, receipt(due.grant.project_start, "1000"))

    response = client.post(url("report_totals", due), data, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    partial = response.content.decode()
    assert partial.lstrip().startswith('<section id="report-figures"')
    assert "2,400.00 EUR" in partial and "you will be asked to repay 600.00 EUR" in partial
    assert saved_state(due) == before


def test_amounts_are_shown_in_the_users_language(client, cast, due, settings):
    settings.LANGUAGE_CODE = "de"
    client.force_login(cast.applicant)
    fill(
        client,
        due,
        travel="5000",
        own_funds="1000",
        receipts=[receipt(due.grant.project_start, "5000")],
    )
    review = client.get(url("report_submit", due)).content.decode()
    assert "4.000,00 EUR" in review


def test_report_starts_with_one_line_per_category_of_the_plan(cast, due):
    report = reporting.report_for(due.grant, by=cast.applicant)
    lines = list(report.lines.values_list("side", "category", "actual"))
    assert lines == [
        ("expense", "travel", Decimal("0.00")),
        ("income", "own_funds", Decimal("0.00")),
    ]
    assert reporting.report_for(due.grant, by=cast.applicant).pk == report.pk


def test_a_category_outside_the_plan_can_be_added_and_emptied_again(client, cast, due):
    client.force_login(cast.applicant)
    _response, data = edit_page(client, due)
    new = f"lines-{data['lines-INITIAL_FORMS']}-"
    data.update(
        {new + "category": "expense:material", new + "actual": "120", new + "comment": "Flyer"}
    )
    assert client.post(url("report", due), data).status_code == 302
    added = ReportLine.objects.get(report__grant=due.grant, category="material")
    assert (added.side, added.actual, added.comment) == ("expense", Decimal("120.00"), "Flyer")

    _response, data = edit_page(client, due)
    row = line(data, "expense:material")
    data[row + "actual"], data[row + "comment"] = "", ""
    assert client.post(url("report", due), data).status_code == 302
    categories = ReportLine.objects.filter(report__grant=due.grant).values_list(
        "category", flat=True
    )
    assert sorted(categories) == ["own_funds", "travel"]  # the plan's stay, even when empty


def test_a_receipt_file_is_uploaded_linked_and_removed_with_its_receipt(client, cast, due):
    client.force_login(cast.applicant)
    _response, data = edit_page(client, due)
    upload = SimpleUploadedFile("Rechnung Bus.pdf", PDF, content_type="application/pdf")
    with_receipts(data, receipt(due.grant.project_start, "100", file=upload))
    assert client.post(url("report", due), data).status_code == 302

    saved = Receipt.objects.select_related("attachment").get(report__grant=due.grant)
    assert saved.attachment.purpose == "receipt"
    assert saved.attachment.original_name == "Rechnung Bus.pdf"
    response, data = edit_page(client, due)
    download = reverse("applications:attachment_download", args=[saved.attachment_id])
    assert download in response.content.decode()

    data["receipts-0-DELETE"] = "on"
    assert client.post(url("report", due), data).status_code == 302
    assert not Receipt.objects.filter(report__grant=due.grant).exists()
    assert not Attachment.objects.filter(pk=saved.attachment_id).exists()


def test_a_file_of_a_kind_not_accepted_is_named_and_nothing_is_saved(client, cast, due):
    client.force_login(cast.applicant)
    _response, data = edit_page(client, due)
    before = saved_state(due)
    upload = SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 100)
    with_receipts(data, receipt(due.grant.project_start, "100", file=upload))

    response = client.post(url("report", due), data)

    assert response.status_code == 200
    errors = response.context["forms"].receipts.forms[0].errors
    assert "file" in errors
    assert "choose them again" in response.content.decode()
    assert saved_state(due) == before
    assert not Attachment.objects.exists()


# --- bad input keeps what was typed and names the field ------------------------------------------


def _negative(data: dict[str, Any], grant: Any) -> str:
    data[line(data, "expense:travel") + "actual"] = "-50"
    return line(data, "expense:travel") + "actual"


def _three_decimals(data: dict[str, Any], grant: Any) -> str:
    with_receipts(data, receipt(grant.project_start, "12.345"))
    return "receipts-0-amount"


def _outside_period(data: dict[str, Any], grant: Any) -> str:
    with_receipts(data, receipt(grant.project_end + timedelta(days=1), "80"))
    return "receipts-0-paid_on"


def _nul_byte(data: dict[str, Any], grant: Any) -> str:
    with_receipts(data, receipt(grant.project_start, "80", payee="Bus\x00Reisen"))
    return "receipts-0-payee"


def _bad_country(data: dict[str, Any], grant: Any) -> str:
    data["participants-3-country"] = "Italia"
    data["participants-3-count"] = "3"
    return "participants-3-country"


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        pytest.param(_negative, "cannot be negative", id="negative-amount"),
        pytest.param(_three_decimals, "at most two decimals", id="three-decimals"),
        pytest.param(
            _outside_period,
            "costs outside the project period cannot be funded",
            id="outside-period",
        ),
        pytest.param(_nul_byte, "ull character", id="nul-byte"),
        pytest.param(_bad_country, "two-letter country code", id="country-code"),
    ],
)
def test_bad_input_keeps_every_typed_value_and_names_the_field(client, cast, due, spoil, expected):
    client.force_login(cast.applicant)
    _response, data = edit_page(client, due)
    data["narrative"] = "Bericht, der nicht verloren gehen darf"
    data["results"] = "Ergebnisse, die bleiben"
    data[line(data, "income:own_funds") + "actual"] = "987.65"
    with_receipts(data, receipt(due.grant.project_start, "44.00", payee="Bäckerei Lyon"), start=1)
    field_name = spoil(data, due.grant)
    before = saved_state(due)

    response = client.post(url("report", due), data)

    assert response.status_code == 200
    assert saved_state(due) == before
    page = response.content.decode()
    for typed in (
        "Bericht, der nicht verloren gehen darf",
        "Ergebnisse, die bleiben",
        "987.65",
        "Bäckerei Lyon",
        "44.00",
    ):
        assert typed in page, typed
    prefix, _sep, name = field_name.rpartition("-")
    forms = response.context["forms"]
    formset = {
        "receipts": forms.receipts,
        "lines": forms.lines,
        "participants": forms.participants,
    }[prefix.split("-")[0]]
    errors = formset.forms[int(prefix.split("-")[1])].errors[name]
    assert any(expected in str(e) for e in errors), errors
    for error in errors:
        assert_readable(error)
    # The summary at the top links to the field.
    assert 'class="error-summary"' in page
    assert f'href="#id_{field_name}"' in page


def test_receipts_that_do_not_add_up_say_which_category_and_by_how_much(client, cast, due):
    client.force_login(cast.applicant)
    fill(
        client,
        due,
        travel="5000",
        own_funds="1000",
        receipts=[receipt(due.grant.project_start, "4750")],
    )

    review = client.get(url("report_submit", due))
    text = review.content.decode()
    assert (
        "Travel: the receipts add up to 4,750.00 EUR, 250.00 EUR less than the actual amount "
        "of 5,000.00 EUR" in text
    )
    assert 'action="' + url("report_submit", due) not in text  # no submit button yet

    response = client.post(url("report_submit", due))
    assert response.status_code == 200
    due.grant.refresh_from_db()
    assert due.grant.status == GrantStatus.REPORT_DUE
    with pytest.raises(ValidationError) as refused:
        reporting.submit_report(Report.objects.get(grant=due.grant), by=cast.applicant)
    assert "250.00 EUR less" in refused.value.message_dict["receipts"][0]


def test_an_empty_report_cannot_be_submitted(cast, due):
    report = reporting.report_for(due.grant, by=cast.applicant)
    with pytest.raises(ValidationError) as refused:
        reporting.submit_report(report, by=cast.applicant)
    assert set(refused.value.message_dict) == {"narrative", "lines"}
    for messages in refused.value.message_dict.values():
        for message in messages:
            assert_readable(message)


def test_the_service_refuses_bad_values_with_a_message_per_field_and_writes_nothing(cast, due):
    report = reporting.report_for(due.grant, by=cast.applicant)
    start = due.grant.project_start
    before = saved_state(due)
    with pytest.raises(ValidationError) as refused:
        reporting.save_report(
            report,
            by=cast.applicant,
            narrative="ok\x00",
            results="",
            participants={"DE": -3, "other": 2},
            lines=[{"side": "expense", "category": "travel", "actual": "1e30", "comment": ""}],
            receipts=[
                {
                    "category": "travel",
                    "paid_on": start - timedelta(days=1),
                    "payee": "",
                    "purpose": "x",
                    "amount": "0",
                },
                {
                    "category": "salaries",
                    "paid_on": "soon",
                    "payee": "A",
                    "purpose": "B",
                    "amount": "1.001",
                },
            ],
        )
    errors = refused.value.message_dict
    assert set(errors) == {
        "narrative",
        "participants.0.count",
        "lines.0.actual",
        "receipts.0.paid_on",
        "receipts.0.payee",
        "receipts.0.amount",
        "receipts.1.category",
        "receipts.1.paid_on",
        "receipts.1.amount",
    }
    for messages in errors.values():
        for message in messages:
            assert_readable(message)
    assert saved_state(due) == before


def test_other_countries_are_kept_under_a_two_letter_code(cast, due):
    report = reporting.report_for(due.grant, by=cast.applicant)
    saved = reporting.save_report(
        report,
        by=cast.applicant,
        narrative="",
        results="",
        participants=[("de", "3"), ("other", 4), ("", "")],
        lines=[],
        receipts=[],
    )
    assert saved.participants == {"DE": 3, reporting.OTHER_COUNTRIES: 4}


# --- who may see and change it -------------------------------------------------------------------


def test_member_of_another_organisation_gets_not_found_on_every_report_url(
    client, cast, due, other_applicant
):
    reporting.report_for(due.grant, by=cast.applicant)
    client.force_login(other_applicant)
    before = saved_state(due)
    for name in ("report", "report_totals", "report_submit"):
        assert client.get(url(name, due)).status_code == 404, name
        assert client.post(url(name, due), {"narrative": "fremd"}).status_code == 404, name
    assert saved_state(due) == before


def test_an_application_without_grant_has_no_report(client, cast):
    submitted = demo.drive(cast, "submitted")
    client.force_login(cast.applicant)
    assert client.get(url("report", submitted)).status_code == 404


def test_anonymous_is_sent_to_login(client, due):
    for name in ("report", "report_totals", "report_submit"):
        for response in (client.get(url(name, due)), client.post(url(name, due))):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))


def test_staff_read_the_report_but_cannot_post_it(client, cast, due):
    client.force_login(cast.reviewer)
    page = client.get(url("report", due))
    assert page.status_code == 200
    assert "No final report has been written." in page.content.decode()
    assert not Report.objects.exists()  # reading creates nothing

    client.force_login(cast.applicant)
    fill(
        client,
        due,
        travel="5000",
        own_funds="1000",
        receipts=[receipt(due.grant.project_start, "5000")],
    )
    before = saved_state(due)

    for user in (cast.reviewer, cast.manager, cast.finance, cast.admin):
        client.force_login(user)
        page = client.get(url("report", due))
        assert page.status_code == 200
        assert page.templates[0].name == "applications/report/detail.html"
        text = page.content.decode()
        assert "Dreißig Mitglieder waren eine Woche in Lyon." in text
        assert 'name="narrative"' not in text
        assert "Rheinland Reisen GmbH" in text
        assert client.post(url("report", due), {"narrative": "staff"}).status_code == 403
        assert client.post(url("report_totals", due)).status_code == 403
        assert client.post(url("report_submit", due)).status_code == 403
    assert saved_state(due) == before
    with pytest.raises(TransitionForbidden):
        reporting.save_report(
            Report.objects.get(),
            by=cast.reviewer,
            narrative="x",
            results="",
            participants={},
            lines=[],
            receipts=[],
        )


def test_nothing_is_editable_after_submission(client, cast, due):
    client.force_login(cast.applicant)
    fill(
        client,
        due,
        travel="5000",
        own_funds="1000",
        receipts=[receipt(due.grant.project_start, "5000")],
    )
    client.post(url("report_submit", due))
    before = saved_state(due)
    log_rows = TransitionLog.objects.count()

    page = client.get(url("report", due))
    assert page.templates[0].name == "applications/report/detail.html"
    assert 'name="narrative"' not in page.content.decode()
    assert "is being checked" in page.content.decode()
    response = client.post(url("report", due), {"narrative": "später"})
    assert response.status_code == 302
    assert client.post(url("report_submit", due)).status_code == 302
    assert client.post(url("report_totals", due), HTTP_HX_REQUEST="true").status_code == 409
    with pytest.raises(WorkflowError) as refused:
        reporting.save_report(
            Report.objects.get(),
            by=cast.applicant,
            narrative="x",
            results="",
            participants={},
            lines=[],
            receipts=[],
        )
    assert_readable(refused.value.message)
    assert saved_state(due) == before
    assert TransitionLog.objects.count() == log_rows


def test_report_is_editable_again_after_the_reviewer_asks_for_changes(client, cast, due):
    client.force_login(cast.applicant)
    fill(
        client,
        due,
        travel="5000",
        own_funds="1000",
        receipts=[receipt(due.grant.project_start, "5000")],
    )
    client.post(url("report_submit", due))

    grant_services.request_report_changes(
        due.grant,
        by=cast.reviewer,
        message="Bitte die Rechnung des Busses hochladen.",
        reply_by=clock.today() + timedelta(days=14),
    )

    response, data = edit_page(client, due)
    assert "Bitte die Rechnung des Busses hochladen." in response.content.decode()
    data["results"] = "Nachgereicht"
    assert client.post(url("report", due), data).status_code == 302
    assert client.post(url("report_submit", due)).status_code == 302
    due.grant.refresh_from_db()
    assert due.grant.status == GrantStatus.REPORT_SUBMITTED
    transitions = TransitionLog.objects.for_object(due.grant).values_list("transition", flat=True)
    assert list(transitions).count("submit_report") == 2


def test_before_the_project_ends_the_report_cannot_be_written(client, cast):
    accepted = demo.drive(cast, "approved", "accepted")
    client.force_login(cast.applicant)
    page = client.get(url("report", accepted))
    assert page.status_code == 200
    assert "once the project has ended" in page.content.decode()
    response = client.post(url("report", accepted), {"narrative": "zu früh"})
    assert response.status_code == 302
    assert not Report.objects.exists()
    with pytest.raises(WorkflowError):
        reporting.report_for(accepted.grant, by=cast.applicant)


# --- cost of a page ------------------------------------------------------------------------------


def _report_with_receipts(cast: demo.Cast, application: Any, count: int) -> None:
    grant = application.grant
    amount = Decimal("10.00")
    reporting.save_report(
        reporting.report_for(grant, by=cast.applicant),
        by=cast.applicant,
        narrative="Bericht",
        results="",
        participants={"DE": 3},
        lines=[{"side": "expense", "category": "travel", "actual": amount * count, "comment": ""}],
        receipts=[
            {
                "category": "travel",
                "paid_on": grant.project_start,
                "payee": f"Firma {i}",
                "purpose": "Fahrt",
                "amount": amount,
            }
            for i in range(count)
        ],
    )


@pytest.mark.parametrize("count", [3, 30])
def test_report_pages_query_count_does_not_grow_with_receipts(
    client, cast, due, count, django_assert_max_num_queries
):
    _report_with_receipts(cast, due, count)
    client.force_login(cast.applicant)
    # 13: the header's count of unread messages is one of them.
    with django_assert_max_num_queries(13):
        response = client.get(url("report", due))
    assert response.status_code == 200
    assert response.content.decode().count('name="receipts-') > count * 6
    client.force_login(cast.reviewer)
    with django_assert_max_num_queries(13):
        assert client.get(url("report", due)).status_code == 200


def test_the_demo_submits_its_reports_through_the_report(cast):
    settled = demo.drive(cast, "approved", "settled")
    report = Report.objects.get(grant=settled.grant)
    assert report.submitted_at is not None
    assert report.receipts.count() == 1
    numbers = reporting.figures(report)
    assert (numbers.actual_expenses, numbers.actual_other_income) == (
        Decimal("5000.00"),
        Decimal("1000.00"),
    )
    assert settled.grant.final_amount == Decimal("4000.00")


def test_amounts_and_dates_are_read_as_a_german_volunteer_types_them(client, cast, due, settings):
    """4.750,00 EUR and 15.03.2027 mean what they mean in German, as in the application form."""
    settings.LANGUAGE_CODE = "de"
    grant = due.grant
    client.force_login(cast.applicant)
    day = grant.project_start.strftime("%d.%m.%Y")
    response = fill(client, due, travel="5.000,00", own_funds="1.000", receipts=[receipt(grant.project_start, "4.750,00") | {"paid_on": day}, receipt(grant.project_start, "250")])  # fmt: skip
    assert response.status_code == 302, response.content.decode()[-3000:]
    report = Report.objects.get(grant=grant)
    assert sorted(report.receipts.values_list("amount", flat=True)) == [Decimal("250.00"), Decimal("4750.00")]  # fmt: skip
    assert report.lines.get(category="travel").actual == Decimal("5000.00")

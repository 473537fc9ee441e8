"""A volunteer's whole way through the portal, in a real browser, in German and in French.

Sign up, confirm the e-mail, register the organisation, check eligibility, fill the form with a
balanced budget, submit; the fund asks for changes (staff steps run through the services); the
volunteer answers, accepts the grant and sends the final report. Pages are driven by element
ids and names, so the test reads the same in every language.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from applications import services
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application
from demo import builders as demo
from grants import services as grant_services
from grants.models import Grant
from organisations import services as organisation_services
from organisations.models import Organisation
from workflows import clock

pytestmark = pytest.mark.browser

PASSWORD = "Partnerschaft-1963!"


def day(offset: int) -> str:
    return (clock.today() + timedelta(days=offset)).isoformat()


def unambiguous_day(offset: int) -> str:
    """The first day from `offset` days ahead whose day and month are the same number (03.03.):
    Chromium orders a date field's parts by the machine's locale, not the page's, so keyboard
    input reads the same in dd.mm.yyyy and mm/dd/yyyy only on such a day."""
    day = clock.today() + timedelta(days=offset)
    while day.day != day.month:
        day += timedelta(days=1)
    return day.isoformat()


def mail_link(pattern: str) -> str:
    body = mail.outbox[-1].body
    found = re.search(pattern, body)
    assert found, body
    return found.group(0)


def continue_to(page: Any, section: str) -> None:
    """The form's "save and continue" button; waits for the next section to load."""
    page.click("#draft-form button.primary")
    page.wait_for_url(re.compile(rf"/edit/{section}/$|/check/$"))


def sign_up_and_register(page: Any, *, language: str, email: str, organisation: dict[str, str]) -> None:  # fmt: skip
    page.goto(f"{page.base}/accounts/signup/")
    if page.locator("html").get_attribute("lang") != language:
        with page.expect_navigation():
            page.select_option("#language", language)
    assert page.locator("html").get_attribute("lang") == language
    page.fill("#id_email", email)
    page.fill("#id_full_name", "Erika Muster")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("#signup-form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/signup/inbox/"))
    page.goto(mail_link(r"http://\S+/accounts/confirm/\S+/"))
    page.wait_for_url(f"{page.base}/start/")

    page.click("a[href='/organisations/new/']")
    page.fill("#id_name", organisation["name"])
    page.check("input[name=legal_form][value=association]")
    page.fill("#id_registration_id", organisation["registration"])
    page.fill("#id_street", organisation["street"])
    page.fill("#id_postcode", organisation["postcode"])
    page.fill("#id_city", organisation["city"])
    page.select_option("#id_country", organisation["country"])
    page.click("#organisation-form button[type=submit]")
    page.wait_for_url(re.compile(r"/check/"))


def check_eligibility_and_start(page: Any, *, country: str, title: str) -> Application:
    page.check("input[name=legal_form][value=association]")
    page.check(f"input[name=country][value={country}]")
    page.fill("#id_start", day(75))
    page.fill("#id_amount", "4000")
    page.check("input[name=cross_border_partner][value=yes]")
    page.click("#eligibility-form button[type=submit]")
    page.wait_for_selector("#verdict h2.ok")
    page.fill("#id_start_title", title)
    page.click("#start-form button[type=submit]")
    page.wait_for_url(re.compile(r"/edit/project/$"))
    return Application.objects.get(title=title)


def fill_the_form(page: Any, *, partner: str, partner_country: str) -> None:
    page.fill("#id_summary", "Zwanzig Mitglieder besuchen die Partnerstadt.")
    page.fill("#id_description", "Workshops, Stadtführung, ein gemeinsames Fest und ein Chorkonzert.")  # fmt: skip
    page.check("input[name=themes][value=europe]")
    page.check("input[name=themes][value=culture]")
    continue_to(page, "dates")

    page.fill("#id_start_date", day(75))
    page.fill("#id_end_date", day(79))
    page.fill("#id_places", "Köln, Lyon")
    continue_to(page, "partners")

    page.fill("#id_partners-0-name", partner)
    page.select_option("#id_partners-0-country", partner_country)
    page.fill("#id_partners-0-city", "Lyon")
    continue_to(page, "participants")

    page.fill("#id_participants_DE", "15")
    page.fill("#id_participants_FR", "15")
    continue_to(page, "budget")

    page.select_option("#id_expenses-0-category", "travel")
    page.fill("#id_expenses-0-purpose", "Bus Köln–Lyon, 30 Personen")
    page.fill("#id_expenses-0-quantity", "1")
    page.fill("#id_expenses-0-unit_cost", "3500")
    page.click("[data-formset=expenses] [data-add-row]")  # a second row, in place
    page.select_option("#id_expenses-1-category", "stay")
    page.fill("#id_expenses-1-purpose", "Jugendherberge, 4 Nächte")
    page.fill("#id_expenses-1-quantity", "30")
    page.fill("#id_expenses-1-unit_cost", "50")
    page.click("[data-formset=incomes] [data-add-row]")
    page.select_option("#id_incomes-0-category", "own_funds")
    page.fill("#id_incomes-0-purpose", "Eigenmittel")
    page.fill("#id_incomes-0-amount", "1000")
    page.fill("#id_requested_amount", "4000")
    # Live totals: 5,000 eligible, 80 %, balanced (the autosave answers while typing).
    page.wait_for_selector("#totals dd[data-total=balance].ok")
    continue_to(page, "attachments")
    continue_to(page, "declarations")

    for code in ("truthful", "no_early_costs", "report_duty", "data_processing"):
        page.check(f"input[name=declarations][value={code}]")
    continue_to(page, "review")


def submit(page: Any, application: Application) -> None:
    assert page.locator("#missing").count() == 0, page.inner_text("#missing")
    page.click("#submit-form button[type=submit]")
    page.wait_for_url(f"{page.base}/applications/{application.pk}/")
    application.refresh_from_db()
    assert application.reference and application.reference in page.inner_text("main")


@pytest.mark.parametrize(
    ("language", "organisation", "partner"),
    [
        (
            "de",
            {
                "name": "Partnerschaftsverein Köln–Lyon e.V.",
                "registration": "VR 4711",
                "street": "Rathausplatz 1",
                "postcode": "50667",
                "city": "Köln",
                "country": "DE",
            },
            ("Comité de jumelage Lyon", "FR"),
        ),
        (
            "fr",
            {
                "name": "Comité de jumelage Dijon–Mainz",
                "registration": "W212001234",
                "street": "Place de la Libération 2",
                "postcode": "21000",
                "city": "Dijon",
                "country": "FR",
            },
            ("Partnerschaftsverein Mainz", "DE"),
        ),
    ],
)
def test_the_whole_journey_from_sign_up_to_the_final_report(page: Any, language: str, organisation: dict[str, str], partner: tuple[str, str]) -> None:  # fmt: skip
    cast = demo.create_cast(demo.setup_fund())
    sign_up_and_register(page, language=language, email=f"erika.{language}@example.org", organisation=organisation)  # fmt: skip
    application = check_eligibility_and_start(page, country=organisation["country"], title=f"Begegnung {language}")  # fmt: skip
    fill_the_form(page, partner=partner[0], partner_country=partner[1])
    submit(page, application)

    # The fund asks for changes (staff work goes through the services).
    services.request_changes(application, by=cast.reviewer, message="Bitte das Programm genauer beschreiben.", reply_by=clock.today() + timedelta(days=14))  # fmt: skip
    page.reload()
    assert "Bitte das Programm genauer beschreiben." in page.inner_text("main")
    page.click(f"a.button[href='/applications/{application.pk}/edit/']")
    page.wait_for_url(re.compile(r"/edit/project/$"))
    page.fill("#id_description", "Tag 1: Ankunft. Tag 2: Workshops. Tag 3: Konzert. Tag 4: Fest. Tag 5: Abreise.")  # fmt: skip
    page.click("nav.steps button[value=review]")
    page.wait_for_url(re.compile(r"/check/$"))
    submit(page, application)
    assert application.status == "submitted"

    # Formal check, assessment and approval by the staff.
    services.pass_formal_check(application, by=cast.reviewer, checklist=CHECKLIST_CODES)
    services.complete_review(application, score=Decimal("81.5"))
    services.approve_application(application, by=cast.manager, amount=Decimal("4000.00"))
    organisation_row = Organisation.objects.get(name=organisation["name"])
    organisation_services.update_organisation(organisation_row, by=organisation_row.memberships.get().user, bank_account_holder=organisation["name"][:70], iban="DE89370400440532013000" if organisation["country"] == "DE" else "FR1420041010050500013M02606")  # fmt: skip

    page.goto(f"{page.base}/applications/{application.pk}/grant/")
    page.fill("#id_full_name", "Erika Muster")
    page.check("#id_consent")
    page.click("#accept-form button[type=submit]")
    page.wait_for_url(f"{page.base}/applications/{application.pk}/")
    grant = Grant.objects.get(application=application)
    assert (grant.status, grant.accepted_name) == ("accepted", "Erika Muster")
    assert "3" in page.inner_text("section[aria-labelledby=grant-title]")  # the advance is listed

    # The project takes place; the advance is paid; the report falls due.
    for payment in grant.payments.all():
        grant_services.record_payment_paid(payment, by=cast.finance)
    with clock.travel_to(grant.project_end + timedelta(days=1)):
        grant_services.end_project(grant)
    send_the_final_report(page, application)


def send_the_final_report(page: Any, application: Application) -> None:
    """Narrative, actual figures per category, the list of receipts; entitlement; submit."""
    grant = Grant.objects.get(application=application)
    paid_on = (grant.project_start + timedelta(days=1)).isoformat()
    page.goto(f"{page.base}/applications/{application.pk}/report/")
    page.fill("textarea[name=narrative]", "28 Mitglieder waren fünf Tage in Lyon: Workshops, Konzert, Fest.")  # fmt: skip
    page.fill("tr:has(input[value='expense:travel']) input[name$='-actual']", "3500")
    page.fill("tr:has(input[value='expense:stay']) input[name$='-actual']", "1500")
    page.fill("tr:has(input[value='income:own_funds']) input[name$='-actual']", "1000")
    for i, (category, payee, amount) in enumerate([("travel", "Rheinland Reisen GmbH", "3500"), ("stay", "Auberge de jeunesse Lyon", "1500")]):  # fmt: skip
        page.fill(f"#id_receipts-{i}-paid_on", paid_on)
        page.select_option(f"#id_receipts-{i}-category", category)
        page.fill(f"#id_receipts-{i}-payee", payee)
        page.fill(f"#id_receipts-{i}-purpose", "Projekt Lyon")
        page.fill(f"#id_receipts-{i}-amount", amount)
    page.click("#report-form button[name=action][value=review]")
    page.wait_for_url(re.compile(r"/report/submit/$"))
    page.click("#report-submit-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/applications/{application.pk}/"))
    grant.refresh_from_db()
    assert grant.status == "report_submitted"
    assert (grant.actual_expenses, grant.actual_eligible_expenses, grant.actual_other_income) == (Decimal("5000.00"), Decimal("5000.00"), Decimal("1000.00"))  # fmt: skip


def test_an_unbalanced_budget_and_an_early_start_are_explained_and_nothing_typed_is_lost(page: Any) -> None:  # fmt: skip
    cast = demo.create_cast(demo.setup_fund())
    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant, title="Radtour")  # fmt: skip
    login(page, cast.applicant.username)

    page.goto(f"{page.base}/applications/{draft.pk}/edit/dates/")
    page.fill("#id_start_date", day(20))
    page.fill("#id_end_date", day(22))
    # Polled by locator: a string for wait_for_function would be eval'ed, which the CSP refuses.
    expect(page.locator("#rule-start_date")).to_have_text(re.compile(r"\S"))
    assert "20" in page.inner_text("#rule-start_date")  # "in 20 days; ... at least 42 days"

    page.goto(f"{page.base}/applications/{draft.pk}/edit/budget/")
    page.fill("#id_expenses-0-unit_cost", "4000")
    page.fill("#id_requested_amount", "4000")
    expect(page.locator("#rule-budget")).to_have_text(re.compile(r"\S"))
    assert page.locator("#totals dd[data-total=balance].off").count() == 1
    page.click("nav.steps button[value=review]")
    page.wait_for_url(re.compile(r"/check/$"))
    problems = page.inner_text("#missing")
    assert "42" in problems  # the lead time, in words
    assert page.locator("#submit-form").count() == 0

    # Fix both; everything typed before is still there.
    page.goto(f"{page.base}/applications/{draft.pk}/edit/budget/")
    assert page.input_value("#id_expenses-0-unit_cost") in ("4000,00", "4.000,00", "4000")
    page.fill("#id_expenses-0-unit_cost", "5000")
    page.wait_for_selector("#totals dd[data-total=balance].ok")
    page.goto(f"{page.base}/applications/{draft.pk}/edit/dates/")
    assert page.input_value("#id_end_date") == day(22)
    page.fill("#id_start_date", day(60))
    page.fill("#id_end_date", day(64))
    page.click("nav.steps button[value=review]")
    page.wait_for_url(re.compile(r"/check/$"))
    assert page.locator("#missing").count() == 0
    draft.refresh_from_db()
    assert draft.title == "Radtour" and draft.summary and draft.eligible_expenses() == Decimal("5000.00")  # fmt: skip


def login(page: Any, username: str) -> None:
    page.goto(f"{page.base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{page.base}/start/")


def tab_to(page: Any, element_id: str, *, limit: int = 60) -> None:
    """Press Tab until the element has the focus: proves it is reachable by keyboard alone."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with the Tab key")


def test_the_eligibility_check_works_with_the_keyboard_alone(page: Any) -> None:
    cast = demo.create_cast(demo.setup_fund())
    login(page, cast.applicant.username)
    page.goto(f"{page.base}/check/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    tab_to(page, "id_legal_form_0")
    page.keyboard.press("Space")
    tab_to(page, "id_country_0")
    page.keyboard.press("Space")
    tab_to(page, "id_start")
    start = unambiguous_day(70)
    page.keyboard.type(
        start[8:10] + start[5:7] + start[0:4]
    )  # the parts as a keyboard user types them
    tab_to(page, "id_amount")
    page.keyboard.type("3500")
    tab_to(page, "id_cross_border_partner_0")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_selector("#verdict h2.ok")
    tab_to(page, "id_start_title")
    page.keyboard.type("Wanderung")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/edit/project/$"))
    assert Application.objects.filter(title="Wanderung", requested_amount=Decimal("3500.00")).exists()  # fmt: skip

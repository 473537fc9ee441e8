"""The applicant portal, as a volunteer of a twinning association uses it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from applications import services
from applications.models import REQUIRED_DECLARATIONS, Application, ApplicationStatus, BudgetLine
from demo import builders as demo
from grants.models import Grant
from organisations import services as organisation_services
from organisations.choices import LegalForm
from organisations.models import Invitation, Membership, Organisation
from workflows import clock
from workflows.errors import WorkflowError
from workflows.models import TransitionLog

TODAY = clock.today


def future(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


def management(prefix: str, total: int) -> dict[str, Any]:
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}  # fmt: skip


def budget_post(expenses: list[tuple[str, str, str]], incomes: list[str], requested: str) -> dict[str, Any]:  # fmt: skip
    data: dict[str, Any] = {"requested_amount": requested, **management("expenses", len(expenses)), **management("incomes", len(incomes))}  # fmt: skip
    for i, (purpose, quantity, unit_cost) in enumerate(expenses):
        data.update({f"expenses-{i}-category": "travel", f"expenses-{i}-purpose": purpose, f"expenses-{i}-quantity": quantity, f"expenses-{i}-unit_cost": unit_cost, f"expenses-{i}-eligible": "on"})  # fmt: skip
    for i, amount in enumerate(incomes):
        data.update({f"incomes-{i}-category": "own_funds", f"incomes-{i}-purpose": "Eigenmittel", f"incomes-{i}-amount": amount})  # fmt: skip
    return data


def section_url(application: Application, section: str) -> str:
    return reverse("applications:draft_section", args=[application.pk, section])


@pytest.fixture(autouse=True)
def english(client: Any) -> None:
    """The stories read the English texts; one test checks the German notation on purpose."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def volunteer(db: Any, fund: Any) -> Any:
    """A volunteer with an account but no organisation yet."""
    demo.create_cast(fund)
    user = demo.make_user("erika@example.org")
    user.email = "erika@example.org"
    user.save(update_fields=["email"])
    return user


# --- from nothing to a submitted application -------------------------------------------------


def test_a_volunteer_registers_a_group_checks_eligibility_fills_the_form_and_submits(
    client: Any, volunteer: Any
) -> None:
    client.force_login(volunteer)
    start = client.get(reverse("applications:home"))
    assert reverse("applications:organisation_create") in start.content.decode()

    group = {"name": "Chor Grenzenlos", "legal_form": LegalForm.INFORMAL_GROUP, "group_members": "Anna Becker\nJonas Wagner", "city": "Leipzig", "country": "DE"}  # fmt: skip
    refused = client.post(reverse("applications:organisation_create"), group)
    assert "at least 3 named members" in refused.content.decode()
    assert "Anna Becker" in refused.content.decode()  # nothing typed is lost
    group["group_members"] += "\nFatma Yılmaz"
    created = client.post(reverse("applications:organisation_create"), group)
    assert created.status_code == 302
    organisation = Organisation.objects.get(name="Chor Grenzenlos")
    assert organisation.has_member(volunteer)

    answers = {"legal_form": "informal_group", "group_members": "3", "country": "DE", "amount": "4.000", "cross_border_partner": "yes"}  # fmt: skip
    too_soon = client.get(reverse("applications:eligibility"), {**answers, "start": future(21)})
    text = too_soon.content.decode()
    assert "Not eligible" in text and "in 21 days" in text and "at least 42 days" in text
    fine = client.get(reverse("applications:eligibility"), {**answers, "start": future(70)})
    assert "can be funded" in fine.content.decode()
    assert "Category 1 – Small boost" in fine.content.decode()  # the programme in English

    started = client.post(reverse("applications:draft_start"), {"title": "Chorreise nach Lyon", "amount": "4000.00", "start": future(70)})  # fmt: skip
    application = Application.objects.get(title="Chorreise nach Lyon")
    assert started["Location"] == section_url(application, "project")
    assert application.requested_amount == Decimal("4000.00")

    client.post(section_url(application, "project"), {"title": "Chorreise nach Lyon", "summary": "Zwanzig Sängerinnen besuchen Lyon.", "description": "Proben, Konzert, Begegnung.", "themes": ["culture", "europe"], "go": "dates"})  # fmt: skip
    client.post(section_url(application, "dates"), {"start_date": future(70), "end_date": future(74), "places": "Lyon", "go": "partners"})  # fmt: skip
    client.post(section_url(application, "partners"), {**management("partners", 1), "partners-0-name": "Chorale de Lyon", "partners-0-country": "FR", "partners-0-city": "Lyon", "go": "participants"})  # fmt: skip
    client.post(section_url(application, "participants"), {"participants_DE": "20", "participants_FR": "25", "go": "budget"})  # fmt: skip
    budget = client.post(section_url(application, "budget"), {**budget_post([("Bus Leipzig–Lyon", "1", "5000")], ["1000"], "4000"), "go": "attachments"})  # fmt: skip
    assert budget.status_code == 302

    review = client.get(reverse("applications:draft_review", args=[application.pk]))
    assert "Please confirm the declarations" in review.content.decode()
    assert b"submit-form" not in review.content

    client.post(section_url(application, "declarations"), {"declarations": list(REQUIRED_DECLARATIONS), "go": "review"})  # fmt: skip
    review = client.get(reverse("applications:draft_review", args=[application.pk]))
    assert b"submit-form" in review.content, review.content.decode()
    submitted = client.post(reverse("applications:draft_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert re.fullmatch(r"BF-\d{4}-\d{5}", application.reference)
    assert application.participants_expected == {"DE": 20, "FR": 25}
    page = client.get(submitted["Location"])
    assert "Application submitted" in page.content.decode()
    assert application.reference in page.content.decode()


def test_autosave_keeps_every_valid_field_while_another_is_wrong(client: Any, cast: Any, draft: Application) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    url = reverse("applications:draft_autosave", args=[draft.pk, "project"])
    response = client.post(url, {"title": "Neuer Titel", "summary": "ok\x00", "description": "Beschreibung", "themes": ["europe"]}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert response.status_code == 200
    assert response["X-Draft-Complete"] == "0"
    draft.refresh_from_db()
    assert draft.title == "Neuer Titel"
    assert draft.description == "Beschreibung"
    assert (
        draft.summary == "Eine Woche Austausch zwischen Köln und Lyon."
    )  # the bad value never replaced the good one
    complete = client.post(url, {"title": "Neuer Titel", "summary": "Gut.", "description": "Beschreibung", "themes": ["europe"]}, HTTP_HX_REQUEST="true")  # fmt: skip
    assert complete["X-Draft-Complete"] == "1"


def test_the_budget_shows_totals_and_the_rules_next_to_the_fields(client: Any, cast: Any, draft: Application) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    url = reverse("applications:draft_autosave", args=[draft.pk, "budget"])
    unbalanced = client.post(url, budget_post([("Bus", "2", "2.500")], [], "4.000"), HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert 'id="rule-budget"' in unbalanced and "ausgeglichen" in unbalanced
    assert "5.000,00 EUR" in unbalanced  # eligible expenses in German notation
    assert "80 % (" in unbalanced
    over = client.post(url, budget_post([("Bus", "1", "5.000")], ["999.99"], "4.000,01"), HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "80" in over and 'id="rule-requested_amount"' in over
    balanced = client.post(url, budget_post([("Bus", "1", "5000")], ["1000"], "4000"), HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "✓" in balanced
    draft.refresh_from_db()
    assert draft.eligible_expenses() == Decimal("5000.00")
    assert draft.other_income() == Decimal("1000.00")


def test_a_failed_validation_keeps_every_value_typed_and_changes_no_line(client: Any, cast: Any, draft: Application) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    before = list(draft.budget_lines.values_list("purpose", "unit_cost"))
    data = budget_post([("Zug Köln–Lyon, 12 Personen", "12", "85,50"), ("Saalmiete", "1", "zweihundert")], ["300"], "4.000")  # fmt: skip
    response = client.post(section_url(draft, "budget"), {**data, "go": "attachments"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "zweihundert" in text and "Zug Köln–Lyon, 12 Personen" in text and "85,50" in text
    assert 'href="#id_expenses-1-unit_cost"' in text  # the error summary links to the field
    assert list(draft.budget_lines.values_list("purpose", "unit_cost")) == before


def test_rows_can_be_added_without_javascript(client: Any, cast: Any, draft: Application) -> None:
    client.force_login(cast.applicant)
    data = budget_post([("Bus", "1", "5000")], ["1000"], "4000")
    response = client.post(section_url(draft, "budget"), {**data, "add_row": "expenses"})
    text = response.content.decode()
    assert 'name="expenses-1-purpose"' in text
    assert 'value="Bus"' in text


def test_an_expired_session_loses_nothing_typed(client: Any, cast: Any, draft: Application) -> None:
    url = reverse("applications:draft_autosave", args=[draft.pk, "project"])
    signed_out = client.post(url, {"title": "Getippt"}, HTTP_HX_REQUEST="true")
    assert signed_out.status_code == 401  # the page keeps the typed copy and says so
    full_post = client.post(section_url(draft, "project"), {"title": "Getippt"})
    assert full_post.status_code == 302 and "/accounts/login/" in full_post["Location"]
    draft.refresh_from_db()
    assert draft.title != "Getippt"
    page = client.get(section_url(draft, "project"), follow=True)
    assert "draft-form" not in page.content.decode()
    client.force_login(cast.applicant)
    page = client.get(section_url(draft, "project")).content.decode()
    assert 'data-draft-key="microgrants-draft-' in page and "session-notice" in page


@pytest.mark.parametrize("how", ["checked before the save", "changed under the save"])
def test_a_save_that_overlaps_the_submission_keeps_what_was_typed_and_says_why(client: Any, cast: Any, draft: Application, monkeypatch: Any, how: str) -> None:  # fmt: skip
    """Another window submits the draft while this one saves its partners: nothing is written,
    the page shows the typed partner again with the reason, and nothing answers 500."""
    from applications.views import drafts as draft_views

    def submitted_elsewhere() -> None:
        Application.objects.filter(pk=draft.pk).update(status="submitted")

    if how == "checked before the save":  # the view saw a draft; the service sees it submitted
        building = draft_views.build_section

        def build_then_submit(*args: Any, **kwargs: Any) -> Any:
            bound = building(*args, **kwargs)
            if len(args) > 2:  # the bound forms of the POST
                submitted_elsewhere()
            return bound

        monkeypatch.setattr(draft_views, "build_section", build_then_submit)
    else:  # the row changes between the service's read and its write (django-fsm notices)
        validating = services._validate_draft

        def validate_then_submit(application: Application) -> None:
            validating(application)
            submitted_elsewhere()

        monkeypatch.setattr(services, "_validate_draft", validate_then_submit)
    client.force_login(cast.applicant)
    typed = {**management("partners", 1), "partners-0-name": "Chorale de Lyon", "partners-0-country": "FR", "partners-0-city": "Lyon"}  # fmt: skip

    page = client.post(section_url(draft, "partners"), typed)

    assert page.status_code == 409
    assert "Chorale de Lyon" in page.content.decode()
    [message] = [str(m) for m in page.context["messages"]]
    assert "can no longer be edited" in message or "at the same time" in message
    assert not draft.partners.filter(name="Chorale de Lyon").exists()
    autosaved = client.post(reverse("applications:draft_autosave", args=[draft.pk, "partners"]), typed, HTTP_HX_REQUEST="true")  # fmt: skip
    assert autosaved.status_code == 409  # the page keeps its typed copy


def test_a_change_request_shows_the_message_opens_the_form_and_resubmits(client: Any, cast: Any) -> None:  # fmt: skip
    application = demo.drive(cast, "changes_requested")
    client.force_login(cast.applicant)
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Bitte Budget erläutern." in page
    assert reverse("applications:draft_edit", args=[application.pk]) in page
    form = client.get(section_url(application, "budget")).content.decode()
    assert "Bitte Budget erläutern." in form
    client.post(reverse("applications:draft_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert TransitionLog.objects.for_object(application).filter(transition="resubmit").exists()


def test_withdrawing_asks_for_confirmation(client: Any, cast: Any) -> None:
    application = demo.drive(cast, "submitted")
    client.force_login(cast.applicant)
    url = reverse("applications:withdraw", args=[application.pk])
    refused = client.post(url, {"reason": "Projekt fällt aus"})
    assert refused.status_code == 200 and "Projekt fällt aus" in refused.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    client.post(url, {"reason": "Projekt fällt aus", "confirm": "on"})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN


def test_accepting_the_grant_needs_a_typed_name_consent_and_a_bank_account(client: Any, cast: Any) -> None:  # fmt: skip
    application = demo.drive(cast, "approved", "offered")
    grant = Grant.objects.get(application=application)
    client.force_login(cast.applicant)
    url = reverse("applications:grant", args=[application.pk])
    no_consent = client.post(url, {"full_name": "Erika Mustermann"})
    assert "Erika Mustermann" in no_consent.content.decode()
    grant.refresh_from_db()
    assert grant.status == "offered"
    Organisation.objects.filter(pk=cast.organisation.pk).update(iban="")
    no_bank = client.post(url, {"full_name": "Erika Mustermann", "consent": "on"}, follow=True)
    grant.refresh_from_db()
    assert grant.status == "offered"
    assert "bank account" in no_bank.content.decode().lower()
    Organisation.objects.filter(pk=cast.organisation.pk).update(iban="DE89370400440532013000")
    client.post(url, {"full_name": "Erika Mustermann", "consent": "on"})
    grant.refresh_from_db()
    assert (grant.status, grant.accepted_name, grant.accepted_by) == ("accepted", "Erika Mustermann", cast.applicant)  # fmt: skip
    page = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "3,000.00 EUR" in page  # the 75 % advance is planned and shown


def test_declining_the_grant_asks_for_confirmation(client: Any, cast: Any) -> None:
    application = demo.drive(cast, "approved", "offered")
    client.force_login(cast.applicant)
    url = reverse("applications:grant", args=[application.pk])
    client.post(url, {"decline": "1", "reason": "verschoben"})
    assert Grant.objects.get(application=application).status == "offered"
    client.post(url, {"decline": "1", "reason": "verschoben", "confirm": "on"})
    assert Grant.objects.get(application=application).status == "declined"


# --- organisations, members, invitations ------------------------------------------------------


def test_an_administrator_invites_a_member_who_joins_by_the_link(client: Any, cast: Any, volunteer: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("applications:invite", args=[cast.organisation.pk]), {"email": "Erika@Example.org"})  # fmt: skip
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/invitations/[^/\s]+/)", mail.outbox[0].body).group(1)
    invitation = Invitation.objects.get(email="erika@example.org")
    assert invitation.token_hash not in mail.outbox[0].body

    client.force_login(volunteer)
    assert cast.organisation.name in client.get(link).content.decode()
    client.post(link)
    assert Membership.objects.filter(organisation=cast.organisation, user=volunteer).exists()
    assert client.get(link).status_code == 404  # used once


def test_an_invitation_is_only_for_its_address_and_only_administrators_invite(client: Any, cast: Any, other_applicant: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    link_for = lambda token: f"/invitations/{token}/"  # noqa: E731
    with django_capture_on_commit_callbacks(execute=True):
        invitation = organisation_services.invite_member(cast.organisation, by=cast.applicant, email="someone@example.org", link_for=link_for)  # fmt: skip
    token = re.search(r"/invitations/([^/]+)/", mail.outbox[-1].body).group(1)
    client.force_login(other_applicant)
    client.post(f"/invitations/{token}/")
    assert not cast.organisation.memberships.filter(user=other_applicant).exists()
    organisation_services.add_member(
        cast.organisation, other_applicant
    )  # a plain member, not an administrator
    client.post(reverse("applications:invite", args=[cast.organisation.pk]), {"email": "x@example.org"})  # fmt: skip
    assert not Invitation.objects.filter(email="x@example.org").exists()
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=clock.now() - timedelta(seconds=1)
    )
    assert client.get(f"/invitations/{token}/").status_code == 404


def test_a_member_of_two_organisations_switches_between_them(client: Any, cast: Any, other_organisation: Organisation) -> None:  # fmt: skip
    organisation_services.add_member(other_organisation, cast.applicant)
    own = demo.drive(cast, "submitted")
    client.force_login(cast.applicant)
    client.post(reverse("applications:switch_organisation"), {"organisation": other_organisation.pk})  # fmt: skip
    page = client.get(reverse("applications:home")).content.decode()
    assert other_organisation.name in page and own.reference not in page
    client.post(reverse("applications:switch_organisation"), {"organisation": cast.organisation.pk})
    assert own.reference in client.get(reverse("applications:home")).content.decode()


def test_someone_cannot_switch_to_an_organisation_they_do_not_belong_to(client: Any, cast: Any, other_organisation: Organisation) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    client.post(reverse("applications:switch_organisation"), {"organisation": other_organisation.pk})  # fmt: skip
    assert other_organisation.name not in client.get(reverse("applications:home")).content.decode()


def test_the_bank_account_is_checked_as_typed(client: Any, cast: Any) -> None:
    client.force_login(cast.applicant)
    url = reverse("applications:bank_check")
    good = client.post(url, {"iban": "DE89 3704 0044 0532 0130 00"}, HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "Valid IBAN" in good
    bad = client.post(url, {"iban": "DE89 3704 0044 0532 0130 01"}, HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "not valid" in bad
    saved = client.post(reverse("applications:bank_account", args=[cast.organisation.pk]), {"bank_account_holder": "Komitee", "iban": "DE89 3704 0044 0532 0130 01", "bic": ""})  # fmt: skip
    assert "not valid" in saved.content.decode() and "DE89 3704 0044 0532 0130 01" in saved.content.decode()  # fmt: skip


TURKISH_IBAN = "TR33 0006 1005 1978 6457 8413 26"  # valid, but outside the SEPA zone


def test_an_account_outside_the_sepa_area_is_refused_where_it_is_typed(client: Any, cast: Any) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    checked = client.post(reverse("applications:bank_check"), {"iban": TURKISH_IBAN}, HTTP_HX_REQUEST="true").content.decode()  # fmt: skip
    assert "outside the SEPA area" in checked
    saved = client.post(reverse("applications:bank_account", args=[cast.organisation.pk]), {"bank_account_holder": "Komitee", "iban": TURKISH_IBAN, "bic": ""})  # fmt: skip
    assert "outside the SEPA area" in saved.content.decode() and TURKISH_IBAN in saved.content.decode()  # fmt: skip
    cast.organisation.refresh_from_db()
    assert cast.organisation.iban != TURKISH_IBAN.replace(" ", "")
    # An account stored before the check (or by hand) does not let a grant be accepted.
    application = demo.drive(cast, "approved", "offered")
    Organisation.objects.filter(pk=cast.organisation.pk).update(iban=TURKISH_IBAN.replace(" ", ""))
    client.post(reverse("applications:grant", args=[application.pk]), {"full_name": "Erika Mustermann", "consent": "on"})  # fmt: skip
    assert Grant.objects.get(application=application).status == "offered"


# --- who may see and do what ---------------------------------------------------------------------


def applicant_urls(application: Application, grant_application: Application, organisation: Organisation) -> list[str]:  # fmt: skip
    pk = application.pk
    return [
        reverse("applications:detail", args=[pk]),
        reverse("applications:draft_edit", args=[pk]),
        *(
            section_url(application, s)
            for s in (
                "project",
                "dates",
                "partners",
                "participants",
                "budget",
                "attachments",
                "declarations",
            )
        ),
        reverse("applications:draft_autosave", args=[pk, "project"]),
        reverse("applications:draft_review", args=[pk]),
        reverse("applications:draft_submit", args=[pk]),
        reverse("applications:withdraw", args=[pk]),
        reverse("applications:grant", args=[grant_application.pk]),
        reverse("applications:organisation", args=[organisation.pk]),
        reverse("applications:organisation_edit", args=[organisation.pk]),
        reverse("applications:bank_account", args=[organisation.pk]),
        reverse("applications:invite", args=[organisation.pk]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_users_are_sent_to_sign_in_everywhere(client: Any, cast: Any, draft: Application, method: str) -> None:  # fmt: skip
    granted = demo.drive(cast, "approved", "offered")
    urls = [*applicant_urls(draft, granted, cast.organisation), reverse("applications:home"), reverse("applications:organisation_create"), reverse("applications:draft_start")]  # fmt: skip
    for url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url  # fmt: skip


@pytest.mark.parametrize("method", ["get", "post"])
def test_members_of_another_organisation_get_not_found_and_change_nothing(client: Any, cast: Any, draft: Application, other_applicant: Any, method: str) -> None:  # fmt: skip
    granted = demo.drive(cast, "approved", "offered")
    before = (list(Application.objects.values()), list(Grant.objects.values()), list(Organisation.objects.values()))  # fmt: skip
    client.force_login(other_applicant)
    for url in applicant_urls(draft, granted, cast.organisation):
        response = getattr(client, method)(url, {"title": "x", "full_name": "x", "consent": "on", "confirm": "on", "email": "a@b.de"})  # fmt: skip
        # POST-only addresses answer a GET with 405 before looking anything up: nothing leaks.
        assert response.status_code in ((404, 405) if method == "get" else (404,)), url
    assert (list(Application.objects.values()), list(Grant.objects.values()), list(Organisation.objects.values())) == before  # fmt: skip


def test_staff_read_an_application_but_cannot_edit_it(client: Any, cast: Any) -> None:
    application = demo.drive(cast, "submitted")
    client.force_login(cast.reviewer)
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 200
    # Seen, but only its organisation's members edit or withdraw it: refused, not hidden.
    assert client.get(section_url(application, "project")).status_code == 403
    assert client.post(reverse("applications:withdraw", args=[application.pk]), {"confirm": "on"}).status_code == 403  # fmt: skip


# --- bounded queries ------------------------------------------------------------------------------


def grow(application: Application, cast: Any, *, size: int) -> None:
    """Many budget lines, partners and attachments on one application (log rows come with it)."""
    from applications.models import Attachment

    Attachment.objects.bulk_create(
        Attachment(
            application=application,
            file=f"attachments/{application.pk}/{i:032x}",
            original_name=f"Angebot {i}.pdf",
            content_type="application/pdf",
            size=1000,
            sha256="0" * 64,
            uploaded_by=cast.applicant,
        )
        for i in range(size)
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(
            application=application,
            side="expense",
            category="material",
            purpose=f"Flyer {i}",
            quantity=1,
            unit_cost=Decimal("1.00"),
            position=10 + i,
        )
        for i in range(size)
    )
    application.partners.model.objects.bulk_create(
        application.partners.model(application=application, name=f"Partner {i}", country="FR")
        for i in range(size)
    )


@pytest.mark.parametrize("size", [1, 20])
def test_the_start_page_and_the_application_page_run_a_bounded_number_of_queries(client: Any, cast: Any, size: int, django_assert_max_num_queries: Any) -> None:  # fmt: skip
    applications = [demo.drive(cast, "approved", "closed") for _ in range(size)]
    for application in applications:
        grow(application, cast, size=size)
    client.force_login(cast.applicant)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("applications:home")).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("applications:detail", args=[applications[0].pk])).status_code == 200  # fmt: skip
    with django_assert_max_num_queries(20):
        assert client.get(section_url(applications[0], "budget")).status_code in (200, 302)


def test_the_applicant_chooses_the_applications_language_until_submitting(client: Any, cast: Any, drive: Any, draft: Application) -> None:  # fmt: skip
    client.force_login(cast.applicant)
    url = reverse("applications:draft_autosave", args=[draft.pk, "project"])
    typed = {"title": "Rencontre", "summary": "Une semaine.", "description": "Texte", "themes": ["europe"]}  # fmt: skip
    assert client.post(url, {**typed, "language": "fr"}, HTTP_HX_REQUEST="true").status_code == 200
    draft.refresh_from_db()
    assert draft.language == "fr"
    refused = client.post(url, {**typed, "language": "xx"}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 200 and "xx" in refused.content.decode()  # shown with its error
    draft.refresh_from_db()
    assert draft.language == "fr" and draft.title == "Rencontre"  # the rest was kept

    # Sent back for changes after the submission: the language stays as submitted.
    returned = drive("changes_requested")
    page = client.get(reverse("applications:draft_section", args=[returned.pk, "project"]))
    assert 'name="language"' in page.content.decode() and "disabled" in page.content.decode()
    client.post(reverse("applications:draft_autosave", args=[returned.pk, "project"]), {**typed, "language": "fr"}, HTTP_HX_REQUEST="true")  # fmt: skip
    returned.refresh_from_db()
    assert returned.language == "de" and returned.title == "Rencontre"
    with pytest.raises(WorkflowError) as refusal:
        services.save_draft(returned, by=cast.applicant, language="fr")
    assert refusal.value.code == "language_fixed"

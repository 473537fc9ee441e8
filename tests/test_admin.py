"""The admin: every model is shown, nothing writes a status by hand, transitions go through services."""

import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.urls import reverse

from applications.admin import ApplicationAdmin
from applications.formal_check import (
    CHANGES_MESSAGE_MISSING,
    CHECKLIST_CODES,
    NOTHING_TICKED,
    REJECTION_REASONS_MISSING,
    require_every_item,
)
from applications.models import Application
from applications.transitions import APPLICATION_TRANSITIONS
from demo import builders as demo
from grants.admin import BudgetAllocationAdmin, GrantAdmin
from grants.models import (
    REPORT_MESSAGE_MISSING,
    BudgetAllocation,
    Grant,
    LedgerEntry,
    Payment,
    RepaymentClaim,
)
from grants.services import record_payment_paid
from grants.transitions import GRANT_TRANSITIONS
from organisations import services as organisation_services
from tests.support import unchanged
from workflows import clock
from workflows.errors import InvalidInput
from workflows.models import TransitionLog
from workflows.text import (
    LONG_TEXT,
    LONGEST_REPLY_DAYS,
    REASON_MISSING,
    clean_reply_date,
    clean_text,
)

OWN_APPS = {"applications", "grants", "organisations", "workflows", "reviews"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def transition_url(obj, name):
    return admin_url(type(obj), "transition", obj.pk, name)


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def log_rows(obj, transition):
    return TransitionLog.objects.for_object(obj).filter(transition=transition)


@pytest.fixture
def demo_data(cast, draft):
    """One object of every model: applications and grants in many states, money both ways
    (the closed grant's balance paid through a SEPA batch), the review work done in the
    workspace, a conflict and an invitation."""
    from demo.cofunding import cofinance_budgets
    from demo.reviews import ReviewSteps, ensure_reviewer_profiles
    from grants import finance
    from reviews.services import declare_conflict

    class BalanceThroughABatch(ReviewSteps):
        def after(self, obj, step):
            super().after(obj, step)
            if step == "accept_report":
                due = [finance.approve_payment(p, by=cast.finance) for p in obj.payments.filter(status="scheduled")]  # fmt: skip
                batch = finance.create_batch(due, by=cast.finance, execution_date=clock.today())
                finance.mark_batch_paid(finance.export_batch(batch, by=cast.finance), by=cast.finance)  # fmt: skip

    # The budgets co-financed by the two ministries: the funders and their shares have rows too.
    cofinance_budgets(cast.fund, by=cast.admin)
    ensure_reviewer_profiles(cast)
    organisation_services.invite_member(cast.organisation, by=cast.applicant, email="new.member@example.org", link_for=lambda token: f"/invitations/{token}/")  # fmt: skip
    steps = ReviewSteps(cast)
    data = {
        "draft": draft,
        "submitted": demo.drive(cast, "submitted", steps=steps),
        "reviewed": demo.drive(cast, "reviewed", steps=steps),
        "offered": demo.drive(cast, "approved", "offered", steps=steps),
        "closed": demo.drive(cast, "approved", "closed", steps=BalanceThroughABatch(cast)),
        "revoked": demo.drive(cast, "approved", "revoked", steps=steps),
    }
    declare_conflict(data["submitted"], by=cast.reviewer2, note="Mitglied im Verein")
    from workflows.saved_filters import save_filter

    save_filter(cast.manager, path="/review/decisions/", query="country=DE", name="Deutschland")
    from applications.documents import issue_document

    issue_document(data["submitted"], kind="summary")
    # A retried API call (its stored answer): approving a submitted application is refused.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(cast.manager)
    api.post(f"/api/v1/applications/{data['submitted'].pk}/transitions/approve/", {"amount": "1.00"}, format="json", HTTP_IDEMPOTENCY_KEY="demo-retry")  # fmt: skip
    return data


# --- every page renders ---------------------------------------------------------------------


def test_every_registered_model_renders_its_pages_for_the_administrator(
    client, cast, demo_data, rf
):
    request = rf.get("/")
    request.user = cast.admin
    client.force_login(cast.admin)
    assert client.get(reverse("admin:index")).status_code == 200
    for model, model_admin in admin.site._registry.items():
        if not model._meta.managed:
            continue  # e.g. django-rq's dashboard: a page over Redis, no table
        assert client.get(admin_url(model, "changelist")).status_code == 200, model
        obj = model._default_manager.order_by("pk").last()
        if model._meta.app_label in OWN_APPS:
            assert obj is not None, f"the demo data has no {model.__name__}"
        if obj is not None:
            assert client.get(admin_url(model, "change", obj.pk)).status_code == 200, model
        if model_admin.has_add_permission(request):
            assert client.get(admin_url(model, "add")).status_code == 200, model


def test_applications_and_grants_in_every_demo_state_render(client, cast, demo_data):
    grants = Grant.objects.all()
    assert grants.count() == 3
    for user in (cast.admin, cast.manager, cast.reviewer, cast.finance):
        client.force_login(user)
        for application in demo_data.values():
            url = admin_url(Application, "change", application.pk)
            # A draft is private to its organisation, administrators included; Django answers
            # "not found" with a redirect to the index.
            expected = 302 if application.status == "draft" else 200
            assert client.get(url).status_code == expected, (user, application.status)
        for grant in grants:
            assert client.get(admin_url(Grant, "change", grant.pk)).status_code == 200


def test_every_own_model_has_an_admin_or_an_inline():
    from django.apps import apps

    inlined = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    for app_label in OWN_APPS:
        for model in apps.get_app_config(app_label).get_models():
            assert admin.site.is_registered(model) or model in inlined, model


@pytest.mark.parametrize("model", [Application, Grant])
def test_changelists_do_not_query_per_row(client, cast, model, django_assert_max_num_queries):
    for _ in range(10):
        demo.drive(cast, "approved", "offered")
    client.force_login(cast.manager)
    with django_assert_max_num_queries(10):
        response = client.get(admin_url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 10


def test_allocation_balances_from_the_list_match_the_ledger(
    client, cast, demo_data, rf, django_assert_num_queries
):
    request = rf.get("/")
    request.user = cast.admin
    model_admin = BudgetAllocationAdmin(BudgetAllocation, admin.site)
    annotated = list(model_admin.get_queryset(request))
    with django_assert_num_queries(0):
        shown = {allocation.pk: model_admin.balances(allocation) for allocation in annotated}
    for allocation in annotated:
        assert shown[allocation.pk] == allocation.balances()
    assert any(balances["paid"] > 0 for balances in shown.values())
    booked = next(a for a in annotated if shown[a.pk]["committed"] > 0)
    client.force_login(cast.finance)
    page = client.get(admin_url(BudgetAllocation, "change", booked.pk)).content.decode()
    assert str(booked.balances()["remaining"]) in page


# --- who gets in ------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page(client, demo_data):
    reviewed = demo_data["reviewed"]
    for url in (
        reverse("admin:index"),
        admin_url(Application, "changelist"),
        admin_url(Application, "change", reviewed.pk),
        transition_url(reviewed, "approve"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_applicant_without_staff_status_is_sent_to_the_login_page(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    client.force_login(cast.applicant)
    for url in (admin_url(Application, "changelist"), transition_url(reviewed, "withdraw")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    response = client.post(transition_url(reviewed, "withdraw"), {"reason": "x"})
    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert reviewed.status == "reviewed"


def test_staff_may_view_policy_but_only_the_administrator_changes_it(client, cast):
    programme = cast.fund.programmes.first()
    url = admin_url(type(programme), "change", programme.pk)
    client.force_login(cast.manager)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(url, {"name": "Hijacked"}).status_code == 403
    client.force_login(cast.admin)
    assert 'name="_save"' in client.get(url).content.decode()


# --- the status is never a form field ------------------------------------------------------------


def test_the_status_is_never_a_form_field(client, cast, demo_data, rf):
    request = rf.get("/")
    request.user = cast.admin
    form = ApplicationAdmin(Application, admin.site).get_form(
        request, demo_data["submitted"], change=True
    )
    assert "status" not in form.base_fields


def test_nobody_reads_or_corrects_another_organisations_draft_in_the_admin(client, cast, draft):
    """The draft is the organisation's own: its members edit it in the portal. An administrator
    neither reads it here nor posts a title or a status to it."""
    url = admin_url(Application, "change", draft.pk)
    client.force_login(cast.admin)
    assert client.get(url).status_code == 302  # "not found": back to the admin's index
    assert draft not in client.get(admin_url(Application, "changelist")).context["cl"].result_list
    client.post(url, {"title": "Begegnungswoche 2026", "status": "approved", "_save": "Save"})
    draft.refresh_from_db()
    assert draft.title != "Begegnungswoche 2026"
    assert draft.status == "draft"


def test_submitted_application_is_read_only(client, cast, demo_data):
    submitted = demo_data["submitted"]
    url = admin_url(Application, "change", submitted.pk)
    client.force_login(cast.admin)
    page = client.get(url).content.decode()
    assert 'name="title"' not in page
    assert client.post(url, {"title": "Changed"}).status_code == 403
    submitted.refresh_from_db()
    assert submitted.title != "Changed"


# --- transitions as buttons -----------------------------------------------------------------------


def test_manager_approves_through_the_transition_page(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    client.force_login(cast.manager)
    change_page = client.get(admin_url(Application, "change", reviewed.pk)).content.decode()
    assert transition_url(reviewed, "approve") in change_page
    form_page = client.get(transition_url(reviewed, "approve"))
    assert form_page.status_code == 200
    assert form_page.context["form"].initial["amount"] == reviewed.requested_amount

    response = client.post(
        transition_url(reviewed, "approve"),
        {"amount": "3500.00", "conditions": "Logo des Fonds verwenden."},
    )

    assert response.status_code == 302
    assert response["Location"] == admin_url(Application, "change", reviewed.pk)
    reviewed.refresh_from_db()
    assert reviewed.status == "approved"
    assert reviewed.awarded_amount == Decimal("3500.00")
    row = log_rows(reviewed, "approve").get()
    assert row.actor == cast.manager
    assert Grant.objects.get(application=reviewed).amount_awarded == Decimal("3500.00")
    assert any("approved" in text for text in texts(response))


def test_reviewer_is_offered_no_approve_and_is_refused_when_trying(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    client.force_login(cast.reviewer)
    change_page = client.get(admin_url(Application, "change", reviewed.pk)).content.decode()
    assert transition_url(reviewed, "approve") not in change_page
    assert client.get(transition_url(reviewed, "approve")).status_code == 302

    response = client.post(transition_url(reviewed, "approve"), {"amount": "100.00"})

    assert response.status_code == 200
    assert "You are not allowed to do this." in response.content.decode()
    reviewed.refresh_from_db()
    assert reviewed.status == "reviewed"
    assert not log_rows(reviewed, "approve").exists()
    assert not Grant.objects.filter(application=reviewed).exists()


def test_approving_more_than_requested_is_refused_and_changes_nothing(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    commitments = LedgerEntry.objects.filter(kind="commit").count()
    client.force_login(cast.manager)

    response = client.post(
        transition_url(reviewed, "approve"), {"amount": str(reviewed.requested_amount + 1)}
    )

    assert response.status_code == 200
    errors = [m for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
    assert len(errors) == 1
    assert "at most" in str(errors[0])
    assert "at most" in response.content.decode()
    reviewed.refresh_from_db()
    assert reviewed.status == "reviewed"
    assert reviewed.awarded_amount is None
    assert not log_rows(reviewed, "approve").exists()
    assert LedgerEntry.objects.filter(kind="commit").count() == commitments


def test_request_changes_takes_a_message_and_a_future_deadline(client, cast, demo_data):
    submitted = demo_data["submitted"]
    client.force_login(cast.reviewer)
    url = transition_url(submitted, "request_changes")
    assert client.get(url).status_code == 200

    past = client.post(url, {"message": "Budget?", "reply_by": clock.today().isoformat()})
    assert "The reply deadline must be a future date." in past.content.decode()
    missing = client.post(url, {"reply_by": (clock.today() + timedelta(days=14)).isoformat()})
    assert missing.context["form"].errors["message"]
    submitted.refresh_from_db()
    assert submitted.status == "submitted"

    reply_by = clock.today() + timedelta(days=14)
    done = client.post(url, {"message": "Bitte Budget erläutern.", "reply_by": reply_by})
    assert done.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "changes_requested"
    assert submitted.reply_deadline == reply_by
    assert log_rows(submitted, "request_changes").get().actor == cast.reviewer


def test_manager_cancels_an_accepted_grant_with_a_reason(client, cast):
    grant = Grant.objects.get(application=demo.drive(cast, "approved", "accepted"))
    client.force_login(cast.manager)
    url = transition_url(grant, "cancel")
    assert url in client.get(admin_url(Grant, "change", grant.pk)).content.decode()
    assert client.post(url, {"reason": ""}).context["form"].errors["reason"]

    response = client.post(url, {"reason": "Projekt abgesagt"})

    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == "cancelled"
    assert log_rows(grant, "cancel").get().actor == cast.manager


def test_unknown_transition_or_object_is_not_found(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    client.force_login(cast.manager)
    assert client.get(transition_url(reviewed, "delete")).status_code == 404
    assert client.post(transition_url(reviewed, "_save"), {}).status_code == 404
    missing = admin_url(Application, "transition", 999999, "approve")
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize("table", [APPLICATION_TRANSITIONS, GRANT_TRANSITIONS])
def test_every_transition_has_a_form_that_fits_its_service(table):
    for spec in table.values():
        fields = dict.fromkeys(spec.form.base_fields)
        inspect.signature(spec.service).bind(object(), by=None, **fields)


def test_the_admin_and_the_api_run_the_one_table_of_each_machine():
    from applications.api.views import ApplicationViewSet
    from grants.api.views import GrantViewSet

    assert ApplicationAdmin.transitions is ApplicationViewSet.transition_specs is APPLICATION_TRANSITIONS  # fmt: skip
    assert GrantAdmin.transitions is GrantViewSet.transition_specs is GRANT_TRANSITIONS
    # Every transition of each machine is in its table.
    for model, table in ((Application, APPLICATION_TRANSITIONS), (Grant, GRANT_TRANSITIONS)):
        declared = {t.name for t in model._meta.get_field("status").get_all_transitions(model)}
        assert declared <= set(table), declared - set(table)


# --- bulk actions -------------------------------------------------------------------------------


def test_bulk_reopen_reports_each_application(client, cast):
    first, second = demo.drive(cast, "waitlisted"), demo.drive(cast, "waitlisted")
    reviewed = demo.drive(cast, "reviewed")
    client.force_login(cast.manager)

    response = client.post(
        admin_url(Application, "changelist"),
        {"action": "transition_reopen", "_selected_action": [first.pk, second.pk, reviewed.pk]},
        follow=True,
    )

    assert response.status_code == 200
    messages: dict[str, list[str]] = {"success": [], "error": []}
    for message in response.context["messages"]:
        messages[message.level_tag].append(str(message))
    assert len(messages["success"]) == 2
    assert len(messages["error"]) == 1
    assert reviewed.reference in messages["error"][0]
    for application in (first, second):
        application.refresh_from_db()
        assert application.status == "reviewed"
    assert log_rows(first, "reopen").get().actor == cast.manager


def test_bulk_close_closes_settled_grants_and_names_the_open_money(client, cast):
    with_open_balance = Grant.objects.get(application=demo.drive(cast, "approved", "settled"))
    all_paid = Grant.objects.get(application=demo.drive(cast, "approved", "settled"))
    for payment in Payment.objects.filter(grant=all_paid, status="scheduled"):
        record_payment_paid(payment, by=cast.finance)
    client.force_login(cast.finance)

    response = client.post(
        admin_url(Grant, "changelist"),
        {"action": "transition_close", "_selected_action": [with_open_balance.pk, all_paid.pk]},
        follow=True,
    )

    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1
    assert "still open" in errors[0]
    all_paid.refresh_from_db()
    with_open_balance.refresh_from_db()
    assert (all_paid.status, with_open_balance.status) == ("closed", "settled")
    assert log_rows(all_paid, "close").get().actor == cast.finance


def test_bulk_actions_are_offered_to_staff_only_by_their_names(client, cast, demo_data):
    client.force_login(cast.manager)
    page = client.get(admin_url(Application, "changelist")).content.decode()
    assert "transition_reopen" in page
    assert "delete_selected" not in page


def test_the_formal_check_is_no_bulk_action_it_needs_its_checklist(client, cast):
    """A formal check in bulk would pass applications nobody checked item by item."""
    application = demo.drive(cast, "submitted")
    client.force_login(cast.reviewer)
    assert "transition_pass_formal_check" not in client.get(admin_url(Application, "changelist")).content.decode()  # fmt: skip
    response = client.post(
        admin_url(Application, "changelist"),
        {"action": "transition_pass_formal_check", "_selected_action": [application.pk]},
    )
    assert response.status_code in (200, 302)
    application.refresh_from_db()
    assert application.status == "submitted"


# --- the audit log ------------------------------------------------------------------------------


def test_transition_log_cannot_be_added_changed_or_deleted(client, cast, demo_data):
    row = TransitionLog.objects.earliest("id")
    client.force_login(cast.admin)
    assert client.get(admin_url(TransitionLog, "add")).status_code == 403
    assert client.post(admin_url(TransitionLog, "add"), {}).status_code == 403
    view = client.get(admin_url(TransitionLog, "change", row.pk))
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert client.post(admin_url(TransitionLog, "change", row.pk), {"note": "x"}).status_code == 403
    assert client.get(admin_url(TransitionLog, "delete", row.pk)).status_code == 403
    assert (
        client.post(admin_url(TransitionLog, "delete", row.pk), {"post": "yes"}).status_code == 403
    )
    changelist = client.post(
        admin_url(TransitionLog, "changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert changelist.status_code in (200, 302)
    row.refresh_from_db()
    assert row.note == ""
    assert TransitionLog.objects.filter(pk=row.pk).exists()


def test_transition_log_filters_and_search(client, cast, demo_data):
    reviewed = demo_data["reviewed"]
    client.force_login(cast.manager)
    url = admin_url(TransitionLog, "changelist")
    for query in (
        {"transition": "approve"},
        {"actor__id__exact": cast.manager.pk},
        {"content_type__id__exact": log_rows(reviewed, "submit").get().content_type_id},
    ):
        assert client.get(url, query).status_code == 200, query
    found = client.get(url, {"q": str(reviewed.pk)}).context["cl"].result_list
    assert {row.object_id for row in found} == {str(reviewed.pk)}


def test_transition_log_is_hidden_from_reviewers(client, cast, demo_data):
    client.force_login(cast.reviewer)
    assert client.get(admin_url(TransitionLog, "changelist")).status_code == 403
    client.force_login(cast.finance)
    assert client.get(admin_url(TransitionLog, "changelist")).status_code == 403


def test_ledger_and_money_rows_are_read_only(client, cast, demo_data):
    client.force_login(cast.admin)
    for model in (LedgerEntry, Payment, RepaymentClaim):
        obj = model.objects.order_by("pk")[0]
        assert client.get(admin_url(model, "add")).status_code == 403
        assert client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
        assert client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403


def test_every_transition_form_asks_for_a_note():
    grant_admin = GrantAdmin(Grant, admin.site)
    for name in GRANT_TRANSITIONS:
        assert "note" in grant_admin.transition_form_class(name).base_fields


# --- the step's limits in the transition forms, in the step's words -------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)
FAR = LONGEST_REPLY_DAYS + 1


def refusal(rule, *args, **kwargs):
    """What the step's own rule says to this input (the transition method calls the same)."""
    with pytest.raises(InvalidInput) as refused:
        rule(*args, **kwargs)
    return str(refused.value.message)


def far_date_words():
    return refusal(clean_reply_date, clock.today() + timedelta(days=FAR))


def too_long_words():
    return refusal(clean_text, TOO_LONG)


def record_in(cast, application_state, grant_state):
    application = demo.drive(cast, application_state, grant_state)
    return Grant.objects.get(application=application) if grant_state else application


# (application state, grant state, transition, who, posted, field, the step's words); a number
# posted as `reply_by` is that many days from today.
STEP_REFUSALS = [
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": TOO_LONG, "reply_by": 14}, "message", too_long_words, id="changes-message-too-long"),
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": " ", "reply_by": 14}, "message", lambda: str(CHANGES_MESSAGE_MISSING), id="changes-message-missing"),
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": "Budget?", "reply_by": FAR}, "reply_by", far_date_words, id="changes-reply-after-a-year"),
    pytest.param("submitted", None, "pass_formal_check", "reviewer", {"checklist": ["complete", "dates"]}, "checklist", lambda: refusal(require_every_item, ["complete", "dates"]), id="checklist-partial"),
    pytest.param("submitted", None, "pass_formal_check", "reviewer", {}, "checklist", lambda: str(NOTHING_TICKED), id="checklist-missing"),
    pytest.param("submitted", None, "reject", "reviewer", {"reasons": " "}, "reasons", lambda: str(REJECTION_REASONS_MISSING), id="formal-rejection-without-reasons"),
    pytest.param("reviewed", None, "reject", "manager", {"reasons": TOO_LONG}, "reasons", too_long_words, id="rejection-reasons-too-long"),
    pytest.param("reviewed", None, "approve", "manager", {"amount": "4000.00", "conditions": TOO_LONG}, "conditions", too_long_words, id="approval-conditions-too-long"),
    pytest.param("reviewed", None, "waitlist", "manager", {"reason": TOO_LONG}, "reason", too_long_words, id="waitlist-reason-too-long"),
    pytest.param("reviewed", None, "waitlist", "manager", {"reason": "ok", "note": TOO_LONG}, "note", too_long_words, id="note-too-long"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": TOO_LONG, "reply_by": 14}, "message", too_long_words, id="report-message-too-long"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": "", "reply_by": 14}, "message", lambda: str(REPORT_MESSAGE_MISSING), id="report-message-missing"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": "Belege?", "reply_by": FAR}, "reply_by", far_date_words, id="report-reply-after-a-year"),
    pytest.param("approved", "accepted", "cancel", "manager", {"reason": ""}, "reason", lambda: str(REASON_MISSING), id="cancel-without-reason"),
    pytest.param("approved", "accepted", "cancel", "manager", {"reason": TOO_LONG}, "reason", too_long_words, id="cancel-reason-too-long"),
]  # fmt: skip


def admin_says(response, field):
    """What the transition page says about `field`: the form's errors beside it and the error
    messages of a refused step (“…was refused: <why>”)."""
    beside = [str(error) for error in response.context["form"].errors.get(field, [])]
    return beside + texts(response)


@pytest.mark.parametrize(("app_state", "grant_state", "name", "who", "posted", "field", "words"), STEP_REFUSALS)  # fmt: skip
def test_the_transition_form_refuses_what_the_step_refuses_in_its_words(client, cast, app_state, grant_state, name, who, posted, field, words):  # fmt: skip
    record = record_in(cast, app_state, grant_state)
    data = dict(posted)
    if "reply_by" in data:
        data["reply_by"] = (clock.today() + timedelta(days=data["reply_by"])).isoformat()
    client.force_login(getattr(cast, who))
    with unchanged(record):
        response = client.post(transition_url(record, name), data)
    assert response.status_code == 200
    assert any(words() in said for said in admin_says(response, field)), admin_says(response, field)


def test_the_formal_check_form_lists_the_checklist_and_the_audit_row_keeps_it(client, cast):
    application = demo.drive(cast, "submitted")
    client.force_login(cast.reviewer)
    url = transition_url(application, "pass_formal_check")
    page = client.get(url).content.decode()
    assert all(f'value="{code}"' in page for code in CHECKLIST_CODES)
    response = client.post(url, {"checklist": list(CHECKLIST_CODES), "note": "alles da"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "in_review"
    row = log_rows(application, "pass_formal_check").get()
    assert (row.note, row.payload) == (
        "alles da",
        {"checklist": dict.fromkeys(CHECKLIST_CODES, True)},
    )

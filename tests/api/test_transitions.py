"""Staff integrations change a record's status through the API, by the same services as the
admin: the manager approves, funders and applicants are refused, every refusal is a problem."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from applications import demo
from applications.models import Application, ApplicationStatus
from grants.models import BudgetAllocation, Grant, GrantStatus, Programme
from tests.api.conftest import issue, session_client
from tests.api.test_auth import assert_problem
from workflows.models import TransitionLog


def transition_url(kind: str, pk: int, name: str) -> str:
    return f"/api/v1/{kind}/{pk}/transitions/{name}/"


def application_url(application: Application, name: str) -> str:
    return transition_url("applications", application.pk, name)


def log_rows(obj: Any, transition: str) -> list[TransitionLog]:
    return list(TransitionLog.objects.for_object(obj).filter(transition=transition))


@pytest.fixture
def reviewed(cast: demo.Cast) -> Application:
    """In programme A (EUR 4,000 requested), waiting for a manager's decision."""
    return demo.drive(cast, "reviewed")


@pytest.fixture
def manager(cast: demo.Cast) -> APIClient:
    return session_client(cast.manager)


# --- the manager decides --------------------------------------------------------------------------


def test_manager_approves_in_the_session_and_the_audit_log_names_them(
    cast: demo.Cast, reviewed: Application, manager: APIClient
) -> None:
    body = {"amount": "3500.00", "conditions": "Bericht bis Jahresende", "note": "via API"}
    response = manager.post(application_url(reviewed, "approve"), body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["id"], data["status"], data["awarded_amount"]) == (
        reviewed.pk,
        "approved",
        "3500.00",
    )
    assert "decision_note" in data  # the staff field set
    grant = Grant.objects.get(application=reviewed)
    assert data["grant"] == grant.pk
    assert grant.amount_awarded == Decimal("3500.00")
    [row] = log_rows(reviewed, "approve")
    assert (row.actor, row.note, row.source, row.target) == (
        cast.manager,
        "via API",
        "reviewed",
        "approved",
    )
    assert row.payload == {"amount": "3500.00", "conditions": "Bericht bis Jahresende"}


def test_a_token_of_a_manager_may_write_too(cast: demo.Cast, reviewed: Application) -> None:
    token = issue(cast.manager, by=cast.admin, all_programmes=True)
    response = token.client.post(application_url(reviewed, "waitlist"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "waitlisted"
    assert log_rows(reviewed, "waitlist")[0].actor == cast.manager


def test_a_manager_cancels_a_grant(cast: demo.Cast, manager: APIClient) -> None:
    application = demo.drive(cast, "approved", "accepted")
    grant = Grant.objects.get(application=application)
    response = manager.post(
        transition_url("grants", grant.pk, "cancel"),
        {"reason": "Das Projekt findet nicht statt."},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == GrantStatus.CANCELLED
    assert "conditions" in response.json()  # the staff field set
    assert log_rows(grant, "cancel")[0].actor == cast.manager


# --- who may not ------------------------------------------------------------------------------------


def test_a_funder_token_only_reads(
    cast: demo.Cast, reviewed: Application, fiona: Any, all_programmes_funder: Any
) -> None:
    for funder in (fiona, all_programmes_funder):
        response = funder.client.post(application_url(reviewed, "approve"), {"amount": "1"})
        body = assert_problem(response, 403, "read_only")
        assert "read" in body["detail"]
    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED
    assert log_rows(reviewed, "approve") == []


def test_a_funder_token_is_refused_even_for_an_unknown_transition(
    reviewed: Application, fiona: Any
) -> None:
    assert_problem(fiona.client.post(application_url(reviewed, "fly"), {}), 403, "read_only")


def test_an_applicant_has_no_api_to_write_with(cast: demo.Cast, reviewed: Application) -> None:
    in_session = session_client(cast.applicant).post(application_url(reviewed, "withdraw"), {})
    assert_problem(in_session, 403, "permission_denied")
    token = issue(cast.applicant, by=cast.admin, all_programmes=True)
    assert_problem(token.client.post(application_url(reviewed, "withdraw"), {}), 403)
    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED


def test_anonymous_callers_are_asked_to_authenticate(
    reviewed: Application, anonymous: APIClient
) -> None:
    assert_problem(anonymous.post(application_url(reviewed, "approve"), {}), 401)


def test_a_session_needs_its_csrf_token_to_write(cast: demo.Cast, reviewed: Application) -> None:
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(cast.manager)
    body = assert_problem(client.post(application_url(reviewed, "waitlist"), {}), 403)
    assert "CSRF" in body["detail"]
    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED


def test_the_transitions_rule_refuses_a_reviewer_who_may_not_decide(
    cast: demo.Cast, reviewed: Application
) -> None:
    response = session_client(cast.reviewer).post(
        application_url(reviewed, "approve"), {"amount": "100.00"}, format="json"
    )
    assert_problem(response, 403, "forbidden")
    assert log_rows(reviewed, "approve") == []


# --- what is not possible ---------------------------------------------------------------------------


def test_a_transition_that_does_not_start_from_the_current_status_is_a_conflict(
    cast: demo.Cast, manager: APIClient
) -> None:
    submitted = demo.drive(cast, "submitted")
    response = manager.post(application_url(submitted, "approve"), {"amount": "100.00"})
    body = assert_problem(response, 409, "transition_not_allowed")
    assert "status" in body["detail"]


def test_a_second_approval_is_a_conflict(reviewed: Application, manager: APIClient) -> None:
    url = application_url(reviewed, "approve")
    assert manager.post(url, {"amount": "100.00"}, format="json").status_code == 200
    assert_problem(manager.post(url, {"amount": "100.00"}, format="json"), 409)
    assert len(log_rows(reviewed, "approve")) == 1


def test_an_invalid_body_is_a_400_naming_each_field(
    reviewed: Application, manager: APIClient
) -> None:
    url = application_url(reviewed, "approve")

    missing = assert_problem(manager.post(url, {"note": "x"}, format="json"), 400, "invalid")
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [("amount", "required")]

    not_a_number = assert_problem(manager.post(url, {"amount": "viel"}, format="json"), 400)
    assert not_a_number["errors"][0]["field"] == "amount"

    typo = assert_problem(manager.post(url, {"amount": "1.00", "amout": "2"}, format="json"), 400)
    assert [(e["field"], e["code"]) for e in typo["errors"]] == [("amout", "unknown_field")]

    not_an_object = assert_problem(manager.post(url, ["amount"], format="json"), 400)
    assert not_an_object["errors"][0]["field"] is None

    broken = manager.generic("POST", url, "{amount", content_type="application/json")
    assert_problem(broken, 400, "parse_error")

    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED
    assert log_rows(reviewed, "approve") == []


def test_a_value_the_transition_refuses_is_a_400_with_its_code(
    reviewed: Application, manager: APIClient
) -> None:
    response = manager.post(application_url(reviewed, "approve"), {"amount": "4000.01"})
    body = assert_problem(response, 400, "amount_out_of_range")
    assert "4,000.00" in body["detail"] or "4000.00" in body["detail"]


def test_an_exhausted_budget_refuses_the_approval_with_the_broken_rule(
    reviewed: Application, manager: APIClient
) -> None:
    """RuleViolation declares 400: the request cannot succeed as sent (another amount might)."""
    BudgetAllocation.objects.filter(programme=reviewed.programme).update(amount=Decimal("1.00"))
    response = manager.post(application_url(reviewed, "approve"), {"amount": "4000.00"})
    body = assert_problem(response, 400, "budget_refused")
    assert "left" in body["detail"]
    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED
    assert not Grant.objects.filter(application=reviewed).exists()


def test_a_record_outside_the_tokens_programmes_does_not_exist(
    cast: demo.Cast, programme_a: Programme
) -> None:
    in_b = demo.drive(cast, "reviewed", requested=Decimal("6000.00"))
    assert in_b.programme != programme_a
    token = issue(cast.manager, by=cast.admin, programmes=[programme_a])
    assert_problem(token.client.post(application_url(in_b, "waitlist"), {}), 404, "not_found")
    assert_problem(token.client.get(f"/api/v1/applications/{in_b.pk}/transitions/"), 404)
    assert_problem(token.client.post(application_url_for_pk(9_999_999, "waitlist"), {}), 404)
    in_b.refresh_from_db()
    assert in_b.status == ApplicationStatus.REVIEWED


def application_url_for_pk(pk: int, name: str) -> str:
    return transition_url("applications", pk, name)


def test_an_unknown_transition_is_a_404(reviewed: Application, manager: APIClient) -> None:
    """The transition is part of the address: a name the record does not have names nothing."""
    body = assert_problem(manager.post(application_url(reviewed, "fly"), {}), 404)
    assert body["code"] == "unknown_transition"
    assert "fly" in body["detail"]
    # a grant's transition is not an application's
    assert_problem(manager.post(application_url(reviewed, "accept_report"), {}), 404)
    # not a transition name at all: no such address
    assert_problem(manager.post(application_url(reviewed, "Approve!"), {}), 404, "not_found")
    assert_problem(manager.post(application_url(reviewed, "_locked_copy"), {}), 404)


def test_the_transition_endpoint_takes_only_post(reviewed: Application, manager: APIClient) -> None:
    assert_problem(manager.get(application_url(reviewed, "approve")), 405)


# --- what the caller may do now ------------------------------------------------------------------


def test_the_manager_reads_the_transitions_open_to_them(
    reviewed: Application, manager: APIClient
) -> None:
    response = manager.get(f"/api/v1/applications/{reviewed.pk}/transitions/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "reviewed"
    names = [t["name"] for t in data["transitions"]]
    assert names == ["approve", "reject", "waitlist"]
    approve = data["transitions"][0]
    assert approve["label"] == "Approve"
    assert approve["fields"] == [
        {"name": "amount", "type": "decimal", "required": True},
        {"name": "conditions", "type": "string", "required": False},
        {"name": "note", "type": "string", "required": False},
    ]


def test_a_funder_may_do_nothing(cast: demo.Cast, reviewed: Application, fiona: Any) -> None:
    data = fiona.client.get(f"/api/v1/applications/{reviewed.pk}/transitions/").json()
    assert data == {"status": "reviewed", "transitions": []}


def test_the_grant_transitions_of_a_finance_officer(
    cast: demo.Cast, finance_token: Any, manager: APIClient
) -> None:
    grant = Grant.objects.get(application=demo.drive(cast, "approved", "accepted"))
    url = f"/api/v1/grants/{grant.pk}/transitions/"
    assert finance_token.client.get(url).json()["transitions"] == []
    names = [t["name"] for t in manager.get(url).json()["transitions"]]
    assert names == ["cancel"]


def test_every_transition_has_an_api_body_matching_its_service() -> None:
    """The admin's forms describe the data; each one must fit the service it feeds."""
    import inspect

    from applications.api import ApplicationViewSet
    from grants.api.views import GrantViewSet

    for view in (ApplicationViewSet, GrantViewSet):
        assert set(view.transition_specs) == set(view.transition_services)
        for name, service in view.transition_services.items():
            fields = view.transition_input(name)().fields
            parameters = inspect.signature(service).parameters
            assert set(fields) <= set(parameters) - {"by"}, name
            required = {
                p.name
                for p in parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name != "by"
            }
            assert required <= set(fields), name

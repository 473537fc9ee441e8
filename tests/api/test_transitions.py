"""Staff integrations change a record's status through the API, by the same services as the
admin: the manager approves, funders and applicants are refused, every refusal is a problem."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from applications.formal_check import (
    CHANGES_MESSAGE_MISSING,
    CHECKLIST_CODES,
    NOTHING_TICKED,
    REJECTION_REASONS_MISSING,
    require_every_item,
)
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import REPORT_MESSAGE_MISSING, BudgetAllocation, Grant, GrantStatus, Programme
from tests.api.conftest import issue, session_client
from tests.api.test_auth import assert_problem
from tests.support import unchanged
from workflows import clock
from workflows.errors import InvalidInput
from workflows.models import TransitionLog
from workflows.text import (
    LONG_TEXT,
    LONGEST_REPLY_DAYS,
    NAME_TEXT,
    REASON_MISSING,
    clean_reply_date,
    clean_text,
)


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
    """The table's forms describe the data; each one must fit the service it feeds."""
    import inspect

    from applications.api.views import ApplicationViewSet
    from grants.api.views import GrantViewSet

    for view in (ApplicationViewSet, GrantViewSet):
        for name, spec in view.transition_specs.items():
            fields = view.transition_input(name)().fields
            parameters = inspect.signature(spec.service).parameters
            assert set(fields) <= set(parameters) - {"by"}, name
            required = {
                p.name
                for p in parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name != "by"
            }
            assert required <= set(fields), name


# --- the step's limits, in the step's words ---------------------------------------------------------

TOO_LONG = "x" * (LONG_TEXT + 1)
FAR = LONGEST_REPLY_DAYS + 1


def refusal(rule: Any, *args: Any, **kwargs: Any) -> str:
    """What the step's own rule says to this input (the transition method calls the same)."""
    with pytest.raises(InvalidInput) as refused:
        rule(*args, **kwargs)
    return str(refused.value.message)


def far_date_words() -> str:
    return refusal(clean_reply_date, clock.today() + timedelta(days=FAR))


def too_long_words() -> str:
    return refusal(clean_text, TOO_LONG)


# (application state, grant state, transition, who, body, field, the step's words); a number
# sent as `reply_by` is that many days from today.
STEP_REFUSALS = [
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": TOO_LONG, "reply_by": 14}, "message", too_long_words, id="changes-message-too-long"),
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": " ", "reply_by": 14}, "message", lambda: str(CHANGES_MESSAGE_MISSING), id="changes-message-blank"),
    pytest.param("submitted", None, "request_changes", "reviewer", {"reply_by": 14}, "message", lambda: str(CHANGES_MESSAGE_MISSING), id="changes-message-left-out"),
    pytest.param("submitted", None, "request_changes", "reviewer", {"message": "Budget?", "reply_by": FAR}, "reply_by", far_date_words, id="changes-reply-after-a-year"),
    pytest.param("submitted", None, "pass_formal_check", "reviewer", {"checklist": ["complete", "dates"]}, "checklist", lambda: refusal(require_every_item, ["complete", "dates"]), id="checklist-partial"),
    pytest.param("submitted", None, "pass_formal_check", "reviewer", {"checklist": []}, "checklist", lambda: str(NOTHING_TICKED), id="checklist-empty"),
    pytest.param("submitted", None, "pass_formal_check", "reviewer", {}, "checklist", lambda: str(NOTHING_TICKED), id="checklist-left-out"),
    pytest.param("submitted", None, "reject", "reviewer", {"reasons": " "}, "reasons", lambda: str(REJECTION_REASONS_MISSING), id="formal-rejection-without-reasons"),
    pytest.param("reviewed", None, "reject", "manager", {"reasons": TOO_LONG}, "reasons", too_long_words, id="rejection-reasons-too-long"),
    pytest.param("reviewed", None, "approve", "manager", {"amount": "4000.00", "conditions": TOO_LONG}, "conditions", too_long_words, id="approval-conditions-too-long"),
    pytest.param("reviewed", None, "waitlist", "manager", {"reason": TOO_LONG}, "reason", too_long_words, id="waitlist-reason-too-long"),
    pytest.param("reviewed", None, "waitlist", "manager", {"note": TOO_LONG}, "note", too_long_words, id="note-too-long"),
    pytest.param("reviewed", None, "waitlist", "manager", {"reason": 42}, "reason", lambda: refusal(clean_text, 42), id="reason-not-text"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": TOO_LONG, "reply_by": 14}, "message", too_long_words, id="report-message-too-long"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": "", "reply_by": 14}, "message", lambda: str(REPORT_MESSAGE_MISSING), id="report-message-missing"),
    pytest.param("approved", "report_submitted", "request_report_changes", "reviewer", {"message": "Belege?", "reply_by": FAR}, "reply_by", far_date_words, id="report-reply-after-a-year"),
    pytest.param("approved", "accepted", "cancel", "manager", {"reason": ""}, "reason", lambda: str(REASON_MISSING), id="cancel-without-reason"),
    pytest.param("approved", "accepted", "cancel", "manager", {"reason": TOO_LONG}, "reason", too_long_words, id="cancel-reason-too-long"),
]  # fmt: skip


@pytest.mark.parametrize(("app_state", "grant_state", "name", "who", "body", "field", "words"), STEP_REFUSALS)  # fmt: skip
def test_a_value_the_step_refuses_is_a_400_naming_the_field_in_the_steps_words(cast: demo.Cast, app_state: str, grant_state: str | None, name: str, who: str, body: dict[str, Any], field: str, words: Any) -> None:  # fmt: skip
    application = demo.drive(cast, app_state, grant_state)
    record: Any = Grant.objects.get(application=application) if grant_state else application
    kind = "grants" if grant_state else "applications"
    sent = dict(body)
    if isinstance(sent.get("reply_by"), int):
        sent["reply_by"] = (clock.today() + timedelta(days=sent["reply_by"])).isoformat()

    with unchanged(record):
        response = session_client(getattr(cast, who)).post(
            transition_url(kind, record.pk, name), sent, format="json"
        )

    problem = assert_problem(response, 400)
    said = [e["message"] for e in problem["errors"] if e["field"] == field]
    assert said == [words()], problem


def test_a_checklist_with_every_item_passes_and_the_audit_row_keeps_it(cast: demo.Cast) -> None:
    application = demo.drive(cast, "submitted")
    ticked = list(reversed(CHECKLIST_CODES))  # any order; answered in the checklist's
    response = session_client(cast.reviewer).post(
        application_url(application, "pass_formal_check"), {"checklist": ticked}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == ApplicationStatus.IN_REVIEW
    [row] = log_rows(application, "pass_formal_check")
    assert row.payload == {"checklist": dict.fromkeys(CHECKLIST_CODES, True)}


def test_an_item_that_is_not_on_the_checklist_is_refused(cast: demo.Cast) -> None:
    application = demo.drive(cast, "submitted")
    response = session_client(cast.reviewer).post(
        application_url(application, "pass_formal_check"),
        {"checklist": [*CHECKLIST_CODES, "made_up"]},
        format="json",
    )
    problem = assert_problem(response, 400, "invalid")
    assert [e["field"] for e in problem["errors"]] == ["checklist"]
    assert log_rows(application, "pass_formal_check") == []


def test_the_reviewer_reads_the_checklist_among_the_fields_of_the_formal_check(
    cast: demo.Cast,
) -> None:
    application = demo.drive(cast, "submitted")
    data = session_client(cast.reviewer).get(f"/api/v1/applications/{application.pk}/transitions/")
    fields = {t["name"]: t["fields"] for t in data.json()["transitions"]}
    assert {"name": "checklist", "type": "choices", "required": True} in fields["pass_formal_check"]
    assert {"name": "reply_by", "type": "date", "required": True} in fields["request_changes"]


def test_the_schema_documents_the_checklist_and_the_limits_of_each_step(
    client: Any, db: Any
) -> None:
    schema = client.get(
        "/api/schema/?format=json", HTTP_ACCEPT="application/vnd.oai.openapi+json"
    ).json()
    components = schema["components"]["schemas"]

    def resolved(part: dict[str, Any]) -> dict[str, Any]:
        ref = part.get("$ref") or next((p["$ref"] for p in part.get("allOf", []) if "$ref" in p), None)  # fmt: skip
        return components[ref.rsplit("/", 1)[-1]] if ref else part

    passing = components["ApplicationPassFormalCheckInput"]
    assert passing["required"] == ["checklist"]
    checklist = passing["properties"]["checklist"]
    assert checklist["type"] == "array"
    assert resolved(checklist["items"])["enum"] == list(CHECKLIST_CODES)
    changes = components["ApplicationRequestChangesInput"]
    assert set(changes["required"]) == {"message", "reply_by"}
    assert changes["properties"]["message"]["maxLength"] == LONG_TEXT
    assert changes["properties"]["reply_by"]["format"] == "date"
    assert changes["properties"]["note"]["maxLength"] == LONG_TEXT
    assert components["ApplicationRejectInput"]["properties"]["reasons"]["maxLength"] == LONG_TEXT
    assert components["GrantAcceptInput"]["properties"]["full_name"]["maxLength"] == NAME_TEXT
    report = components["GrantRequestReportChangesInput"]
    assert report["properties"]["message"]["maxLength"] == LONG_TEXT
    assert components["GrantCancelInput"]["properties"]["reason"]["maxLength"] == LONG_TEXT


def test_null_for_an_optional_text_reads_as_none_given(
    reviewed: Application, manager: APIClient
) -> None:
    response = manager.post(application_url(reviewed, "waitlist"), {"reason": None}, format="json")
    assert response.status_code == 200, response.content
    reviewed.refresh_from_db()
    assert (reviewed.status, reviewed.decision_note) == (ApplicationStatus.WAITLISTED, "")

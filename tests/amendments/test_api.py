"""The API reads amendments as the rule set says: staff the working fields, funders (with a
token, within its programmes) the public ones; a draft exists for nobody there."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from amendments import services
from demo import builders as demo
from demo.amendments import request_change
from grants.api.tokens import issue_token
from grants.models import Grant, Programme
from workflows.roles import Role


def token_client(user: Any, *, by: Any, programmes: list[Programme]) -> APIClient:
    _token, secret = issue_token(user, by=by, name="test", programmes=programmes)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def staff_client(user: Any) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def requests(cast: demo.Cast, drive: Any) -> dict[str, Any]:
    """A rise approved, a later end waiting, a draft (three grants of programme 1)."""
    grants = [Grant.objects.get(application=drive("approved", "accepted")) for _ in range(3)]
    approved = request_change(grants[0], by=cast.applicant, amount=Decimal("4400.00"), reason="Zxwhyq")  # fmt: skip
    approved = services.approve_amendment(approved, by=cast.manager, conditions="Zxnoteq")
    waiting = request_change(grants[1], by=cast.applicant, end=grants[1].project_end + timedelta(days=5))  # fmt: skip
    draft = request_change(grants[2], by=cast.applicant, amount=Decimal("3000.00"), send=False)
    return {"approved": approved, "waiting": waiting, "draft": draft}


def test_staff_read_what_was_sent_with_the_working_fields(cast, requests):
    answer = staff_client(cast.manager).get("/api/v1/amendments/")

    assert answer.status_code == 200
    rows = {row["id"]: row for row in answer.json()["results"]}
    assert set(rows) == {requests["approved"].pk, requests["waiting"].pk}
    approved = rows[requests["approved"].pk]
    assert approved["status"] == "approved"
    assert approved["changes"] == ["budget", "raise"]
    assert (approved["amount_before"], approved["amount"]) == ("4000.00", "4400.00")
    assert approved["reason"] == "Zxwhyq" and approved["decision_note"] == "Zxnoteq"
    assert approved["commitment_change"] == "400.00"
    assert rows[requests["waiting"].pk]["changes"] == ["dates"]


def test_funders_read_the_public_fields_within_their_token(cast, requests):
    fiona = demo.make_user("fiona", Role.FUNDER)
    programme = requests["approved"].grant.programme
    other = Programme.objects.exclude(pk=programme.pk).first()
    inside = token_client(fiona, by=cast.admin, programmes=[programme])
    outside = token_client(demo.make_user("otto", Role.FUNDER), by=cast.admin, programmes=[other])

    answer = inside.get("/api/v1/amendments/")
    one = inside.get(f"/api/v1/amendments/{requests['approved'].pk}/")

    assert answer.status_code == 200
    assert {row["id"] for row in answer.json()["results"]} == {requests["approved"].pk, requests["waiting"].pk}  # fmt: skip
    assert b"Zxwhyq" not in answer.content and b"Zxnoteq" not in answer.content
    assert "reason" not in one.json() and "budget_lines" not in one.json()
    assert inside.get(f"/api/v1/amendments/{requests['draft'].pk}/").status_code == 404
    assert outside.get(f"/api/v1/amendments/{requests['approved'].pk}/").status_code == 404
    assert outside.get("/api/v1/amendments/").json()["results"] == []


def test_applicants_and_signed_out_callers_have_no_api(cast, requests):
    assert APIClient().get("/api/v1/amendments/").status_code == 401
    assert staff_client(cast.applicant).get("/api/v1/amendments/").status_code == 403


def test_the_list_filters_and_reads_a_fixed_number_of_queries(cast, requests, django_assert_max_num_queries):  # fmt: skip
    client = staff_client(cast.manager)
    client.get("/api/v1/amendments/")

    with django_assert_max_num_queries(12):
        waiting = client.get("/api/v1/amendments/", {"status": "submitted"})

    assert [row["id"] for row in waiting.json()["results"]] == [requests["waiting"].pk]
    by_grant = client.get("/api/v1/amendments/", {"grant": requests["approved"].grant_id})
    assert [row["id"] for row in by_grant.json()["results"]] == [requests["approved"].pk]

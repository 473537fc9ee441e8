"""What each reader sees: funders a field set without personal data, staff more, payments only
for finance officers and administrators."""

from __future__ import annotations

import json
from typing import Any

import pytest

from demo import builders as demo
from organisations.choices import LegalForm
from tests.api.conftest import World, issue, session_client

FUNDER_APPLICATION_KEYS = {
    "id", "reference", "title", "summary", "status", "language", "programme", "category", "call",
    "themes", "places", "requested_amount", "awarded_amount", "start_date", "end_date",
    "submitted_at", "decided_at", "organisation", "partner_countries", "grant",
}  # fmt: skip
FUNDER_ORGANISATION_KEYS = {"id", "name", "legal_form", "country", "region", "city"}
FUNDER_GRANT_KEYS = {
    "id", "application", "reference", "title", "programme", "category", "status",
    "amount_awarded", "final_amount", "paid", "repaid", "project_start", "project_end",
    "offered_at", "accepted_at", "report_due_on", "report_submitted_at", "closed_at",
    "organisation",
}  # fmt: skip


def test_funder_reads_applications_without_personal_data(all_programmes_funder, world: World):
    response = all_programmes_funder.client.get(f"/api/v1/applications/{world.accepted_a.pk}/")
    body = response.json()
    assert set(body) == FUNDER_APPLICATION_KEYS
    assert set(body["organisation"]) == FUNDER_ORGANISATION_KEYS
    text = json.dumps(body)
    organisation = world.accepted_a.organisation
    for private in (organisation.iban, organisation.street, "@", "Erika Mustermann"):
        assert private not in text
    assert body["organisation"]["region"] == "DE-NW"
    assert body["grant"] == world.accepted_a.grant.pk


def test_funder_reads_grants_without_personal_data(all_programmes_funder, world: World):
    body = all_programmes_funder.client.get(f"/api/v1/grants/{world.accepted_a.grant.pk}/").json()
    assert set(body) == FUNDER_GRANT_KEYS
    assert set(body["organisation"]) == FUNDER_ORGANISATION_KEYS
    assert "Erika Mustermann" not in json.dumps(body)  # who accepted the offer
    assert body["paid"] == "3000.00"  # the 75 % advance


def test_the_name_of_an_informal_group_is_withheld_from_funders(cast, all_programmes_funder):
    members = ["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"]
    user = demo.make_user("chor")
    group = demo.make_organisation(user, name="Chor Anna Becker", legal_form=LegalForm.INFORMAL_GROUP, group_members=members)  # fmt: skip
    application = demo.drive(cast, "submitted", organisation=group, applicant=user)
    body = all_programmes_funder.client.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["organisation"]["name"] == "informal group in North Rhine-Westphalia"
    assert not any(name in json.dumps(body) for name in ["Chor Anna Becker", *members])
    staff = session_client(cast.manager).get(f"/api/v1/applications/{application.pk}/").json()
    assert staff["organisation"]["name"] == "Chor Anna Becker"


def test_staff_read_the_working_fields_too(cast, world: World):
    body = session_client(cast.manager).get(f"/api/v1/applications/{world.rejected_a.pk}/").json()
    assert set(body) > FUNDER_APPLICATION_KEYS
    assert body["decision_note"] == "Nicht förderfähig / non éligible."
    assert {"street", "postcode", "email"} <= set(body["organisation"])
    assert body["partners"][0]["name"] == "Comité de jumelage Lyon"
    assert "iban" not in json.dumps(body).lower()
    grant = session_client(cast.manager).get(f"/api/v1/grants/{world.accepted_a.grant.pk}/").json()
    assert set(grant) > FUNDER_GRANT_KEYS


@pytest.mark.parametrize(("role", "status"), [("funder", 403), ("reviewer", 403), ("manager", 403), ("finance", 200), ("admin", 200)])  # fmt: skip
def test_payments_are_for_finance_officers_and_administrators(cast, world: World, role, status):
    client = issue(getattr(cast, role), by=cast.admin, all_programmes=True).client
    response = client.get("/api/v1/payments/")
    assert response.status_code == status
    if status == 200:
        rows = response.json()["results"]
        assert {row["amount"] for row in rows} >= {"3000.00", "6000.00"}
        assert all(row["end_to_end_id"].startswith("MG-G") for row in rows)
        assert "iban" not in json.dumps(rows).lower()
    else:
        assert response["Content-Type"] == "application/problem+json"


def test_staff_session_reads_payments_only_as_finance(cast, world: World):
    assert session_client(cast.finance).get("/api/v1/payments/").status_code == 200
    assert session_client(cast.reviewer).get("/api/v1/payments/").status_code == 403


def payment_detail(client: Any, world: World) -> Any:
    payment = world.accepted_a.grant.payments.first()
    return client.get(f"/api/v1/payments/{payment.pk}/")


def test_a_funder_cannot_read_one_payment_either(
    all_programmes_funder, finance_token, world: World
):
    assert payment_detail(all_programmes_funder.client, world).status_code == 403
    assert payment_detail(finance_token.client, world).json()["status"] == "paid"


def test_the_funder_list_writes_what_the_generic_serializer_writes(
    all_programmes_funder, world: World
):
    # ApplicationSerializer.to_representation reads the attributes directly; DRF's field
    # machinery must come to the same body for every application (list and detail).
    from rest_framework import serializers

    from applications.api.serializers import ApplicationSerializer
    from applications.models import Application

    client = all_programmes_funder.client
    listed = client.get("/api/v1/applications/?page_size=100").json()["results"]
    assert listed
    serializer = ApplicationSerializer()
    for row in listed:
        application = Application.objects.get(pk=row["id"])
        generic = json.loads(json.dumps(serializers.ModelSerializer.to_representation(serializer, application)))  # fmt: skip
        assert row == generic
        assert list(row) == list(generic)  # the same order of keys too
        detail = client.get(f"/api/v1/applications/{row['id']}/").json()
        assert detail == generic

"""Every answer is what the schema says, for funders and for staff: a client generated from
/api/schema/ reads every body it gets. A blank e-mail address came back as "" where the schema
promised an address; it is null now, and the schema says it may be."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft7Validator, FormatChecker

from applications.models import Partner
from demo import builders as demo
from organisations.choices import LegalForm
from organisations.models import Organisation
from tests.api.conftest import Issued, World, issue, session_client

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def json_schema(node: Any) -> Any:
    """OpenAPI 3.0's `nullable` as JSON Schema: the value or null."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


COMPONENTS = json_schema(SCHEMA["components"])
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(datetime.fromisoformat(value).tzinfo)


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    return not isinstance(value, str) or bool(urlsplit(value).scheme and urlsplit(value).netloc)


def assert_matches_schema(response: Any, path: str) -> None:
    assert response.status_code == 200, (path, response.content[:300])
    operation = SCHEMA["paths"][path]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft7Validator({**json_schema(schema), "components": COMPONENTS}, format_checker=FORMATS)  # fmt: skip
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())
    ]
    assert errors == [], (response.request["PATH_INFO"], errors[:5])


def every_answer(client: Any, *, payments: bool) -> list[tuple[str, str]]:
    """(schema path, address) of every list, every record of it and the statistics."""
    answers = [("/api/v1/stats/", "/api/v1/stats/?group_by=programme,year,status,country,region,theme")]  # fmt: skip
    for name in ("programmes", "calls", "applications", "grants", *(["payments"] if payments else [])):  # fmt: skip
        listing = f"/api/v1/{name}/"
        answers.append((listing, f"{listing}?page_size=100"))
        for row in client.get(f"{listing}?page_size=100").json()["results"]:
            answers.append((f"{listing}{{id}}/", f"{listing}{row['id']}/"))
    return answers


@pytest.fixture
def informal_group(cast: demo.Cast) -> Any:
    """An informal group without a region, whose name funders do not read."""
    user = demo.make_user("chor")
    group = demo.make_organisation(user, name="Chor Anna Becker", legal_form=LegalForm.INFORMAL_GROUP, group_members=["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"], region="")  # fmt: skip
    return demo.drive(cast, "approved", "accepted", organisation=group, applicant=user)


@pytest.mark.parametrize("reader", ["funder", "administrator", "finance officer", "manager"])
def test_every_answer_matches_its_schema(cast, world: World, informal_group, reader):
    client = {
        "funder": lambda: issue(cast.funder, by=cast.admin, all_programmes=True).client,
        "administrator": lambda: issue(cast.admin, by=cast.admin, all_programmes=True).client,
        "finance officer": lambda: issue(cast.finance, by=cast.admin, all_programmes=True).client,
        "manager": lambda: session_client(cast.manager),
    }[reader]()
    answers = every_answer(client, payments=reader in ("administrator", "finance officer"))
    assert len(answers) > 15
    for path, url in answers:
        assert_matches_schema(client.get(url), path)


def test_a_blank_e_mail_is_null_and_the_schema_says_it_may_be(cast, world: World):
    client = session_client(cast.manager)
    application = world.accepted_a
    assert application.organisation.email == ""
    assert set(application.partners.values_list("contact_email", flat=True)) == {""}
    body = client.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["organisation"]["email"] is None
    assert [partner["contact_email"] for partner in body["partners"]] == [None]
    grant = client.get(f"/api/v1/grants/{application.grant.pk}/").json()
    assert grant["organisation"]["email"] is None
    for component, name in (("StaffGrantee", "email"), ("Partner", "contact_email")):
        declared = SCHEMA["components"]["schemas"][component]["properties"][name]
        assert declared["format"] == "email" and declared["nullable"] is True
    # A known address reads as it is.
    Organisation.objects.filter(pk=application.organisation_id).update(email="info@koeln-lyon.example")  # fmt: skip
    Partner.objects.filter(application=application).update(contact_email="bureau@lyon.example")
    body = client.get(f"/api/v1/applications/{application.pk}/").json()
    assert body["organisation"]["email"] == "info@koeln-lyon.example"
    assert body["partners"][0]["contact_email"] == "bureau@lyon.example"


def test_a_staff_body_does_not_pass_for_a_funders(
    cast, world: World, all_programmes_funder: Issued
):
    """A GET answers one of two exact field sets: a staff body (more fields) failed no check
    because the schema described only the funder's, and any extra field passed unseen."""
    listing = SCHEMA["paths"]["/api/v1/applications/{id}/"]["get"]["responses"]["200"]
    read_as = listing["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    variants = {ref["$ref"].rsplit("/", 1)[-1] for ref in SCHEMA["components"]["schemas"][read_as]["oneOf"]}  # fmt: skip
    assert variants == {"Application", "StaffApplication"}
    for name in variants | {"Grantee", "StaffGrantee", "Grant", "StaffGrant", "Partner"}:
        assert SCHEMA["components"]["schemas"][name]["additionalProperties"] is False, name
    url = f"/api/v1/applications/{world.accepted_a.pk}/"
    staff = session_client(cast.manager).get(url).json()
    funder = all_programmes_funder.client.get(url).json()
    funder_only = Draft7Validator({"$ref": "#/components/schemas/Application", "components": COMPONENTS})  # fmt: skip
    assert funder_only.is_valid(funder) and not funder_only.is_valid(staff)

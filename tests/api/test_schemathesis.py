"""Schemathesis over the whole API schema, in-process through the WSGI app.

Every operation of /api/schema/ is called with generated (valid and invalid) parameters, once
with a funder token that reads programme A only and once with an administrator's token (staff).
The checks: no 5xx, documented status codes and content types, bodies and headers as the schema
says, every request the schema forbids refused (negative data) and every one it allows
answered (positive data). Bounded (a fixed number of examples per operation) and deterministic
(a fixed seed).

Left out, each for a reason the schema cannot carry (see NOT_CHECKED and test_every_operation):
- A generated `cursor` in a request meant to be valid: a cursor is an opaque value signed by
  the API, valid only as a `next`/`previous` link hands it out; any other is refused (400).
- "Valid data accepted" for the transitions (POST .../transitions/{name}/): one operation
  serves every transition, named in the path, and its body's schema is the union of their
  inputs, so a body valid for "lapse" ({}) is sent to "accept" (which needs a name); the
  domain's refusals (a checklist not all ticked) are a 400 too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from applications.models import Application
from config.wsgi import application
from demo import builders as demo
from grants.models import Call, Grant, Payment, Programme
from organisations.choices import LegalForm
from tests.api.conftest import World, issue
from workflows import clock

# MICROGRANTS_SCHEMATHESIS_DEEP=1: 100 examples and schemathesis' coverage phase (boundary
# values, unexpected methods) - minutes instead of about one; for a hunt, not for every run.
DEEP = bool(os.environ.get("MICROGRANTS_SCHEMATHESIS_DEEP"))
MAX_EXAMPLES = 100 if DEEP else 20
SEED = 7_2025

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",  # valid and invalid parameters
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,  # the token is ours, not generated
        },
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": DEEP},
            "stateful": {"enabled": False},
        },
    }
)

# Not in `make check` (the fast part): it tries every operation with generated data.
pytestmark = pytest.mark.slow

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
    positive_data_acceptance,
]

# Detail paths and the model whose ids they take: a generated id is mapped onto a real one
# most of the time, so that detail bodies (not only 404s) are checked against the schema.
MODELS: dict[str, Any] = {
    "programmes": Programme,
    "calls": Call,
    "applications": Application,
    "grants": Grant,
    "payments": Payment,
}


# Operation -> checks that cannot hold for it, and why (see the module's docstring).
NOT_CHECKED: dict[str, set[Any]] = {
    "POST /api/v1/applications/{id}/transitions/{name}/": {positive_data_acceptance},
    "POST /api/v1/grants/{id}/transitions/{name}/": {positive_data_acceptance},
}


@dataclass
class Caller:
    name: str
    authorization: str


@pytest.fixture(autouse=True)
def no_throttling(settings: Any) -> None:
    settings.MICROGRANTS_API_RATE = "100000/minute"


@pytest.fixture(autouse=True)
def keep_the_test_connection() -> Iterator[None]:
    """The WSGI handler closes "old" connections when a request starts and ends, and inside
    the test's transaction PostgreSQL's counts as old. Django's test client unhooks the same
    receivers around its requests; the WSGI app is called directly here."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def dataset(cast: demo.Cast, world: World, other_organisation: Any, other_applicant: Any) -> World:
    """The API conftest's world (both programmes), plus a closed grant published as open data,
    a cancelled one in programme B and a grant to an informal group without a region."""
    today = clock.today()
    user = demo.make_user("chor")
    group = demo.make_organisation(user, name="Chor Anna Becker", legal_form=LegalForm.INFORMAL_GROUP, group_members=["Anna Becker", "Jonas Wagner", "Fatma Yılmaz"], region="")  # fmt: skip
    demo.drive(cast, "approved", "accepted", organisation=group, applicant=user, publication=True)
    demo.drive(cast, "approved", "closed", publication=True, submitted_on=today - timedelta(days=200))  # fmt: skip
    demo.drive(
        cast,
        "approved",
        "cancelled",
        requested=Decimal("7000.00"),
        organisation=other_organisation,
        applicant=other_applicant,
        submitted_on=today - timedelta(days=60),
    )
    return world


@pytest.fixture(params=["funder", "admin"])
def caller(request: Any, cast: demo.Cast, dataset: World, fiona: Any) -> Caller:
    if request.param == "funder":
        return Caller("funder", f"Bearer {fiona.secret}")
    admin = issue(cast.admin, by=cast.admin, all_programmes=True)
    return Caller("admin", f"Bearer {admin.secret}")


def known_id(path: str, generated: str) -> str:
    model = MODELS.get(path.split("/")[3])  # /api/v1/<collection>/{id}/...
    if model is None or not generated.isdigit():
        return generated
    ids = [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)]
    choices = [*ids, generated]  # the generated one stays possible: a 404
    return choices[int(generated) % len(choices)]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    # filter_too_much: for the transitions' bodies (one schema per transition, each with its
    # own required fields) recent Hypothesis releases reject many drafts before they find a
    # valid one; the examples that pass still run.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_conforms_to_the_schema(case: Any, caller: Caller) -> None:
    if case.path_parameters and "id" in case.path_parameters:
        case.path_parameters["id"] = known_id(case.path, str(case.path_parameters["id"]))
    if case.meta.generation.mode.is_positive and case.query:
        case.query.pop("cursor", None)  # only the API makes a valid one (docstring)
    excluded = NOT_CHECKED.get(f"{case.method.upper()} {case.path}", set())
    case.call_and_validate(
        headers={"Authorization": caller.authorization, "Accept-Language": "en"},
        checks=[check for check in CHECKS if check not in excluded],
    )


# --- what schemathesis found (each fixed in the API; the focused regression tests) ----------------


def parameters(path: str) -> dict[str, dict[str, Any]]:
    operation = schema.raw_schema["paths"][path]["get"]
    return {p["name"]: p for p in operation.get("parameters", [])}


def test_statistics_filtered_by_status_sum_the_payments(all_programmes_funder, world: World):
    """`status` filtered with DISTINCT, and an aggregate over DISTINCT rows is wrapped in a
    subquery where the correlated `paid` sum lost its row: a 500 on every database."""
    client = all_programmes_funder.client
    advances = {
        application.pk: sum(
            p.amount for p in Payment.objects.filter(grant__application=application, status="paid")
        )
        for application in (world.accepted_a, world.accepted_b)
    }
    response = client.get("/api/v1/stats/?status=approved&status=rejected")
    assert response.status_code == 200, response.content
    [totals] = response.json()["results"]
    assert totals["count"] == 3
    assert Decimal(totals["paid"]) == sum(advances.values()) > 0
    grouped = client.get("/api/v1/stats/?status=approved&group_by=programme").json()["results"]
    by_programme = {row["programme"]: Decimal(row["paid"]) for row in grouped}
    assert by_programme == {
        world.accepted_a.programme_id: advances[world.accepted_a.pk],
        world.accepted_b.programme_id: advances[world.accepted_b.pk],
    }


def test_filter_parameters_state_the_bounds_their_filters_enforce():
    """The schema said only "integer" / "number" / "string" (and nothing for `open_on`), so
    clients, and schemathesis' valid examples, could not know what the API refuses."""
    applications = parameters("/api/v1/applications/")
    assert applications["programme"]["schema"] == {
        "type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1,
    }  # fmt: skip
    assert applications["year"]["schema"] == {"type": "integer", "minimum": 1900, "maximum": 2999}
    assert applications["category"]["schema"]["maximum"] == 99
    money = applications["requested_min"]["schema"]
    assert money["type"] == "string" and money["format"] == "decimal"
    assert re.fullmatch(money["pattern"], "5000.50") and re.fullmatch(money["pattern"], "7")
    for refused in ("1e3", "-1", "1.234", "12345678901", "NaN", ".5"):
        assert not re.fullmatch(money["pattern"], refused), refused
    assert applications["country"]["schema"]["pattern"] == "^[A-Za-z]{2}$"
    assert applications["q"]["schema"]["maxLength"] == 200
    assert applications["programme"]["description"]  # the label, as before the bounds
    assert parameters("/api/v1/calls/")["open_on"]["schema"] == {"type": "string", "format": "date"}
    assert parameters("/api/v1/programmes/")["active"]["schema"] == {"type": "boolean"}


def test_only_views_that_answer_304_document_conditional_get():
    """The open-data files are streamed without an ETag: the schema offered them
    If-None-Match and a 304 they never give."""
    for path in ("/api/v1/open-data/360giving.json", "/api/v1/open-data/360giving.csv"):
        operation = schema.raw_schema["paths"][path]["get"]
        assert "304" not in operation["responses"]
        assert "If-None-Match" not in {p["name"] for p in operation.get("parameters", [])}
        assert "headers" not in operation["responses"]["200"]
    listing = schema.raw_schema["paths"]["/api/v1/grants/"]["get"]
    assert "304" in listing["responses"] and "If-None-Match" in parameters("/api/v1/grants/")
    assert "ETag" in listing["responses"]["200"]["headers"]

"""Hostile values in every query parameter of every list and in every path id: a NUL byte, numbers
too big for any column (or for a float), negative numbers and NaN. The answer is a 400 (or a 404
for an id in the path) as an RFC 7807 problem, never a 500 and never a database error.

The endpoints and their parameters are read from the OpenAPI schema, so a new filter or a new
endpoint is covered without touching this file. Runs on SQLite and PostgreSQL (whose integer
columns overflow where SQLite's do not).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from demo import builders as demo
from tests.api.conftest import issue
from workflows.api.problems import PROBLEM_CONTENT_TYPE

NUL = "%00"
HOSTILE = ["99999999999999999999999", "1e309", "-1", "NaN", "abc%00def"]
# Free text: these values are a fine search (200); a NUL byte still is not.
FREE_TEXT = {"q"}

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)


def operations(method: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, verb, operation)
        for path, item in SCHEMA["paths"].items()
        for verb, operation in item.items()
        if method is None or verb == method
    ]


LIST_PARAMETERS = sorted(
    (path, parameter["name"])
    for path, _, operation in operations("get")
    if "{" not in path
    for parameter in operation.get("parameters", [])
    if parameter["in"] == "query"
)
ID_PATHS = sorted(
    (path, verb) for path, verb, _ in operations() if "{id}" in path and verb in ("get", "post")
)


@pytest.fixture
def client(cast: demo.Cast) -> APIClient:
    """An administrator's token over every programme (payments included), with CSRF checks on
    as for any client outside the test suite."""
    issued = issue(cast.admin, by=cast.admin, all_programmes=True)
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def assert_problem(response: Any, status: int, what: str) -> None:
    assert response.status_code == status, (what, response.status_code, response.content[:500])
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE, what
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:microgrants:problem:"), what


def test_the_schema_lists_what_these_tests_walk() -> None:
    names = {name for _, name in LIST_PARAMETERS}
    assert {"programme", "page_size", "cursor", "ordering", "status", "q", "year"} <= names
    assert {"requested_min", "active", "open_on", "group_by", "amount_max"} <= names
    assert len(LIST_PARAMETERS) > 80
    assert {path for path, _ in ID_PATHS} >= {
        f"/api/v1/{name}/{{id}}/" for name in ("programmes", "calls", "applications", "grants", "payments")
    }  # fmt: skip


@pytest.mark.parametrize(("path", "name"), LIST_PARAMETERS)
def test_hostile_values_in_a_query_parameter_are_a_400_problem(client, path, name) -> None:
    for value in [NUL, *HOSTILE]:
        url = f"{path}?{name}={value}"
        response = client.get(url)
        if name in FREE_TEXT and NUL not in value:
            assert response.status_code == 200, (url, response.content[:500])
            continue
        assert_problem(response, 400, url)
        fields = [error["field"] for error in response.json()["errors"]]
        assert fields and set(fields) == {name}, (url, fields)


def path_with_id(path: str, value: str) -> str:
    """The path with `value` as the id and the first documented value of any other parameter."""
    operation = next(op for verb, op in SCHEMA["paths"][path].items())
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "path" and parameter["name"] != "id":
            enum = parameter["schema"].get("enum") or ["x"]
            path = path.replace(f"{{{parameter['name']}}}", enum[0])
    return path.replace("{id}", value)


@pytest.mark.parametrize(("path", "method"), ID_PATHS)
def test_hostile_ids_in_the_path_are_a_404_problem(client, path, method) -> None:
    for value in [NUL, "0", *HOSTILE, quote("١٢"), "1%20", "9" * 19]:
        url = path_with_id(path, value)
        response = client.get(url) if method == "get" else client.post(url, {}, format="json")
        assert_problem(response, 404, f"{method.upper()} {url}")


def test_a_post_to_an_unknown_api_address_is_a_404_problem_not_a_csrf_page(client) -> None:
    """Found by schemathesis: the catch-all 404 of the API was CSRF-protected, so a token
    client's POST to a wrong address (e.g. a non-numeric id) got Django's HTML 403 page."""
    for url in ("/api/v1/nothing/", "/api/v1/applications/abc/transitions/submit/", "/api/x"):
        response = client.post(url, {}, format="json")
        assert_problem(response, 404, url)
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("value", ["maybe", "yes", "%00", "-1", "NaN", "truefalse"])
def test_a_yes_no_filter_refuses_what_is_neither(client, value) -> None:
    """It used to read any unknown value as "no filter" and answer every programme."""
    response = client.get(f"/api/v1/programmes/?active={value}")
    assert_problem(response, 400, value)
    assert re.search(r"true or false", response.json()["errors"][0]["message"])


def test_a_yes_no_filter_reads_true_and_false(client) -> None:
    def codes(value: str) -> set[str]:
        response = client.get(f"/api/v1/programmes/?active={value}")
        assert response.status_code == 200, response.content
        return {row["code"] for row in response.json()["results"]}

    every = codes("")
    assert every and codes("true") == codes("1") == codes("TRUE") == every
    assert codes("false") == codes("0") == set()

"""A filter takes what its parameter's schema allows and refuses the rest with a 400 problem that
names the parameter. Django's number and date fields read far more than the schema says:
`requested_min=1e5`, `1_000`, "１０００", "+5", " 5", `programme=5.0`, `start_from=2026-1-5` or
"10/25/2006" filtered as if they were valid. The schema and the filters are compared here value
by value, for every filter of every list (read from the schema: a new filter is covered).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.generators import SchemaGenerator

from applications.api.statistics import StatisticsView
from config.api import router
from tests.api.conftest import Issued

SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
FILTERSETS = {f"/api/v1/{prefix}/": view.filterset_class for prefix, view, _ in router.registry}
FILTERSETS["/api/v1/stats/"] = StatisticsView.filterset_class

MONEY_REFUSED = [
    "1e5", "1E5", "1_000", "１０００", "١٢", "NaN", "Infinity", "-Infinity", "1.234", "-1",
    "-0", "+5", " 5", "5 ", ".5", "5.", "1,5", "0x10", "12345678901", "5\n",
]  # fmt: skip
MONEY_TAKEN = ["0", "7", "1000", "1000.5", "1000.50", "9999999999.99"]
WHOLE_REFUSED = ["5.0", "1_000", "１０", "٣", " 7", "7 ", "+3", "1e3", "0x1", "7\n", "seven"]
DATE_REFUSED = [
    "2026-1-5", "10/25/2006", "２０２６-01-05", "2026-01-05 ", "20260105", "2026-02-30",
    "2026-01-05T00:00", "Oct 25 2006", "0000-01-01", "2026-01-05\n",
]  # fmt: skip
DATE_TAKEN = ["2026-01-05", "1999-12-31"]


def filter_parameters() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path, parameter)
        for path, filterset in FILTERSETS.items()
        for parameter in SCHEMA["paths"][path]["get"]["parameters"]
        if parameter["in"] == "query" and parameter["name"] in filterset.base_filters
    ]


def kind(schema: dict[str, Any]) -> str:
    if schema.get("format") == "decimal":
        return "money"
    if schema.get("type") == "array":
        return "array"
    if "enum" in schema:
        return "enum"
    return str(schema.get("format") or schema["type"])


def values_for(schema: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(refused, taken) values for a parameter of this schema."""
    match kind(schema):
        case "money":
            return MONEY_REFUSED, MONEY_TAKEN
        case "date":
            return DATE_REFUSED, DATE_TAKEN
        case "integer" | "int64":
            low, high = schema["minimum"], schema["maximum"]
            return [*WHOLE_REFUSED, str(low - 1), str(high + 1)], [str(low), str(high)]
        case "enum":
            first = schema["enum"][0]
            return [f" {first}", f"{first} ", first.swapcase(), "x"], list(schema["enum"])
        case "boolean":
            return [" true", "yes", "maybe", "truefalse"], ["true", "false", "1", "0"]
        case "string" if "maxLength" in schema:  # free text
            limit = schema["maxLength"]
            return ["a\x00b", "x" * (limit + 1), " " + "x" * limit], [
                "Köln Lyon",
                " x ",
                "x" * limit,
            ]
        case "string":  # a country code
            return [" DE", "DE ", "D", "DEU", "D1", "ÄÖ"], ["DE", "fr"]
        case "array":  # ordering: one value, items separated by commas
            items = schema["items"]["enum"]
            refused = [f"{items[0]},", f",{items[0]}", f"{items[0]}, {items[1]}", "x"]
            return refused, [items[0], f"{items[0]},{items[1]}"]
    return [], []


def schema_allows(schema: dict[str, Any], text: str) -> bool:
    """A string parameter's `pattern` and `maxLength`, read as JSON Schema does (`$` is the end
    of the text, not before a last newline as in Python)."""
    pattern = re.compile(schema["pattern"].replace("$", r"\Z"))
    return bool(pattern.search(text)) and len(text) <= schema.get("maxLength", len(text))


PARAMETERS = filter_parameters()


def test_every_kind_of_filter_is_walked() -> None:
    kinds = {kind(parameter["schema"]) for _, parameter in PARAMETERS}
    assert {"money", "date", "integer", "int64", "enum", "boolean", "array"} <= kinds
    assert len(PARAMETERS) > 60


@pytest.mark.parametrize(
    ("path", "parameter"), PARAMETERS, ids=[f"{p}?{q['name']}" for p, q in PARAMETERS]
)
def test_a_filter_takes_what_its_schema_allows_and_nothing_else(path, parameter, db) -> None:
    name, schema = parameter["name"], parameter["schema"]
    filterset = FILTERSETS[path]
    queryset: QuerySet[Any] = filterset._meta.model.objects.none()

    def errors(value: str) -> set[str]:
        data = QueryDict(f"{name}={quote(value)}")
        found = filterset(data, queryset=queryset)
        return set() if found.is_valid() else set(found.errors)

    refused, taken = values_for(schema)
    if kind(schema) == "array" and parameter.get("explode"):  # status: one value per item
        refused, taken = ["", " approved", "x"], list(schema["items"]["enum"])
    assert refused and taken, (path, name, schema)
    for value in refused:
        assert errors(value) == {name}, (path, name, value)
    for value in taken:
        assert errors(value) == set(), (path, name, value)
    if "pattern" in schema:  # the schema's own words agree with the filter's
        for value in refused:
            assert not schema_allows(schema, value), value
        for value in taken:
            assert schema_allows(schema, value), value
    if kind(schema) != "array":  # an empty value is no filter, and the schema says so
        assert parameter["allowEmptyValue"] is True
        assert errors("") == set()
    # Given twice, a parameter of one value is refused (the last one won, unseen); only a
    # parameter that is an array of values (`status=a&status=b`) repeats.
    twice = QueryDict(f"{name}={quote(taken[0])}&{name}={quote(taken[-1])}")
    found = filterset(twice, queryset=queryset)
    repeats = kind(schema) == "array" and parameter.get("explode")
    assert found.is_valid() is bool(repeats), (path, name)


@pytest.mark.parametrize(
    "query",
    ["requested_min=1e5", "requested_max=1_000", "awarded_min=%EF%BC%91%EF%BC%90", "awarded_max=NaN",
     "requested_min=1.234", "requested_min=-5", "programme=5.0", "year=+2026", "call=%20",
     "start_from=2026-1-5", "submitted_to=10/25/2006", "region=de-nw", "ordering=reference,"],
)  # fmt: skip
def test_a_refused_value_is_a_400_problem_naming_its_parameter(
    all_programmes_funder: Issued, db: Any, query: str
) -> None:
    response = all_programmes_funder.client.get(f"/api/v1/applications/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid" and body["status"] == 400
    assert [error["field"] for error in body["errors"]] == [query.split("=")[0]]


@pytest.mark.parametrize(
    "query",
    ["programme=1&programme=", "year=2026&year=2025", "page_size=5&page_size=50",
     "cursor=&cursor=", "ordering=id&ordering=-id", "q=a&q=b"],
)  # fmt: skip
def test_a_parameter_of_one_value_given_twice_is_a_400_problem(
    all_programmes_funder: Issued, db: Any, query: str
) -> None:
    client = all_programmes_funder.client
    response = client.get(f"/api/v1/applications/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert [error["field"] for error in response.json()["errors"]] == [query.split("=")[0]]
    stats = client.get("/api/v1/stats/?group_by=year&group_by=status")
    assert stats.json()["errors"][0]["field"] == "group_by"
    assert client.get("/api/v1/applications/?status=approved&status=rejected").status_code == 200


@pytest.mark.parametrize("group_by", ["programme, year", "programme,,year", ",programme", "Year"])
def test_statistics_take_their_groups_exactly_as_the_schema_lists_them(
    all_programmes_funder: Issued, db: Any, group_by: str
) -> None:
    client = all_programmes_funder.client
    response = client.get("/api/v1/stats/", {"group_by": group_by})
    assert response.status_code == 400, group_by
    assert response.json()["errors"][0]["field"] == "group_by"
    parameter = next(
        p for p in SCHEMA["paths"]["/api/v1/stats/"]["get"]["parameters"] if p["name"] == "group_by"
    )
    assert parameter["schema"]["type"] == "array" and parameter["schema"]["uniqueItems"] is True
    assert (parameter["style"], parameter["explode"]) == ("form", False)
    assert client.get("/api/v1/stats/", {"group_by": "programme,year"}).status_code == 200
    assert client.get("/api/v1/stats/", {"group_by": ""}).json()["group_by"] == []

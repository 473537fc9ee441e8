"""Lists: filters, orderings walked page by page with cursors, constant query counts, ETags,
and bad input answered with a 400 problem, never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date

from applications import services
from demo import builders as demo
from tests.api.conftest import World

LISTS = ["programmes", "calls", "applications", "grants", "payments"]


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def walk(client: Any, url: str) -> list[int]:
    """Every id of a list, following the `next` links."""
    seen: list[int] = []
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    return seen


# --- filters ---------------------------------------------------------------------------------------


def test_filters_find_what_they_say(all_programmes_funder, world: World, programme_b):
    client = all_programmes_funder.client
    every = {a.pk for a in world.in_a + world.in_b}
    cases = {
        "status=approved": {world.accepted_a.pk, world.accepted_b.pk},
        "status=approved&status=rejected": {world.accepted_a.pk, world.accepted_b.pk, world.rejected_a.pk},
        f"programme={programme_b.pk}": {a.pk for a in world.in_b},
        "category=2": {a.pk for a in world.in_b},
        "country=fr": {world.rejected_a.pk, world.accepted_b.pk},
        "region=DE-NW": {world.accepted_a.pk, world.submitted_a.pk, world.in_review_b.pk},
        "theme=digital": {world.submitted_a.pk},
        "theme=europe": every,
        "requested_min=4000&requested_max=6000": {world.accepted_a.pk, world.in_review_b.pk},
        "awarded_min=5000": {world.accepted_b.pk},
        "q=digitale werkstatt": {world.submitted_a.pk},
        "q=AMITIÉ"[:-1]: {world.rejected_a.pk, world.accepted_b.pk},  # SQLite folds ASCII only
        f"q={world.accepted_a.reference}": {world.accepted_a.pk},
        f"year={world.accepted_a.submitted_at.year}": {
            a.pk for a in world.in_a + world.in_b if a.submitted_at.year == world.accepted_a.submitted_at.year
        },
        f"submitted_to={timezone.localdate(world.rejected_a.submitted_at)}": {
            a.pk for a in world.in_a + world.in_b if a.submitted_at <= world.rejected_a.submitted_at
        },
    }  # fmt: skip
    for query, expected in cases.items():
        assert set(ids(client.get(f"/api/v1/applications/?{query}"))) == expected, query


def test_grant_and_payment_filters(all_programmes_funder, finance_token, world: World):
    grants = all_programmes_funder.client
    assert set(ids(grants.get("/api/v1/grants/?country=FR"))) == {world.accepted_b.grant.pk}
    assert set(ids(grants.get("/api/v1/grants/?awarded_max=5000"))) == {world.accepted_a.grant.pk}
    assert ids(grants.get("/api/v1/grants/?status=closed")) == []
    payments = finance_token.client.get("/api/v1/payments/?status=paid&amount_min=5000").json()
    assert [row["amount"] for row in payments["results"]] == ["6000.00"]


@pytest.mark.parametrize(
    "query",
    [
        "programme=99999999999999999999",
        "programme=-1",
        "programme=1.5",
        "programme=%00",
        "q=%00",
        "q=abc%00def",
        "status=%00",
        "status=nonsense",
        "year=99999999999999999999",
        "requested_min=1e400",
        "requested_min=99999999999999999999.99",
        "requested_min=NaN",
        "submitted_from=2026-02-30",
        "submitted_from=%00",
        "country=Deutschland",
        "ordering=title",
        "ordering=-requested_amount%00",
        "page_size=0",
        "page_size=101",
        "page_size=99999999999999999999",
        "page_size=%00",
        "cursor=abc",
        "cursor=%00",
    ],
)
def test_bad_query_parameters_are_a_400_problem(all_programmes_funder, db, query):
    response = all_programmes_funder.client.get(f"/api/v1/applications/?{query}")
    assert response.status_code == 400, (query, response.content)
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] and all(e["field"] and e["message"] for e in body["errors"])


@pytest.mark.parametrize("url", [f"/api/v1/{name}/?programme=99999999999999999999" for name in ("calls", "grants", "payments")])  # fmt: skip
def test_huge_ids_are_refused_on_every_list(finance_token, db, url):
    assert finance_token.client.get(url).status_code == 400


def test_huge_or_odd_ids_in_the_path_are_a_404_problem(all_programmes_funder, db):
    for url in (
        "/api/v1/applications/99999999999999999999/",
        "/api/v1/grants/abc/",
        "/api/v1/grants/%00/",
    ):
        response = all_programmes_funder.client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/problem+json"


# --- cursor pagination -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ordering",
    ["", "submitted_at", "-requested_amount", "awarded_amount", "-awarded_amount", "reference", "-start_date,requested_amount"],
)  # fmt: skip
@pytest.mark.parametrize("page_size", [1, 2])
def test_walking_the_pages_returns_every_application_once(
    all_programmes_funder, world: World, ordering, page_size
):
    client = all_programmes_funder.client
    whole = ids(client.get(f"/api/v1/applications/?ordering={ordering}&page_size=100"))
    assert len(whole) == 5
    walked = walk(client, f"/api/v1/applications/?ordering={ordering}&page_size={page_size}")
    assert walked == whole  # same order, nothing twice, nothing lost (NULL amounts included)


@pytest.mark.parametrize("page_size", [1, 2, 3, 4])
def test_the_nulls_after_the_values_come_on_the_page_where_the_values_end(
    all_programmes_funder, world: World, page_size
):
    # The values are one indexed range; the NULLs (applications not decided) a read of their own
    # on the page where the range ends: at every page size, in order, nothing twice or lost.
    client = all_programmes_funder.client
    url = "/api/v1/applications/?ordering=-awarded_amount"
    whole = client.get(f"{url}&page_size=100").json()["results"]
    amounts = [row["awarded_amount"] for row in whole]
    assert None in amounts and amounts[0] is not None, amounts  # values, then NULLs
    assert walk(client, f"{url}&page_size={page_size}") == [row["id"] for row in whole]


def test_previous_links_lead_back_page_by_page(all_programmes_funder, world: World):
    client = all_programmes_funder.client
    first = client.get("/api/v1/applications/?page_size=2&ordering=-requested_amount").json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert [len(page["results"]) for page in (first, second, third)] == [2, 2, 1]
    assert third["next"] is None and first["previous"] is None
    back_to_second = client.get(third["previous"]).json()
    assert back_to_second["results"] == second["results"]
    back_to_first = client.get(back_to_second["previous"]).json()
    assert back_to_first["results"] == first["results"]
    assert back_to_first["previous"] is None


def test_a_cursor_is_tied_to_its_ordering(all_programmes_funder, world: World):
    client = all_programmes_funder.client
    cursor_url = client.get("/api/v1/applications/?page_size=1&ordering=reference").json()["next"]
    switched = cursor_url.replace("ordering=reference", "ordering=-requested_amount")
    assert client.get(switched).status_code == 400


def test_new_rows_do_not_shift_a_walk_in_progress(cast, all_programmes_funder, world: World):
    client = all_programmes_funder.client
    first = client.get("/api/v1/applications/?page_size=2").json()
    # A new application arrives at the top of the list while the client reads.
    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    fresh = services.submit_application(draft, by=cast.applicant)
    rest = walk(client, first["next"])
    seen = [row["id"] for row in first["results"]] + rest
    assert fresh.pk not in seen
    assert sorted(seen) == sorted(a.pk for a in world.in_a + world.in_b)


# --- query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LISTS)
def test_a_page_costs_the_same_queries_whatever_its_size(finance_token, world: World, name):
    client = finance_token.client
    client.get(f"/api/v1/{name}/")  # records the token's first use
    counts = []
    for size in (1, 5, 100):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/{name}/?page_size={size}")
        assert response.status_code == 200
        counts.append(len(captured))
    assert len(set(counts)) == 1, counts
    assert counts[0] <= 6, counts


def test_a_funder_page_costs_the_same_few_queries_whatever_its_size_and_filters(
    all_programmes_funder, world: World
):
    # The token with the roles, the page (with Last-Modified and, on PostgreSQL, the partners'
    # countries as columns), and elsewhere the partners' countries.
    client = all_programmes_funder.client
    client.get("/api/v1/applications/")  # records the token's first use
    expected = 2 if connection.vendor == "postgresql" else 3
    for query in ("page_size=1", "page_size=100", "status=approved&country=de&page_size=5"):
        with CaptureQueriesContext(connection) as captured:
            assert ids(client.get(f"/api/v1/applications/?{query}"))
        assert len(captured) == expected, (query, [q["sql"][:120] for q in captured])


def test_a_filterset_copies_and_checks_only_the_filters_its_query_names(db):
    from django.http import QueryDict

    from applications.filters import ApplicationFilter
    from applications.models import Application

    applications = Application.objects.all()
    named = ApplicationFilter(QueryDict("status=approved&country=de"), queryset=applications)
    assert set(named.filters) == {"status", "country"}
    assert named.is_valid()
    assert "country" in str(named.qs.query) and "status" in str(named.qs.query)
    unbound = ApplicationFilter(queryset=applications)  # a page that shows the whole form
    assert set(unbound.filters) == set(ApplicationFilter.base_filters)
    wrong = ApplicationFilter(QueryDict("year=soon&requested_min=-1"), queryset=applications)
    assert not wrong.is_valid()
    assert set(wrong.errors) == {"year", "requested_min"}
    # The class keeps every filter for the next request and for the schema.
    assert len(ApplicationFilter.base_filters) > 10


# --- conditional GET --------------------------------------------------------------------------------


def test_an_unchanged_list_answers_304_to_its_etag(all_programmes_funder, cast, world: World):
    client = all_programmes_funder.client
    url = "/api/v1/applications/?status=submitted"
    first = client.get(url)
    etag = first["ETag"]
    assert etag.startswith('"')
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # A change (the submitted application is withdrawn) gives a new representation.
    services.withdraw_application(world.submitted_a, by=cast.applicant)
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_detail_answers_304_to_its_etag_until_the_organisation_changes(
    all_programmes_funder, world: World
):
    client = all_programmes_funder.client
    url = f"/api/v1/applications/{world.submitted_a.pk}/"
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    # A change of the organisation's profile changes what the application shows.
    organisation = world.submitted_a.organisation
    type(organisation).objects.filter(pk=organisation.pk).update(city="Bonn")
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed.json()["organisation"]["city"] == "Bonn"


def test_a_programme_change_is_never_hidden_behind_if_modified_since(
    all_programmes_funder, world: World, programme_a
):
    """An application's and a grant's body show their programme's category, and a programme
    has no time of its last change: a Last-Modified of the application and its organisation
    answered 304 to a client whose copy still showed the old category."""
    client = all_programmes_funder.client
    urls = [
        f"/api/v1/applications/{world.accepted_a.pk}/",
        "/api/v1/applications/?page_size=100",
        f"/api/v1/grants/{world.accepted_a.grant.pk}/",
        "/api/v1/grants/",
    ]
    copies = {url: client.get(url) for url in urls}
    for url, copy in copies.items():
        assert "Last-Modified" not in copy, url  # no stored time covers every row it shows
    type(programme_a).objects.filter(pk=programme_a.pk).update(category=7)
    tomorrow = http_date((timezone.now() + timedelta(days=1)).timestamp())
    for url, copy in copies.items():
        fresh = client.get(url, HTTP_IF_MODIFIED_SINCE=tomorrow)
        assert fresh.status_code == 200, url
        assert b'"category":7' in fresh.content.replace(b" ", b""), url
        assert client.get(url, HTTP_IF_NONE_MATCH=copy["ETag"]).status_code == 200, url


def test_no_endpoint_offers_if_modified_since_in_the_schema():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        for verb, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert "If-Modified-Since" not in names, (verb, path)
            for response in operation["responses"].values():
                assert "Last-Modified" not in response.get("headers", {}), (verb, path)


@pytest.mark.parametrize("name", LISTS)
def test_every_list_and_detail_carries_an_etag(finance_token, world: World, name):
    client = finance_token.client
    listing = client.get(f"/api/v1/{name}/")
    assert client.get(f"/api/v1/{name}/", HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304
    first_id = listing.json()["results"][0]["id"]
    detail = client.get(f"/api/v1/{name}/{first_id}/")
    assert (
        client.get(f"/api/v1/{name}/{first_id}/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code
        == 304
    )
    assert "Authorization" in detail["Vary"]


# --- problems -----------------------------------------------------------------------------------------


def test_unknown_addresses_and_methods_are_problems(all_programmes_funder, db):
    client = all_programmes_funder.client
    missing = client.get("/api/v1/nothing-here/")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/problem+json"
    assert missing.json()["code"] == "not_found"
    not_allowed = client.post("/api/v1/applications/", {"title": "x"}, format="json")
    assert not_allowed.status_code == 405
    assert not_allowed["Content-Type"] == "application/problem+json"
    assert not_allowed.json()["code"] == "method_not_allowed"
    assert "GET" in not_allowed["Allow"]
    assert client.delete("/api/v1/programmes/1/").status_code == 405

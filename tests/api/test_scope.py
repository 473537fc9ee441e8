"""Fiona's token reads programme A: programme B does not exist for her, wherever she looks."""

from __future__ import annotations

import sys
import types
from collections.abc import Collection, Iterator
from typing import Any

import pytest

from grants.models import Call, Grant, Payment, Programme
from tests.api.conftest import World, issue


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_fiona_lists_only_programme_a(fiona, world: World, programme_a, programme_b):
    client = fiona.client
    assert ids(client.get("/api/v1/programmes/")) == {programme_a.pk}
    assert ids(client.get("/api/v1/calls/")) == set(
        Call.objects.filter(programme=programme_a).values_list("pk", flat=True)
    )
    assert ids(client.get("/api/v1/applications/")) == {a.pk for a in world.in_a}
    assert ids(client.get("/api/v1/grants/")) == {world.accepted_a.grant.pk}
    # Asking for programme B by filter gives nothing either.
    assert ids(client.get(f"/api/v1/applications/?programme={programme_b.pk}")) == set()


def test_fiona_finds_no_record_of_programme_b_by_its_id(fiona, world: World, programme_b):
    for url in (
        f"/api/v1/programmes/{programme_b.pk}/",
        f"/api/v1/applications/{world.accepted_b.pk}/",
        f"/api/v1/grants/{world.accepted_b.grant.pk}/",
    ):
        response = fiona.client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/problem+json"
    assert fiona.client.get(f"/api/v1/applications/{world.accepted_a.pk}/").status_code == 200


def test_fiona_counts_only_programme_a_in_the_statistics(fiona, world: World, programme_a):
    rows = fiona.client.get("/api/v1/stats/?group_by=programme").json()["results"]
    assert [row["programme"] for row in rows] == [programme_a.pk]
    assert rows[0]["count"] == len(world.in_a)


def test_an_all_programmes_token_and_staff_read_every_programme(
    all_programmes_funder, cast, world: World
):
    from tests.api.conftest import session_client

    every = {a.pk for a in world.in_a + world.in_b}
    assert ids(all_programmes_funder.client.get("/api/v1/applications/")) == every
    assert ids(session_client(cast.reviewer).get("/api/v1/applications/")) == every
    assert ids(all_programmes_funder.client.get("/api/v1/programmes/")) == set(
        Programme.objects.values_list("pk", flat=True)
    )


def test_nobody_reads_someone_elses_draft(all_programmes_funder, cast, world: World):
    for client in (
        all_programmes_funder.client,
        issue(cast.admin, by=cast.admin, all_programmes=True).client,
    ):
        assert world.draft.pk not in ids(client.get("/api/v1/applications/?page_size=100"))
        assert client.get(f"/api/v1/applications/{world.draft.pk}/").status_code == 404


def test_a_finance_token_for_programme_a_reads_only_its_payments(cast, world: World, programme_a):
    limited = issue(cast.finance, by=cast.admin, programmes=[programme_a])
    expected = set(
        Payment.objects.filter(grant__programme=programme_a).values_list("pk", flat=True)
    )
    assert expected
    assert ids(limited.client.get("/api/v1/payments/")) == expected


# --- 360Giving export --------------------------------------------------------------------------------


@pytest.fixture
def open_data_stub(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stands in for grants.open_data (written by another change): records the programmes it
    is asked for and streams the grants it would publish."""
    asked: list[Any] = []

    def publishable_grants(programme_ids: Collection[int] | None) -> Any:
        asked.append(None if programme_ids is None else set(programme_ids))
        grants = Grant.objects.order_by("pk")
        return grants if programme_ids is None else grants.filter(programme__in=programme_ids)

    def package_chunks(grants: Any) -> Iterator[str]:
        yield '{"grants": ['
        yield ",".join(f'{{"id": "{g.pk}"}}' for g in grants)
        yield "]}"

    def csv_chunks(grants: Any) -> Iterator[str]:
        yield "id\n"
        for grant in grants:
            yield f"{grant.pk}\n"

    stub = types.ModuleType("grants.open_data")
    stub.publishable_grants = publishable_grants  # type: ignore[attr-defined]
    stub.package_chunks = package_chunks  # type: ignore[attr-defined]
    stub.csv_chunks = csv_chunks  # type: ignore[attr-defined]
    stub.NO_PUBLISHED_GRANT = "No grant is published in this scope yet."  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "grants.open_data", stub)
    import grants

    monkeypatch.setattr(grants, "open_data", stub, raising=False)
    return asked


def streamed(response: Any) -> str:
    assert response.status_code == 200, response
    return b"".join(response.streaming_content).decode()


def test_the_360giving_export_streams_only_the_tokens_programmes(
    fiona, all_programmes_funder, world: World, programme_a, open_data_stub
):
    package = streamed(fiona.client.get("/api/v1/open-data/360giving.json"))
    assert package == f'{{"grants": [{{"id": "{world.accepted_a.grant.pk}"}}]}}'
    table = fiona.client.get("/api/v1/open-data/360giving.csv", HTTP_ACCEPT="text/csv")
    assert table["Content-Type"].startswith("text/csv")
    assert streamed(table) == f"id\n{world.accepted_a.grant.pk}\n"
    streamed(all_programmes_funder.client.get("/api/v1/open-data/360giving.json"))
    assert open_data_stub == [{programme_a.pk}, {programme_a.pk}, None]


def test_the_360giving_export_is_closed_to_anonymous_callers(anonymous, open_data_stub):
    response = anonymous.get("/api/v1/open-data/360giving.csv")
    assert response.status_code == 401
    assert open_data_stub == []


def test_a_scope_without_published_grants_gets_a_problem_not_an_invalid_package(fiona, world: World):  # fmt: skip
    pytest.importorskip("grants.open_data")
    # Nobody in programme A consented to publication yet.
    response = fiona.client.get("/api/v1/open-data/360giving.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "no_published_grants"
    assert "at least one" in response.json()["detail"]
    # A CSV may be empty: its header alone.
    table = streamed(fiona.client.get("/api/v1/open-data/360giving.csv"))
    assert len(table.strip().splitlines()) == 1


def test_fionas_real_360giving_export_holds_programme_a_only(
    fiona, all_programmes_funder, world: World
):
    pytest.importorskip("grants.open_data")
    consented = [*world.accepted_a.declarations, "publication"]
    Application = type(world.accepted_a)
    Application.objects.filter(pk__in=[world.accepted_a.pk, world.accepted_b.pk]).update(declarations=consented)  # fmt: skip
    a, b = world.accepted_a.reference, world.accepted_b.reference
    for suffix in ("json", "csv"):
        mine = streamed(fiona.client.get(f"/api/v1/open-data/360giving.{suffix}"))
        assert a in mine and b not in mine, suffix
        everything = streamed(
            all_programmes_funder.client.get(f"/api/v1/open-data/360giving.{suffix}")
        )
        assert a in everything and b in everything, suffix

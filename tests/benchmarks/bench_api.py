"""The REST API at scale: a filtered list page and the statistics against their floors. Prints
figures only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_api \\
        .venv/bin/python tests/benchmarks/bench_api.py [--size 110000] [--grants 50000]
        [--replay 1000] [--runs 15] [--deep 200] [--keep] [--explain]

PostgreSQL only (DATABASE_URL, by default the address above). The database is dropped, created,
migrated and filled with `seed_demo --size N --replay K` in a child process (about 46 % of the
applications get a grant: 110,000 applications give 50,600 grants; `--grants G` adds more
applications until G is reached). `--keep` uses the database as it is when it already holds
`--size` applications (and creates it when it is missing): filling it takes 5-12 minutes.

Then, in this process, as the demo funder with an API token for all programmes (the path funders
take: `Authorization: Bearer`, token lookup, role check, throttle), it times whole requests
through Django's test client, round-robin over the cases so that a change of the machine's load
hits them all alike (median and 90th percentile of `--runs` rounds after warm-up):
  - the list `/api/v1/applications/?status=approved&country=DE&page_size=100` (first page;
    32,000 of the 110,000 applications match, so page 200 exists), and
    the page `--deep` pages further on, reached by following the `next` links (keyset cursors:
    it should cost what the first page costs);
  - the floor: the same 100 rows with the columns the serializer writes (the organisation, the
    programme's category, the partners' countries, the grant's id) read by one raw SQL query
    through a DB-API cursor and written with `json.dumps(rows, default=str)`; and, for
    information, the same query in a session with random_page_cost 1.1 (the usual setting on
    SSDs), where PostgreSQL walks the (status, submitted_at, id) index that the API's query
    walks (with the default 4 it walks the (submitted_at, id) index and skips the rows of
    other statuses);
  - a naive `ModelViewSet` (defined here: `ModelSerializer` with `fields = "__all__"`,
    `PageNumberPagination` of 100, `filterset_fields`) through `APIRequestFactory` and
    `force_authenticate` (no middleware, no URL), its first page and `?page=--deep`;
  - the same list through `APIRequestFactory` with the token (the view without the middleware);
  - for information, the same list in three other orderings (amounts, largest first; start);
  - `/api/v1/stats/?group_by=programme,year,status` and `?group_by=country,region` against the
    raw GROUP BY: the aggregate query the endpoint runs, as it ran (captured), through a cursor.
It prints the queries of each case (CaptureQueriesContext), the indexes the floors and the API's
page query walk with their time in the server (EXPLAIN ANALYZE), a table (rows, median, p90, ratio to
the floor, queries) and the goals of the API issue with pass or FAIL. `--explain` adds
EXPLAIN (ANALYZE, BUFFERS) of every query that took 2 ms or more.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/mg_bench_api"
GRANT_SHARE = 0.46
PAGE = 100
GROUPINGS = ("programme,year,status", "country,region")
ORDERINGS = ("-requested_amount", "-awarded_amount", "start_date")
FLOOR = "list: raw SQL + json.dumps (floor)"
TUNED_FLOOR = "list: raw SQL, random_page_cost 1.1"
SSD_SETTING = "-c random_page_cost=1.1"


@dataclass
class Case:
    label: str
    call: Callable[[], Any]  # one request (its body) or one raw query (its row count)
    floor: str | None = None  # label of the case it is compared with
    rows: int = 0
    times: list[float] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.times, n=10)[-1] if len(self.times) > 1 else self.median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=110_000, help="applications (110,000)")
    parser.add_argument(
        "--grants", type=int, default=0, help="top up with more applications until this many grants"
    )
    parser.add_argument("--replay", type=int, default=1000, help="histories seed_demo replays")
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--deep", type=int, default=200, help="the deep page's number (200)")
    parser.add_argument("--status", default="approved", help="first filter (approved)")
    parser.add_argument("--country", default="DE", help="second filter (DE)")
    parser.add_argument("--keep", action="store_true", help="reuse an already filled database")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE slow queries")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    url = os.environ.get("DATABASE_URL", "") or DEFAULT_URL
    if not url.startswith("postgres"):
        sys.exit(f"DATABASE_URL must name PostgreSQL, e.g. {DEFAULT_URL}")
    prepare_postgres_database(url, recreate=not args.keep)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    sys.path.insert(0, str(ROOT))
    manage(["migrate", "--noinput", "--verbosity", "0"])

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from applications.models import Application
    from grants.models import Grant

    fill(args.size, args.grants, replay=args.replay)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"ANALYZE         {time.perf_counter() - started:.1f} s")

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    # The throttle still runs on every request; only its limit must not cut the benchmark short.
    settings.MICROGRANTS_API_RATE = "1000000/minute"

    import rest_framework

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    matching = Application.objects.filter(
        status=args.status, organisation__country=args.country
    ).count()
    print(f"database        PostgreSQL {server}: {url}")
    print(f"versions        Python {platform.python_version()}, Django {django.get_version()}, DRF {rest_framework.VERSION}")  # fmt: skip
    print(f"data            {Application.objects.count()} applications, {Grant.objects.count()} grants; {matching} with status={args.status} and country={args.country}")  # fmt: skip
    print(f"machine         {os.cpu_count()} CPUs, load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) before measuring")  # fmt: skip

    measure(args, matching)
    print(f"machine         load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} after measuring")  # fmt: skip


# --- filling -------------------------------------------------------------------------------------


def fill(size: int, grants: int, *, replay: int) -> None:
    """seed_demo in a child process until the database holds `size` applications and `grants`
    grants (at most two extra rounds)."""
    from applications.models import Application
    from grants.models import Grant

    have = Application.objects.count()
    if have < size:
        seed(size - have, replay=replay, seed=7)
    else:
        print(f"seeded          no: the database holds {have} applications already (--keep)")
    for round_ in range(2):
        have_grants = Grant.objects.count()
        if have_grants >= grants:
            return
        more = math.ceil((grants - have_grants) / GRANT_SHARE * 1.03)
        seed(more, replay=min(replay, more), seed=8 + round_)
    if Grant.objects.count() < grants:
        print(f"only {Grant.objects.count()} grants (asked for {grants})")


def seed(size: int, *, replay: int, seed: int) -> None:
    started = time.perf_counter()
    manage(["seed_demo", "--size", str(size), "--seed", str(seed), "--replay", str(min(replay, size))])  # fmt: skip
    print(f"seeded          {size} applications ({min(replay, size)} replayed) in {time.perf_counter() - started:.0f} s")  # fmt: skip


def manage(command: list[str]) -> None:
    subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *command],
        check=True,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def prepare_postgres_database(url: str, *, recreate: bool) -> None:
    """Drop and create the database; with `recreate` False only create it when it is missing."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()  # fmt: skip
        if recreate and exists:
            connection.execute(f'DROP DATABASE "{name}"')
        if recreate or not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


# --- the cases -----------------------------------------------------------------------------------


def measure(args: argparse.Namespace, matching: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory, force_authenticate

    from applications.api.views import ApplicationViewSet
    from demo import builders as demo
    from grants.api.tokens import issue_token

    cast = demo.create_cast()
    funder = cast.funder
    _token, secret = issue_token(funder, by=cast.admin, name="bench_api", all_programmes=True)
    bearer = f"Bearer {secret}"
    client = Client(HTTP_AUTHORIZATION=bearer, HTTP_ACCEPT="application/json")
    factory = APIRequestFactory()
    filters = {"status": args.status, "country": args.country}
    first_url = f"/api/v1/applications/?status={args.status}&country={args.country}&page_size={PAGE}"  # fmt: skip

    def api_get(url: str) -> Any:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        return response

    # The deep page: follow the `next` links (the only way a client gets there).
    depth = max(1, min(args.deep, matching // PAGE))
    started = time.perf_counter()
    deep_url: str = first_url
    for _ in range(depth - 1):
        deep_url = api_get(deep_url).json()["next"]
    walk = time.perf_counter() - started
    print(f"deep page       page {depth} (rows {(depth - 1) * PAGE + 1}-{depth * PAGE} of {matching}), reached through {depth - 1} next links in {walk:.1f} s")  # fmt: skip

    def api_list(url: str) -> Callable[[], bytes]:
        def call() -> bytes:
            return bytes(api_get(url).content)

        return call

    list_view = ApplicationViewSet.as_view({"get": "list"})

    def api_view_only() -> bytes:
        request = factory.get(
            "/api/v1/applications/", {**filters, "page_size": PAGE}, HTTP_AUTHORIZATION=bearer
        )
        response = list_view(request)
        response.render()
        assert response.status_code == 200, response.content[:300]
        return bytes(response.content)

    naive_view = naive_viewset().as_view({"get": "list"})

    def naive(page: int) -> Callable[[], bytes]:
        def call() -> bytes:
            request = factory.get(
                "/api/naive/applications/",
                {"status": args.status, "organisation__country": args.country, "page": page},
            )
            force_authenticate(request, user=funder)
            response = naive_view(request)
            response.render()
            assert response.status_code == 200, response.content[:300]
            return bytes(response.content)

        return call

    floor_sql, floor_params = floor_query(args.status, args.country)
    # The same query in a session tuned for SSDs, where PostgreSQL walks the (status, order)
    # index as the API's query does (with the default cost of 4 it walks the order index).
    tuned = ssd_connection(os.environ["DATABASE_URL"])

    def raw_page(sql: str, session: Any = connection) -> Callable[[], int]:
        def call() -> int:
            with session.cursor() as cursor:
                cursor.execute(sql, floor_params)
                names = [column.name for column in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            json.dumps(rows, default=str)
            return len(rows)

        return call

    cases = [
        Case(FLOOR, raw_page(floor_sql)),
        Case(TUNED_FLOOR, raw_page(floor_sql, tuned), FLOOR),
        Case("list: API, first page", api_list(first_url), FLOOR),
        Case(
            f"list: API, deep page {depth} (cursor)",
            api_list(deep_url),
            FLOOR,
        ),
        Case(
            "list: API view only (no middleware)",
            api_view_only,
            FLOOR,
        ),
        Case("list: naive ModelViewSet, page 1", naive(1), FLOOR),
        Case(
            f"list: naive ModelViewSet, deep page {depth}",
            naive(depth),
            FLOOR,
        ),
    ]
    # The other orderings a funder may ask for (information: each has its index, see
    # applications migration 0009; without one a page sorts every visible application).
    for ordering in ORDERINGS:
        cases.append(Case(f"list: API, ordering={ordering}", api_list(f"{first_url}&ordering={ordering}"), FLOOR))  # fmt: skip
    for grouping in GROUPINGS:
        stats_url = f"/api/v1/stats/?group_by={grouping}"
        with CaptureQueriesContext(connection) as captured:
            api_get(stats_url)
        grouped = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
        assert len(grouped) == 1, grouped
        raw_label = f"stats {grouping}: raw GROUP BY"
        cases.append(Case(raw_label, raw_group_by(grouped[0])))
        cases.append(Case(f"stats {grouping}: API", stats_rows(api_get, stats_url), raw_label))

    check_same_rows(floor_sql, floor_params, first_url, api_get)

    for _ in range(args.warmup):
        for case in cases:
            case.rows = rows_of(case.call())
    for case in cases:
        with CaptureQueriesContext(connection) as captured:
            case.call()
        case.queries = captured.captured_queries
    for _ in range(args.runs):
        for case in cases:
            started = time.perf_counter()
            case.call()
            case.times.append((time.perf_counter() - started) * 1000)
    # Counted once more at the end: the token's last_used_at is written at most once a minute,
    # and a count taken in that minute would show one UPDATE more than a request usually runs.
    for case in cases:
        with CaptureQueriesContext(connection) as captured:
            case.call()
        if len(captured.captured_queries) < len(case.queries):
            case.queries = captured.captured_queries
    # The tuned floor runs in a session of its own, which Django does not see: its one query is
    # the floor's SQL.
    by_label = {case.label: case for case in cases}
    by_label[TUNED_FLOOR].queries = by_label[FLOOR].queries

    print_queries(cases)
    print_plans(cases, floor_sql, floor_params, tuned)
    print_table(cases)
    print_goals(cases, depth)
    if args.size < 100_000:
        print(f"  note  the goals are set for 100,000 applications; at {args.size} the fixed costs of a request dominate and they say little")  # fmt: skip
    if args.explain:
        explain(cases)


def naive_viewset() -> Any:
    """What many teams ship: every field, page numbers, the filters by name."""
    from django_filters.rest_framework import DjangoFilterBackend
    from rest_framework import serializers, viewsets
    from rest_framework.pagination import PageNumberPagination
    from rest_framework.permissions import IsAuthenticated

    from applications.models import Application

    class NaiveApplicationSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
        class Meta:
            model = Application
            fields = "__all__"

    class NaivePagination(PageNumberPagination):
        page_size = PAGE

    class NaiveApplicationViewSet(viewsets.ModelViewSet):  # type: ignore[type-arg]
        queryset = Application.objects.exclude(status="draft").order_by("-submitted_at", "-id")
        serializer_class = NaiveApplicationSerializer
        pagination_class = NaivePagination
        permission_classes = [IsAuthenticated]
        filter_backends = [DjangoFilterBackend]
        filterset_fields = ["status", "organisation__country"]

    return NaiveApplicationViewSet


def floor_query(status: str, country: str) -> tuple[str, list[Any]]:
    """One SQL query for the first page: the funder serializer's columns, its joins, its order."""
    from applications.models import Application, Partner
    from grants.models import Grant, Programme
    from organisations.models import Organisation

    application = Application._meta.db_table
    organisation = Organisation._meta.db_table
    programme = Programme._meta.db_table
    grant = Grant._meta.db_table
    partner = Partner._meta.db_table
    sql = f"""
        SELECT a.id, a.reference, a.title, a.summary, a.status, a.language, a.programme_id,
               p.category, a.call_id, a.themes, a.places, a.requested_amount, a.awarded_amount,
               a.start_date, a.end_date, a.submitted_at, a.decided_at,
               o.id AS organisation_id,
               CASE WHEN o.legal_form = 'informal_group' THEN NULL ELSE o.name END AS name,
               o.legal_form, o.country, o.region, o.city,
               ARRAY(SELECT DISTINCT pa.country FROM {partner} pa
                     WHERE pa.application_id = a.id ORDER BY 1) AS partner_countries,
               g.id AS grant_id
          FROM {application} a
          JOIN {organisation} o ON o.id = a.organisation_id
          LEFT JOIN {programme} p ON p.id = a.programme_id
          LEFT JOIN {grant} g ON g.application_id = a.id
         WHERE a.status = %s AND o.country = %s
         ORDER BY a.submitted_at DESC NULLS LAST, a.id DESC
         LIMIT {PAGE}
    """
    return sql, [status, country]


def raw_group_by(sql: str) -> Callable[[], int]:
    """The endpoint's aggregate query, as it ran, through a cursor; rows dumped as JSON."""
    from django.db import connection

    def call() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        json.dumps(rows, default=str)
        return len(rows)

    return call


def stats_rows(api_get: Callable[[str], Any], url: str) -> Callable[[], bytes]:
    def call() -> bytes:
        return bytes(api_get(url).content)

    return call


def rows_of(result: Any) -> int:
    """Rows of a case's result: a JSON body with `results` (read outside the timed runs) or a
    row count."""
    if isinstance(result, bytes):
        return len(json.loads(result)["results"])
    return int(result)


def check_same_rows(
    sql: str,
    params: list[Any],
    url: str,
    api_get: Callable[[str], Any],
) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        raw_ids = [row[0] for row in cursor.fetchall()]
    api_ids = [row["id"] for row in api_get(url).json()["results"]]
    same = "yes" if raw_ids == api_ids else "NO: the floor reads other rows"
    print(f"same rows       floor and API first page: {same} ({len(raw_ids)} / {len(api_ids)} ids)")  # fmt: skip


# --- output --------------------------------------------------------------------------------------


def print_queries(cases: list[Case]) -> None:
    print()
    print("queries per case (ms as captured, SQL shortened)")
    for case in cases:
        print(f"  {case.label}: {len(case.queries)}")
        for query in case.queries:
            sql = " ".join(query["sql"].split())
            print(f"    {float(query['time']) * 1000:7.2f}  {sql[:150]}")


def ssd_connection(url: str) -> Any:
    """A second session, like Django's (client-side binding, autocommit, JIT off) but with
    random_page_cost 1.1, the usual setting on SSDs."""
    import psycopg

    return psycopg.connect(
        url,
        autocommit=True,
        cursor_factory=psycopg.ClientCursor,
        options=f"-c jit=off {SSD_SETTING}",
    )


def print_plans(cases: list[Case], floor_sql: str, params: list[Any], tuned: Any) -> None:
    """Which indexes the floors and the API's page query walk, and their time in the server:
    the ratios depend on the plans as much as on Python."""
    from django.db import connection

    by_label = {case.label: case for case in cases}
    page_sql = max(by_label["list: API, first page"].queries, key=lambda q: float(q["time"]))
    print()
    print("plans (EXPLAIN ANALYZE: indexes walked, planning + execution in the server)")
    for label, session, sql, args in (
        (FLOOR, connection, floor_sql, params),
        (TUNED_FLOOR, tuned, floor_sql, params),
        ("list: API, first page (its page query)", connection, page_sql["sql"], None),
    ):
        with session.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, args)
            (plan,) = cursor.fetchone()
        if isinstance(plan, str):
            plan = json.loads(plan)
        top = plan[0]
        indexes = list(dict.fromkeys(indexes_in(top["Plan"])))
        server = top["Planning Time"] + top["Execution Time"]
        print(f"  {label}: {server:.2f} ms; {', '.join(indexes)}")


def indexes_in(node: dict[str, Any]) -> list[str]:
    own = [node["Index Name"]] if "Index Name" in node else []
    return own + [name for child in node.get("Plans", []) for name in indexes_in(child)]


def print_table(cases: list[Case]) -> None:
    by_label = {case.label: case for case in cases}
    print()
    print(f"{'case':44s} {'rows':>5s} {'median ms':>10s} {'p90 ms':>8s} {'x floor':>8s} {'queries':>8s}")  # fmt: skip
    for case in cases:
        ratio = f"{case.median / by_label[case.floor].median:8.2f}" if case.floor else f"{'':8s}"
        print(f"{case.label:44s} {case.rows:5d} {case.median:10.2f} {case.p90:8.2f} {ratio} {len(case.queries):8d}")  # fmt: skip


def print_goals(cases: list[Case], depth: int) -> None:
    by_label = {case.label: case for case in cases}
    floor = by_label[FLOOR]
    first = by_label["list: API, first page"]
    deep = by_label[f"list: API, deep page {depth} (cursor)"]
    naive = by_label["list: naive ModelViewSet, page 1"]
    naive_deep = by_label[f"list: naive ModelViewSet, deep page {depth}"]
    goals: list[tuple[str, float, str, bool]] = [
        (
            "list page <= 2.5x the floor",
            first.median / floor.median,
            "x",
            first.median <= 2.5 * floor.median,
        ),
        (
            "list page >= 3x faster than the naive one",
            naive.median / first.median,
            "x faster",
            naive.median >= 3 * first.median,
        ),
        ("list page <= 3 queries", len(first.queries), "queries", len(first.queries) <= 3),
        (
            f"page {depth} <= 1.1x the first page",
            deep.median / first.median,
            "x",
            deep.median <= 1.1 * first.median,
        ),
    ]
    for grouping in GROUPINGS:
        api = by_label[f"stats {grouping}: API"]
        raw = by_label[f"stats {grouping}: raw GROUP BY"]
        goals.append((f"stats {grouping} <= 1.5x the raw GROUP BY", api.median / raw.median, "x", api.median <= 1.5 * raw.median))  # fmt: skip
    print()
    print("goals")
    for text, value, unit, ok in goals:
        shown = f"{value:.0f}" if unit == "queries" else f"{value:.2f}"
        print(f"  {'pass' if ok else 'FAIL':4s}  {text:52s} {shown} {unit}")
    tuned = by_label[TUNED_FLOOR]
    print(f"  info  the list page against the floor with random_page_cost 1.1: {first.median / tuned.median:.2f}x")  # fmt: skip
    print(f"  info  the naive one's page {depth}: {naive_deep.median / naive.median:.2f}x its page 1, {naive_deep.median / deep.median:.2f}x the API's page {depth}")  # fmt: skip


def explain(cases: list[Case]) -> None:
    from django.db import connection

    print()
    print("EXPLAIN (ANALYZE, BUFFERS) of the queries that took 2 ms or more")
    seen: set[str] = set()
    for case in cases:
        for query in case.queries:
            sql = query["sql"]
            if float(query["time"]) < 0.002 or sql in seen or not sql.lstrip().startswith("SELECT"):
                continue
            seen.add(sql)
            print(f"--- {case.label} ({float(query['time']) * 1000:.1f} ms)")
            print("    " + " ".join(sql.split())[:2000])
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                for (line,) in cursor.fetchall():
                    print(f"    {line}")


if __name__ == "__main__":
    main()

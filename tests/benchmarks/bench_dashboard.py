"""The programme dashboard at N applications: the whole page against its raw aggregate SQL.
Prints figures only; asserts nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_dashboard \\
        .venv/bin/python tests/benchmarks/bench_dashboard.py [--size 100000] [--replay 500]
        [--runs 25] [--reuse] [--explain]

The database is the PostgreSQL database DATABASE_URL names (dropped and created first, as
bench_api.py does; with `--reuse` kept and topped up to `--size` applications), or without
DATABASE_URL a temporary SQLite file. It is migrated and filled with `seed_demo` in this
process: `--replay` histories through the real services, every other application a bulk copy
of one of them (`demo.copies`: what the services would have written, inserted in batches), in
rounds until it holds N applications.

Then, signed in as the demo administrator (every programme) and as the demo funder (a token for
every programme), it times whole requests of /dashboard/ for the year with the most
submissions, all programmes (and, for information, the list of one's tokens: what any
signed-in page of the workspace costs), through Django's test client (middleware, view, queries,
template; English; no template instrumentation), round-robin with the floor so that a change
of the machine's load hits both alike (median and 90th percentile of `--runs` rounds after
warm-up). The floor, "raw SQL": the dashboard's own queries as the page ran them (captured),
through a DB-API cursor with their rows fetched. It prints the queries of the page (all of
them, and the dashboard's own), the raw-SQL time, the page's median and the ratio, against the
goals of issue 17: <= 8 queries, <= 1.5x the raw aggregate SQL, median <= 150 ms. `--explain`
prints EXPLAIN ANALYZE of the dashboard's queries (PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MAX_QUERIES = 8
MAX_RATIO = 1.5
MAX_MEDIAN_MS = 150.0
# The queries every signed-in page runs before and besides the dashboard's own: the session,
# the user, the roles, the navigation's organisations and unread messages.
PAGE_OVERHEAD = (
    "django_session",
    "auth_user",
    "auth_group",
    "applications_organisation",
    "conversations_",
)


@dataclass
class Case:
    label: str
    call: Callable[[], Any]
    queries: int | None = None
    own: int | None = None
    floor: str | None = None
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.times, n=10)[-1] if len(self.times) > 1 else self.median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="applications (100000)")
    parser.add_argument("--replay", type=int, default=500, help="histories seed_demo replays")
    parser.add_argument("--runs", type=int, default=25, help="timed rounds (25)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep the database")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the queries")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    folder = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    if url.startswith("postgres"):
        from tests.benchmarks.bench_api import prepare_postgres_database

        prepare_postgres_database(url, recreate=not args.reuse)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ["DJANGO_MEDIA_ROOT"] = str(folder / "media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    # The seeded histories send their e-mails: kept in memory, not printed.
    os.environ.setdefault("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        fill(args.size, replay=args.replay)
        print(f"filled          in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        measure(args)
    finally:
        connection.close()
        shutil.rmtree(folder, ignore_errors=True)


def fill(size: int, *, replay: int) -> None:
    """seed_demo (replayed histories, the rest bulk copies) until `size` applications."""
    from applications.models import Application
    from tests.benchmarks.bench_figures import seed_until

    seed_until(
        lambda: Application.objects.count(), size, replay=replay, share=1.0, what="applications"
    )


def busiest_year() -> int:
    from django.db.models import Count
    from django.db.models.functions import ExtractYear

    from applications.models import Application

    row = (
        Application.objects.filter(submitted_at__isnull=False)
        .annotate(year=ExtractYear("submitted_at"))
        .values("year")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert row is not None, "no submitted application"
    return int(row["year"])


def captured(client: Any, url: str) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """All queries of a request, and the dashboard's own (the others every page runs)."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    own = [
        (sql, params)
        for sql, params in seen
        if not any(f'FROM "{table}' in sql for table in PAGE_OVERHEAD)
    ]
    return seen, own


def explain(sql: str, params: Any) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(part) for part in row) for row in cursor.fetchall()]


def measure(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from applications.models import Application
    from grants.models import Grant
    from tests.benchmarks.bench_figures import raw

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    year = busiest_year()
    url = f"/dashboard/?year={year}"
    users = get_user_model().objects
    cases: list[Case] = []
    plans: dict[str, list[tuple[str, Any]]] = {}
    for label, username in (("administrator", "admin"), ("funder", "funder")):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.cookies["django_language"] = "en"
        client.force_login(users.get(username=username))

        def get(client: Any = client) -> bytes:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return bytes(response.content)

        every, own = captured(client, url)
        plans[label] = own
        floor = f"{label}: raw SQL ({len(own)} queries)"
        cases.append(Case(floor, raw(own)))
        cases.append(Case(f"{label}: the page", get, len(every), len(own), floor))
        if label == "administrator":
            # For information: what any signed-in page of the workspace costs (the session,
            # roles, navigation, middleware, the base template), here the list of one's tokens.
            def plain(client: Any = client) -> bytes:
                return bytes(client.get("/dashboard/tokens/").content)

            cases.append(Case("administrator: tokens page (info)", plain))

    print(f"database        {connection.vendor}: {connection.settings_dict['NAME']}")
    print(f"versions        Python {platform.python_version()}, Django {__import__('django').get_version()}")  # fmt: skip
    submitted = Application.objects.filter(submitted_at__year=year).count()
    print(f"data            {Application.objects.count()} applications ({submitted} submitted in {year}), {Grant.objects.count()} grants")  # fmt: skip
    print(f"address         {url}")
    print(f"machine         {os.cpu_count()} CPUs, load average {_load()} before measuring")
    for label, own in plans.items():
        print(f"the dashboard's own queries ({label}):")
        for sql, params in own:
            print(f"    {sql[:150]}")
            if args.explain:
                for line in explain(sql, params):
                    print(f"        {line}")

    for round_ in range(args.warmup + args.runs):
        for case in cases:
            started = time.perf_counter()
            case.call()
            elapsed = (time.perf_counter() - started) * 1000
            if round_ >= args.warmup:
                case.times.append(elapsed)

    by_label = {case.label: case for case in cases}
    print(f"\n{'case':<36} {'queries':>9} {'median ms':>10} {'p90 ms':>8} {'ratio':>6}  goal")
    for case in cases:
        queries = "" if case.queries is None else f"{case.queries} ({case.own})"
        ratio, goal = "", ""
        if case.floor:
            floor = by_label[case.floor]
            value = case.median / floor.median
            ratio = f"{value:.2f}"
            goal = (
                f"own queries <= {MAX_QUERIES} {_verdict((case.own or 0) <= MAX_QUERIES)}, "
                f"ratio <= {MAX_RATIO} {_verdict(value <= MAX_RATIO)}, "
                f"median <= {MAX_MEDIAN_MS:.0f} ms {_verdict(case.median <= MAX_MEDIAN_MS)}"
            )
        print(
            f"{case.label:<36} {queries:>9} {case.median:10.1f} {case.p90:8.1f} {ratio:>6}  {goal}"
        )
    print(
        "\nqueries: all of the request (the dashboard's own in brackets; the others are the "
        "session, the user, the roles and the navigation, which every signed-in page reads)"
    )


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _load() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:  # pragma: no cover - not on every system
        return "unknown"


if __name__ == "__main__":
    main()

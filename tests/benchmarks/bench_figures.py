"""The open figures page (/figures/) against the raw GROUP BY queries behind it. Prints figures
only; asserts nothing.

    .venv/bin/python tests/benchmarks/bench_figures.py [--size 5000] [--replay 1000] [--runs 15]
        [--keep PATH]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_figures \\
        .venv/bin/python tests/benchmarks/bench_figures.py --size 20000

`--size N` is the number of funded (approved) projects wanted. The database is a fresh temporary
SQLite file (settings as in production: WAL, IMMEDIATE transactions), or the PostgreSQL database
DATABASE_URL names (dropped and created first, as bench_api.py does). It is migrated and filled
with `seed_demo` as bench_seed.py runs it, in this process, in rounds until N applications are
approved (about 46 % of what seed_demo creates). `--keep PATH` keeps the SQLite file at PATH and
reuses it when it already holds N funded projects.

Then it times, round-robin over the cases (median and 90th percentile of `--runs` rounds after
warm-up, so that a change of the machine's load hits every case alike):
  - the page: a whole anonymous GET /figures/ through Django's test client (middleware, the
    queries, the SVG charts, the template), in English;
  - the floor, "raw GROUP BY": the aggregate queries the page runs, as they ran (captured from
    the page), executed through a DB-API cursor with their rows fetched;
  - for information, one CSV (/figures/region.csv) against its one GROUP BY.
It prints the page's queries, a table (median, p90, ratio to the floor) and the issue's goal
(statistics <= 1.5x the raw GROUP BY) with pass or FAIL.
"""

from __future__ import annotations

import argparse
import contextlib
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
GOAL = 1.5


@dataclass
class Case:
    label: str
    call: Callable[[], Any]
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
    parser.add_argument("--size", type=int, default=5000, help="funded projects wanted (5000)")
    parser.add_argument("--replay", type=int, default=1000, help="histories seed_demo replays")
    parser.add_argument("--runs", type=int, default=15, help="timed rounds (15)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--keep", type=Path, default=None, metavar="PATH", help="SQLite file")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    folder: Path | None = None
    if url.startswith("postgres"):
        from tests.benchmarks.bench_api import prepare_postgres_database

        prepare_postgres_database(url, recreate=True)
    elif args.keep:
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{args.keep.resolve()}"
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-figures-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        fill(args.size, replay=args.replay)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # both engines: plans from fresh statistics
        measure(args)
    finally:
        connection.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def funded_count() -> int:
    from applications.statistics import funded_applications

    return funded_applications().count()


def fill(size: int, *, replay: int) -> None:
    """seed_demo until `size` applications are funded."""
    seed_until(funded_count, size, replay=replay, share=0.46, what="funded projects")


def seed_until(
    counted: Callable[[], int], size: int, *, replay: int, share: float, what: str
) -> None:
    """seed_demo until `counted()` reaches `size` (at most five rounds). `share` is the first
    guess of the counted rows per seeded application; each round measures it again."""
    from django.core.management import call_command

    from applications.models import Application

    for round_ in range(5):
        have = counted()
        if have >= size:
            break
        more = max(int((size - have) / share * 1.05), 20)
        before = Application.objects.count()
        started = time.perf_counter()
        with contextlib.redirect_stderr(Quiet()):  # seed_demo's progress bar
            call_command(
                "seed_demo", size=more, seed=7 + round_, replay=min(replay, more), stdout=Quiet()
            )
        print(f"seeded          {more} applications in {time.perf_counter() - started:.0f} s")
        added = Application.objects.count() - before
        if added:
            share = max((counted() - have) / added, 0.05)
    else:
        print(f"only {counted()} {what} (asked for {size})")


class Quiet:
    """An output that keeps nothing (seed_demo's progress)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def raw(sqls: list[tuple[str, Any]]) -> Callable[[], int]:
    """The captured queries again through a cursor, every row fetched: the floor."""
    from django.db import connection

    def run() -> int:
        rows = 0
        with connection.cursor() as cursor:
            for sql, params in sqls:
                cursor.execute(sql, params)
                rows += len(cursor.fetchall())
        return rows

    return run


def captured(client: Any, url: str) -> list[tuple[str, Any]]:
    """The GROUP BY queries a request runs, with their parameters (SQL as Django sent it)."""
    from django.db import connection

    seen: list[tuple[str, Any]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "GROUP BY" in sql:
            seen.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return seen


def measure(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from applications.models import Application

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"

    def get(url: str) -> Callable[[], bytes]:
        def call() -> bytes:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.content

        return call

    page_sql = captured(client, "/figures/")
    csv_sql = captured(client, "/figures/region.csv")
    with CaptureQueriesContext(connection) as queries:
        body = get("/figures/")()

    print(f"database        {connection.vendor}: {connection.settings_dict['NAME']}")
    print(f"versions        Python {platform.python_version()}, Django {__import__('django').get_version()}")  # fmt: skip
    print(f"data            {Application.objects.count()} applications, {funded_count()} funded")
    print(f"machine         {os.cpu_count()} CPUs, load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} before measuring")  # fmt: skip
    print(f"page            {len(body) / 1024:.0f} KiB, {len(queries)} queries, {len(page_sql)} of them GROUP BY:")  # fmt: skip
    for query in queries.captured_queries:
        print(f"  {query['time']:>7} s  {query['sql'][:110]}")

    page_floor = "figures: raw GROUP BY (5 queries)"
    csv_floor = "region.csv: raw GROUP BY"
    cases = [
        Case(page_floor, raw(page_sql)),
        Case("figures: the page", get("/figures/"), page_floor),
        Case(csv_floor, raw(csv_sql)),
        Case("region.csv", get("/figures/region.csv"), csv_floor),
    ]
    for round_ in range(args.warmup + args.runs):
        for case in cases:
            started = time.perf_counter()
            case.call()
            elapsed = (time.perf_counter() - started) * 1000
            if round_ >= args.warmup:
                case.times.append(elapsed)

    by_label = {case.label: case for case in cases}
    print(f"\n{'case':<36} {'median ms':>10} {'p90 ms':>8} {'x floor':>8}")
    for case in cases:
        ratio = f"{case.median / by_label[case.floor].median:.2f}" if case.floor else ""
        print(f"{case.label:<36} {case.median:>10.1f} {case.p90:>8.1f} {ratio:>8}")
    page, floor = by_label["figures: the page"], by_label[page_floor]
    ratio = page.median / floor.median
    verdict = "pass" if ratio <= GOAL else "FAIL"
    print(f"\ngoal            statistics <= {GOAL}x the raw GROUP BY: {ratio:.2f}x ({verdict})")
    print(f"machine         load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} after measuring")  # fmt: skip


if __name__ == "__main__":
    main()

"""The public side at N published projects: the list, a project page, the map and the open
figures, as an anonymous visitor reads them. Prints figures only; asserts nothing.

    .venv/bin/python tests/benchmarks/bench_public.py [--size 20000] [--replay 500] [--runs 25]
        [--keep PATH] [--explain]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_public \\
        .venv/bin/python tests/benchmarks/bench_public.py --size 20000 [--reuse]

`--size N` is the number of published projects. The database is a fresh temporary SQLite file
(settings as in production: WAL, IMMEDIATE transactions), or the PostgreSQL database that
DATABASE_URL names (dropped and created first, as bench_api.py does; with `--reuse` kept and
topped up). It is migrated and filled with `seed_demo` (in this process, `--replay` histories
through the services, the rest copies, as bench_seed.py runs it) in rounds until N grants are
funded; then N funded grants get a published showcase in bulk (text from the application, a
format, the outcome once settled, an approved photo for every second one; no audit rows: no
public page reads them). Themes, partners and organisations (towns, regions) are the seeded
ones. `--keep PATH` keeps the SQLite file at PATH (photos beside it) and reuses it.

Then it times whole anonymous requests through Django's test client (middleware, view, queries,
template; English; without setup_test_environment's template instrumentation, which a server
does not run), round-robin over the cases, median and 90th percentile of `--runs` rounds after
warm-up, so that a change of the machine's load hits every case alike:
  - /projects/, /projects/ filtered (country, theme) with a search word, a project page:
    uncached (the visitor cache forgotten before each request, outside the timing) and cached;
    the queries of an uncached request are counted; page 400 of the list for information;
  - /projects/map/ and /figures/, uncached, against their floor, "raw GROUP BY": the aggregate
    queries the page runs, as they ran (captured from the page), through a DB-API cursor with
    their rows fetched.
Goals from issue 15: list and project page <= 6 queries, median <= 30 ms uncached and <= 3 ms
cached; map and figures <= 1.5x the raw GROUP BY. `--explain` prints the plans of the list's
queries.
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
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
MAX_QUERIES = 6
MAX_UNCACHED_MS = 30.0
MAX_CACHED_MS = 3.0
MAX_RATIO = 1.5
BATCH = 2000


@dataclass
class Case:
    label: str
    url: str
    cached: bool | None = None  # None: a page that is never cached, or a floor
    call: Callable[[], Any] | None = None
    floor: str | None = None
    queries: int | None = None
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p90(self) -> float:
        return statistics.quantiles(self.times, n=10)[-1] if len(self.times) > 1 else self.median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000, help="published projects (20000)")
    parser.add_argument("--replay", type=int, default=500, help="histories seed_demo replays")
    parser.add_argument("--runs", type=int, default=25, help="timed rounds (25)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (3)")
    parser.add_argument("--keep", type=Path, default=None, metavar="PATH", help="SQLite file")
    parser.add_argument("--reuse", action="store_true", help="PostgreSQL: keep the database")
    parser.add_argument("--explain", action="store_true", help="print the list queries' plans")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    folder: Path | None = None
    if url.startswith("postgres"):
        from tests.benchmarks.bench_api import prepare_postgres_database

        prepare_postgres_database(url, recreate=not args.reuse)
        folder = Path(tempfile.mkdtemp(prefix="bench-public-"))
        media = folder / "media"
    elif args.keep:
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{args.keep.resolve()}"
        media = args.keep.resolve().with_suffix(".media")
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-public-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
        media = folder / "media"
    os.environ["DJANGO_MEDIA_ROOT"] = str(media)  # the seeded photos stay out of the worktree
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        fill(args.size, replay=args.replay)
        publish(args.size)
        print(f"filled          in {time.perf_counter() - started:.0f} s")
        with connection.cursor() as cursor:
            # Plans from fresh statistics; on PostgreSQL also the visibility map autovacuum
            # would have set by now (index-only scans), after the rows written in bulk.
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        measure(args)
    finally:
        connection.close()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


# --- filling -------------------------------------------------------------------------------------


def funded_grants() -> Any:
    from grants.models import Grant
    from public.models import FUNDED_STATES

    return Grant.objects.filter(status__in=FUNDED_STATES)


def published_count() -> int:
    from public.selectors import public_showcases

    return public_showcases().count()


def fill(size: int, *, replay: int) -> None:
    """seed_demo until `size` grants are funded."""
    from tests.benchmarks.bench_figures import seed_until

    # About 0.36 funded grants per seeded application; measured again after each round.
    seed_until(
        lambda: funded_grants().count(), size, replay=replay, share=0.34, what="funded grants"
    )


def publish(size: int) -> None:
    """Published showcases for funded grants until `size` are public, written in bulk."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction
    from django.utils.text import slugify

    from demo.showcase import OUTCOMES, demo_photo, format_of
    from public.models import (
        OUTCOME_STATES,
        PhotoStatus,
        ProjectShowcase,
        ShowcasePhoto,
        ShowcaseStatus,
    )
    from workflows import clock

    missing = size - published_count()
    if missing <= 0:
        return
    started = time.perf_counter()
    photo_name = default_storage.save("showcase/bench/photo.jpg", ContentFile(demo_photo(1)))
    grants = (
        funded_grants()
        .filter(showcase__isnull=True)
        .order_by("pk")
        .values_list(
            "pk",
            "status",
            "application__title",
            "application__summary",
            "application__places",
            "application__created_by_id",
        )[:missing]
    )
    now = clock.now()
    made = 0
    with transaction.atomic():
        rows = list(grants)
        for start in range(0, len(rows), BATCH):
            showcases = []
            for number, (pk, status, title, summary, places, by) in enumerate(
                rows[start : start + BATCH], start=start
            ):
                # The newest first on the list: spread over the last two years.
                published = now - timedelta(minutes=53 * (len(rows) - number))
                showcases.append(
                    ProjectShowcase(
                        grant_id=pk,
                        slug=f"{slugify(title)[:70].strip('-') or 'project'}-{pk}",
                        status=ShowcaseStatus.PUBLISHED,
                        title=title,
                        summary=summary,
                        places=places,
                        project_format=format_of(title),
                        outcome=OUTCOMES[number % len(OUTCOMES)]
                        if status in OUTCOME_STATES
                        else "",
                        consented_at=published - timedelta(days=3),
                        consented_by_id=by,
                        first_published_at=published,
                        published_at=published,
                    )
                )
            ProjectShowcase.objects.bulk_create(showcases)
            copy_public_fields_in_bulk([showcase.pk for showcase in showcases])
            ShowcasePhoto.objects.bulk_create(
                ShowcasePhoto(
                    showcase_id=showcase.pk,
                    image=photo_name,
                    width=640,
                    height=420,
                    caption="Gemeinsames Fest / Fête commune",
                    alt_text="Teilnehmende beider Städte vor dem Rathaus",
                    rights_confirmed_at=showcase.consented_at,
                    status=PhotoStatus.APPROVED,
                    uploaded_by_id=showcase.consented_by_id,
                    uploaded_at=showcase.consented_at,
                )
                for showcase in showcases[::2]
            )
            made += len(showcases)
    print(f"published       {made} showcases in bulk in {time.perf_counter() - started:.1f} s")
    if published_count() < size:
        print(f"only {published_count()} published projects (asked for {size})")


def copy_public_fields_in_bulk(pks: list[int]) -> None:
    """The copies the list reads (organisation, programme, year, themes, search text), as the
    services write them at publication."""
    from public.models import ProjectShowcase
    from public.services import COPIED_FIELDS, copy_public_fields

    showcases = list(
        ProjectShowcase.objects.filter(pk__in=pks).select_related(
            "grant__application__organisation"
        )
    )
    for showcase in showcases:
        copy_public_fields(showcase)
    ProjectShowcase.objects.bulk_update(showcases, COPIED_FIELDS)


# --- measuring -----------------------------------------------------------------------------------


def captured(client: Any, url: str) -> tuple[list[tuple[str, Any]], list[tuple[str, Any]]]:
    """All queries of a request and its GROUP BY queries, with their parameters."""
    from django.db import connection

    from workflows.visitor_cache import invalidate_public_pages

    seen: list[tuple[str, Any]] = []

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append((sql, params))
        return execute(sql, params, many, context)

    invalidate_public_pages()
    with connection.execute_wrapper(spy):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return seen, [(sql, params) for sql, params in seen if "GROUP BY" in sql]


def explain(sql: str, params: Any) -> list[str]:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return [" ".join(str(part) for part in row) for row in cursor.fetchall()]


def sample_filters() -> tuple[str, str, str, str]:
    """A country, a theme and a search word that find projects, and a project's address."""
    from django.db.models import Count

    from applications.models import ApplicationTheme
    from public.selectors import public_showcases

    shown = public_showcases()
    theme = (
        ApplicationTheme.objects.filter(
            application__grant__showcase__in=shown.filter(
                grant__application__organisation__country="DE"
            )
        )
        .values("theme")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("theme", flat=True)[:1]
    )
    middle = shown.order_by("-published_at", "-id")[shown.count() // 2]
    return "DE", theme[0], "Jugend", middle.slug


def measure(args: argparse.Namespace) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils.http import urlencode

    from applications.models import Application
    from tests.benchmarks.bench_figures import raw
    from workflows.visitor_cache import invalidate_public_pages

    # No setup_test_environment(): it wraps every template render in a signal whose receiver
    # copies the context, which a server does not do (about 190 renders a list page: one per
    # <option> of the filters).
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"

    country, theme, word, slug = sample_filters()
    listed = "/projects/"
    filtered = "/projects/?" + urlencode({"country": country, "theme": theme, "q": word})
    deep = "/projects/?page=400"
    page = f"/projects/{slug}/"

    def get(url: str) -> Callable[[], bytes]:
        def call() -> bytes:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response.content

        return call

    cases: list[Case] = []
    plans: dict[str, list[tuple[str, Any]]] = {}
    for label, url in (
        ("list", listed),
        ("list filtered + search", filtered),
        ("list page 400 (info)", deep),
        ("project page", page),
    ):
        every, _grouped = captured(client, url)
        plans[label] = every
        for cached in (False, True):
            if label.endswith("(info)") and cached:
                continue
            name = f"{label}, {'cached' if cached else 'uncached'}"
            cases.append(Case(name, url, cached, get(url), queries=len(every)))
    for label, url in (("map", "/projects/map/"), ("figures", "/figures/")):
        every, grouped = captured(client, url)
        floor = f"{label}: raw GROUP BY ({len(grouped)} queries)"
        cases.append(Case(floor, url, None, raw(grouped)))
        cases.append(Case(f"{label}: the page", url, None, get(url), floor, len(every)))  # fmt: skip
        plans[label] = grouped

    funded = funded_grants().count()
    print(f"database        {connection.vendor}: {connection.settings_dict['NAME']}")
    print(f"versions        Python {platform.python_version()}, Django {__import__('django').get_version()}")  # fmt: skip
    print(f"data            {Application.objects.count()} applications, {funded} funded grants, {published_count()} published projects")  # fmt: skip
    print(f"addresses       {filtered}  {page}")
    print(f"machine         {os.cpu_count()} CPUs, load average {_load()} before measuring")
    for label in ("list", "list filtered + search", "project page"):
        print(f"queries of the {label}:")
        for sql, params in plans[label]:
            print(f"    {sql[:150]}")
            if args.explain:
                for line in explain(sql, params):
                    print(f"        {line}")

    for round_ in range(args.warmup + args.runs):
        for case in cases:
            assert case.call is not None
            if case.cached is False:
                invalidate_public_pages()
            elif case.cached:
                case.call()  # the first visitor's request fills the cache (untimed)
            started = time.perf_counter()
            case.call()
            elapsed = (time.perf_counter() - started) * 1000
            if round_ >= args.warmup:
                case.times.append(elapsed)

    by_label = {case.label: case for case in cases}
    print(f"\n{'case':<38} {'queries':>7} {'median ms':>10} {'p90 ms':>8}  goal")
    for case in cases:
        if case.floor:
            ratio = case.median / by_label[case.floor].median
            goal = f"{ratio:.2f}x floor, <= {MAX_RATIO}x: {_verdict(ratio <= MAX_RATIO)}"
        elif case.cached is None or "(info)" in case.label:
            goal = ""
        else:
            limit = MAX_CACHED_MS if case.cached else MAX_UNCACHED_MS
            within = case.median <= limit and (case.cached or (case.queries or 0) <= MAX_QUERIES)
            goal = f"<= {limit:g} ms" + ("" if case.cached else f", <= {MAX_QUERIES} queries")
            goal += f": {_verdict(within)}"
        queries = "" if case.queries is None or case.cached else str(case.queries)
        print(f"{case.label:<38} {queries:>7} {case.median:>10.2f} {case.p90:>8.2f}  {goal}")
    print(f"\nmachine         load average {_load()} after measuring")


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()

"""The committee's ranking of one call with many applications. Prints figures only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_ranking \\
        .venv/bin/python tests/benchmarks/bench_ranking.py --size 2000 [--runs 20] [--exports]

Seeds `--size` reviewed applications (two reviews each) into one call of a programme with a
minimum score: ten are assessed through the real services (`demo.drive` and the assessment
service), the rest are copies of them (`demo.copies`, as `seed_demo` makes its large databases),
with scores spread over 60-100 and this year's budget sized so that the budget line falls
about a sixth of the way down. Without a PostgreSQL DATABASE_URL, a temporary SQLite file.

Measures `reviews.ranking.ranking_of` (the call as the page reads it, the roles of a fresh
user, the applications, the reviews, the budget): queries and median time; the ranking page
through Django's test client (median, p90, queries); with `--exports`, one XLSX and one PDF.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--exports", action="store_true", help="also time one XLSX and one PDF")
    args = parser.parse_args()
    size = max(args.size, TEMPLATES)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="bench-ranking-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import F, Value
    from django.db.models.functions import Mod
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from applications.models import Application
    from demo import builders as demo
    from demo import copies
    from demo.reviews import ensure_reviewer_profiles
    from grants.models import Call
    from reviews import ranking, ranking_exports
    from tests.reviews.ranking_support import assessed, call_programme, leave_in_budget

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    cast = demo.create_cast(demo.setup_fund())
    ensure_reviewer_profiles(cast)
    title = f"Bench call {size}"
    call = Call.objects.filter(title=title).first()
    if call is None:
        started = time.perf_counter()
        programme, call = call_programme(cast)
        Call.objects.filter(pk=call.pk).update(title=title)
        templates = [
            assessed(cast, call, (6 + i % 5, 5 + i % 6), days_ago=40 + i) for i in range(TEMPLATES)
        ]
        loaded = copies.load_templates([a.pk for a in templates])
        jobs = [
            (
                loaded[templates[n % TEMPLATES].pk],
                copies.Applicant(cast.organisation, cast.applicant, f"Leuchtturm {n}"),
            )
            for n in range(size - TEMPLATES)
        ]
        for start in range(0, len(jobs), 500):
            copies.copy_histories(jobs[start : start + 500])
        # Scores spread over 60..100, some equal (the project start decides those).
        Application.objects.filter(call=call).update(
            score=Value(Decimal("60")) + Mod(F("id") * 37, 41)
        )
        waiting = Application.objects.filter(call=call, status="reviewed").count()
        leave_in_budget(programme, Decimal("4000.00") * (waiting // 6))
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    waiting = Application.objects.filter(call=call, status="reviewed").count()
    print(f"database          {connection.vendor}, {waiting} reviewed applications in one call")

    manager_pk = cast.manager.pk

    def fresh_manager():  # type: ignore[no-untyped-def]
        return get_user_model().objects.get(pk=manager_pk)

    def one_ranking(manager=None):  # type: ignore[no-untyped-def]
        manager = manager or fresh_manager()
        found_call = ranking.call_for_ranking(call.pk, manager)
        return ranking.ranking_of(found_call, manager)  # type: ignore[arg-type]

    found = one_ranking()
    print(
        f"lines             minimum after row {found.minimum_line}, budget after row "
        f"{found.budget_line} of {len(found.rows)}"
    )
    manager = fresh_manager()
    with CaptureQueriesContext(connection) as queries:
        one_ranking(manager)
    times = []
    for _ in range(args.runs):
        begin = time.perf_counter()
        one_ranking()
        times.append((time.perf_counter() - begin) * 1000)
    print(f"ranking_of        median {statistics.median(times):.1f} ms (with a fresh user), {len(queries)} queries")  # fmt: skip

    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(fresh_manager())
    url = reverse("reviews:ranking", args=[call.pk])
    assert client.get(url).status_code == 200
    times = []
    for _ in range(max(3, args.runs // 2)):
        begin = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - begin) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0]
    print(
        f"ranking page      median {statistics.median(times):.1f} ms, p90 {p90:.1f} ms, "
        f"{len(queries)} queries (with session and user)"
    )
    if args.exports:
        begin = time.perf_counter()
        ranking_exports.xlsx(one_ranking()).close()
        print(f"xlsx              {(time.perf_counter() - begin) * 1000:.0f} ms")
        begin = time.perf_counter()
        pdf = ranking_exports.pdf(one_ranking())
        print(f"pdf               {(time.perf_counter() - begin) * 1000:.0f} ms, {len(pdf) // 1024} KB")  # fmt: skip


if __name__ == "__main__":
    main()

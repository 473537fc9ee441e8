"""A calendar feed fetched by a calendar app: queries and server time of the applicant's feed
(deadlines of its organisation) and of a manager's (calls and every claim they see). Prints
figures only; asserts nothing.

    .venv/bin/python tests/benchmarks/bench_calendars.py --size 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_cal .venv/bin/python \\
        tests/benchmarks/bench_calendars.py --size 200

On SQLite it uses a temporary database; with DATABASE_URL=postgres://... it creates (and drops)
that database. It replays `--size` histories of the demo organisation through the services, a
quarter each sent back for changes, offered, with the final report due and running with an
interim report owed, and claims `--size` / 4 formal checks for two reviewers; then it fetches
each feed `--rounds` times through the test client (URL routing, the token check, the rules'
visible_to, the iCalendar document) and prints the median and the queries of one fetch.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    os.environ["TASKS_BACKEND"] = "dummy"
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-cal-')) / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    if connection.vendor == "postgresql":
        from tests.benchmarks.bench_workflow import _recreate_postgres_database

        _recreate_postgres_database(connection)
    call_command("migrate", verbosity=0)

    from decimal import Decimal

    from django.utils import translation

    from calendars.ical import calendar_bytes
    from calendars.selectors import events_for
    from calendars.services import issue_feed
    from demo import builders as demo
    from demo.reviews import ReviewSteps
    from reviews import services as review_services
    from reviews.models import ReviewTask, TaskKind, TaskStatus
    from workflows import clock, effects

    fund = demo.setup_fund(budget=Decimal("100000000"))
    cast = demo.create_cast(fund)
    steps = ReviewSteps(cast)
    started = time.perf_counter()
    states = [
        ("changes_requested", None, Decimal("4000.00")),
        ("approved", "offered", Decimal("4000.00")),
        ("approved", "report_due", Decimal("4000.00")),
        ("approved", "accepted", Decimal("12000.00")),
    ]
    with effects.suspended():
        for n in range(args.size):
            state, grant_state, amount = states[n % len(states)]
            demo.drive(cast, state, grant_state, requested=amount, steps=steps)
        for _ in range(args.size // 4):
            demo.drive(cast, "submitted", steps=steps)
    open_checks = ReviewTask.objects.filter(kind=TaskKind.FORMAL_CHECK, status=TaskStatus.OPEN)
    for n, task in enumerate(open_checks.order_by("pk")):
        review_services.claim(task, by=cast.reviewer if n % 2 else cast.reviewer2)
    print(
        f"prepared {args.size} histories in {time.perf_counter() - started:.1f} s ({connection.vendor})"
    )

    client = Client()
    for who, user in (
        ("applicant", cast.applicant),
        ("manager", cast.manager),
        ("reviewer", cast.reviewer),
    ):
        _feed, raw = issue_feed(user, language="de")
        path = reverse("calendars:feed", args=[raw])
        client.get(path)  # warm up, stamps the fetch
        timings = []
        for _ in range(args.rounds):
            begin = time.perf_counter()
            answer = client.get(path)
            timings.append((time.perf_counter() - begin) * 1000)
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(path)
        events = answer.content.count(b"BEGIN:VEVENT")
        with translation.override("de"):
            begin = time.perf_counter()
            for _ in range(args.rounds):
                found = events_for(user)
            select_ms = (time.perf_counter() - begin) * 1000 / args.rounds
            begin = time.perf_counter()
            for _ in range(args.rounds):
                calendar_bytes(found, name="x", absolute=lambda p: "http://x" + p, now=clock.now())
            write_ms = (time.perf_counter() - begin) * 1000 / args.rounds
        print(
            f"{who:10} {events:5d} events  {len(queries):2d} queries  "
            f"median {statistics.median(timings):6.1f} ms  "
            f"per event {statistics.median(timings) / max(events, 1):.2f} ms  "
            f"{len(answer.content) / 1024:.0f} KiB  "
            f"(selecting {select_ms:.1f} ms, writing the iCalendar {write_ms:.1f} ms)"
        )


if __name__ == "__main__":
    main()

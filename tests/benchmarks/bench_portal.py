"""Server time of the applicant's busiest pages on a large database. Prints figures only.

    .venv/bin/python tests/benchmarks/bench_portal.py --size 100000 [--runs 50] [--keep PATH]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_portal \\
        .venv/bin/python tests/benchmarks/bench_portal.py --size 100000

Fills a fresh database with `seed_demo --size N` (SQLite in a temporary file unless DATABASE_URL
names PostgreSQL, whose database is dropped and created), then times, in this process through
Django's test client (the whole request: middleware, view, queries, template):
  - the start page of the demo applicant, whose organisation holds the most applications,
  - the page of one of its closed applications (timeline, grant, payments),
  - an autosave of the project section of a draft (htmx POST: validation, save, rule check).
It prints the median, 90th percentile and the number of queries of each. `--keep PATH` keeps a
SQLite database (or reuses it when it exists), so that repeated runs skip the seeding.
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
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to keep or reuse")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    reuse = False
    if not url.startswith("postgres"):
        path = args.keep or Path(tempfile.mkdtemp(prefix="bench-portal-")) / "bench.sqlite3"
        reuse = path.exists()
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        recreate_postgres_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from applications.models import Application
    from demo import builders as demo
    from organisations.models import Organisation

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if not reuse:
        started = time.perf_counter()
        call_command("seed_demo", size=args.size, seed=3, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))  # noqa: SIM115  # fmt: skip
        print(f"seeded {args.size} applications in {time.perf_counter() - started:.0f} s")
    cast = demo.create_cast()
    organisation = Organisation.objects.get(memberships__user=cast.applicant)
    own = Application.objects.filter(organisation=organisation)
    closed = own.filter(status="approved", grant__status="closed").order_by("-id").first()
    draft = own.filter(status="draft").order_by("-id").first()
    assert closed is not None and draft is not None
    print(f"database        {connection.vendor}, {Application.objects.count()} applications, {own.count()} of the measured organisation")  # fmt: skip

    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(cast.applicant)
    autosave = reverse("applications:draft_autosave", args=[draft.pk, "project"])
    project = {
        "title": draft.title,
        "summary": "Eine Woche Austausch.",
        "description": "Workshops und ein Fest.",
        "themes": ["europe", "culture"],
        "project_format": "Begegnung",
    }
    cases = [
        ("start page", lambda: client.get(reverse("applications:home"))),
        ("application page", lambda: client.get(reverse("applications:detail", args=[closed.pk]))),
        ("draft autosave", lambda: client.post(autosave, project, HTTP_HX_REQUEST="true")),
    ]
    print(f"{'page':18s} {'median ms':>10s} {'p90 ms':>8s} {'queries':>8s}")
    for name, call in cases:
        for _ in range(3):  # warm the caches
            assert call().status_code == 200
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = call()
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, name
        with CaptureQueriesContext(connection) as queries:
            call()
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:18s} {statistics.median(times):10.1f} {p90:8.1f} {len(queries):8d}")


def recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

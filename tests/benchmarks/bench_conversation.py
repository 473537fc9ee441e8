"""Server time of an application's page with a long conversation. Prints figures only.

    .venv/bin/python tests/benchmarks/bench_conversation.py [--size 60] [--messages 200] [--runs 50]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_conversation \\
        .venv/bin/python tests/benchmarks/bench_conversation.py

Fills a fresh database with `seed_demo --size N` (SQLite in a temporary file unless DATABASE_URL
names PostgreSQL, whose database is dropped and created), writes a conversation of `--messages`
messages on one submitted application of the demo applicant through the conversation's service
(both sides in turn, every tenth an internal note, every seventh with a PDF), then times, in
this process through Django's test client (the whole request: middleware, view, queries,
template), the application's page as the applicant, the reviewer and the programme manager,
the grant page of an accepted grant with the same conversation length, and the start page with
the header's unread count. It prints the median and the 90th percentile of the wall time, the
median CPU time of the process (robust to other work on the machine) and the number of queries
of each. Goal (issue 16): the application page with 200 messages in at most 15 queries and a
median of at most 40 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60, help="demo applications to seed")
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        recreate_postgres_database(url)
    else:
        path = Path(tempfile.mkdtemp(prefix="bench-conversation-")) / "bench.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-conversation-media-")
    os.environ["DJANGO_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from applications.models import Application
    from demo import builders as demo

    # No setup_test_environment(): it has every template rendering copy its context for the
    # test client, which a page of 200 included messages pays 200 times and a server never does.
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("seed_demo", size=args.size, seed=3, stdout=quiet, stderr=quiet)
    print(f"seeded {args.size} applications in {time.perf_counter() - started:.0f} s")
    cast = demo.create_cast()
    submitted = demo.drive(cast, "submitted", title="Begegnungswoche mit langer Korrespondenz")
    accepted = demo.drive(cast, "approved", "accepted", title="Bewilligtes Projekt mit Gespräch")
    started = time.perf_counter()
    for application in (submitted, accepted):
        write_conversation(application, cast, args.messages)
    print(
        f"wrote 2 x {args.messages} messages through the service in "
        f"{time.perf_counter() - started:.1f} s; database {connection.vendor}, "
        f"{Application.objects.count()} applications"
    )

    def client_of(user: Any) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="de")
        client.force_login(user)
        return client

    applicant, reviewer, manager = (client_of(u) for u in (cast.applicant, cast.reviewer, cast.manager))  # fmt: skip
    page = reverse("applications:detail", args=[submitted.pk])
    cases = [
        ("application, applicant", lambda: applicant.get(page)),
        ("application, reviewer", lambda: reviewer.get(page)),
        ("application, manager", lambda: manager.get(page)),
        (
            "grant page, applicant",
            lambda: applicant.get(reverse("applications:grant", args=[accepted.pk])),
        ),
        ("start page, applicant", lambda: applicant.get(reverse("applications:home"))),
    ]
    # Wall time, and the CPU time of this process: on a machine shared with other work the
    # wall time waits for the processor, the CPU time does not.
    print(f"{'page':24s} {'median ms':>10s} {'p90 ms':>8s} {'CPU median':>11s} {'queries':>8s}")
    for name, call in cases:
        for _ in range(3):  # warm the caches
            assert call().status_code == 200, name
        times, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = call()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, name
        with CaptureQueriesContext(connection) as queries:
            call()
        p90 = statistics.quantiles(times, n=10)[-1]
        print(
            f"{name:24s} {statistics.median(times):10.1f} {p90:8.1f} "
            f"{statistics.median(cpu):11.1f} {len(queries):8d}"
        )


def write_conversation(application: Any, cast: Any, count: int) -> None:
    from conversations import services
    from demo.conversations import demo_pdf
    from workflows import effects

    with effects.suspended():  # no e-mails: the page is measured, not the outbox
        for number in range(count):
            applicant_turn = number % 2 == 1
            services.write_message(
                application,
                by=cast.applicant if applicant_turn else cast.reviewer,
                body=f"Nachricht {number}: " + "Wir planen die Begegnung der beiden Vereine. " * 4,
                internal=not applicant_turn and number % 10 == 0,
                uploads=[demo_pdf(f"Anhang-{number}.pdf")] if number % 7 == 0 else [],
            )


def recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

"""Throughput of the single door and of the audit check. Prints figures only; asserts nothing.

    .venv/bin/python tests/benchmarks/bench_workflow.py --size 1000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench .venv/bin/python \
        tests/benchmarks/bench_workflow.py --size 1000

On SQLite it uses a temporary database; with DATABASE_URL=postgres://... it creates (and drops)
that database. It measures, for `--size` applications: submissions (rules, reference, snapshot,
log row, and the side-effect rows written with the change) per second, plain transitions through
`workflows.perform()` per second (pass_formal_check), then `verify_chain()` rows per second over
the whole log. The side effects themselves (the summary PDF, the e-mails, the review tasks) are
work for the task workers: tasks are queued, not run (TASKS_BACKEND=dummy), and the last figure
is how many side effects per second one process runs (`--effects N` of them; 0 skips it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--effects", type=int, default=200, help="side effects to run at the end")
    args = parser.parse_args()
    # The changes are measured, not their side effects (a worker's job, measured apart below).
    os.environ["TASKS_BACKEND"] = "dummy"
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-workflow-')) / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if connection.vendor == "postgresql":
        _recreate_postgres_database(connection)
    call_command("migrate", verbosity=0)

    from applications import services
    from applications.formal_check import CHECKLIST_CODES
    from demo import builders as demo
    from workflows.audit import verify_chain

    fund = demo.setup_fund()
    cast = demo.create_cast(fund)
    with transaction.atomic():
        drafts = [
            demo.make_ready_draft(cast.organisation, fund=fund, by=cast.applicant)
            for _ in range(args.size)
        ]

    started = time.perf_counter()
    for draft in drafts:
        services.submit_application(draft, by=cast.applicant)
    submit_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for draft in drafts:
        services.pass_formal_check(draft, by=cast.reviewer, checklist=CHECKLIST_CODES)
    perform_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = verify_chain()
    verify_seconds = time.perf_counter() - started

    from workflows import effects
    from workflows.models import SideEffect

    rows = SideEffect.objects.count()
    sample = list(SideEffect.objects.order_by("pk").values_list("pk", flat=True)[: args.effects])
    started = time.perf_counter()
    outcomes = [effects.run(pk, force=True) for pk in sample]
    effects_seconds = time.perf_counter() - started

    print(f"database: {connection.vendor}, applications: {args.size}")
    print(f"submit (one transaction each):      {args.size / submit_seconds:8.1f} /s")
    print(f"pass_formal_check through perform(): {args.size / perform_seconds:8.1f} /s")
    print(
        f"verify_chain: {report.checked} rows in {verify_seconds:.2f} s "
        f"= {report.checked / verify_seconds:,.0f} rows/s (intact: {report.ok})"
    )
    print(f"side-effect rows written with the changes: {rows}")
    if sample:
        done = outcomes.count("done")
        print(
            f"side effects run in this process (PDFs, mails, tasks): {len(sample)} in "
            f"{effects_seconds:.2f} s = {len(sample) / effects_seconds:8.1f} /s ({done} done)"
        )


def _recreate_postgres_database(connection: object) -> None:
    """Start from an empty database named in DATABASE_URL (never the default `postgres`)."""
    import psycopg
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    if name in {"postgres", "template0", "template1"}:
        raise SystemExit("Name a scratch database in DATABASE_URL, e.g. .../mg_bench")
    params = settings.DATABASES["default"]
    with psycopg.connect(
        host=params["HOST"], port=params["PORT"] or 5432, user=params["USER"], dbname="postgres",
        password=params["PASSWORD"] or None, autocommit=True,
    ) as admin:  # fmt: skip
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

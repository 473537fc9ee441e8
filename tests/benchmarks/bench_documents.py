"""The fund's documents: what issuing a letter costs, and how letters drain through workers.

    .venv/bin/python tests/benchmarks/bench_documents.py [--size 500] [--runs 15] [--max-tasks N]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_documents \\
        .venv/bin/python tests/benchmarks/bench_documents.py

(a) One approval letter (letter and grant agreement, both languages): the median time of
    `issue_document` (context queries, template, PDF, storage, SHA-256, row) against WeasyPrint
    alone turning the same final HTML into a PDF (`HTML(string=...).write_pdf()`), the floor.
    Goal: at most 1.2 x the floor. Prints whether libharfbuzz-subset is present (WeasyPrint
    subsets fonts with it; without it, fontTools does the work, much slower).
(b) --size approval letters through the database task backend (django_tasks_db): the tasks are
    enqueued, then `manage.py db_worker --batch` drains them with one worker process, and again
    (after the documents are deleted) with two worker processes side by side. Prints the wall
    time of each, the speed-up (goal: at least 1.7 x) and each worker's peak RSS, read from
    /proc/<pid>/status (VmHWM) while it runs (goal: at most 300 MB). `--max-tasks N` recycles a
    worker after N tasks (a new process takes over), should memory grow.

Everything happens in a temporary folder (SQLite database in WAL mode, media files) unless
DATABASE_URL names PostgreSQL, whose database is dropped and created. Prints figures only.
"""

from __future__ import annotations

import argparse
import ctypes.util
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500, help="letters for the worker run")
    parser.add_argument("--runs", type=int, default=15, help="renders per median in (a)")
    parser.add_argument("--max-tasks", type=int, default=0, help="recycle workers after N tasks")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        recreate_postgres_database(url)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "TASKS_BACKEND": "database",
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "AXES_ENABLED": "0",
            "DJANGO_LOG_LEVEL": "WARNING",  # WeasyPrint reports each step at INFO
        }
    )
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    print(f"database          {connection.vendor}; files in {folder}")
    harfbuzz = ctypes.util.find_library("harfbuzz-subset")
    print(f"libharfbuzz-subset {'present (' + harfbuzz + ')' if harfbuzz else 'MISSING'}")
    template = approved_application()
    single_letter(template, runs=args.runs)
    if args.size > 0:  # --size 0: only (a), e.g. to compare with and without libharfbuzz-subset
        workers(template, size=args.size, max_tasks=args.max_tasks)


def approved_application() -> Any:
    """One approved application with its grant, replayed through the services, no side effects."""
    from demo import builders as demo
    from workflows import effects

    cast = demo.create_cast(demo.setup_fund())
    with effects.suspended():
        return demo.drive(cast, "approved")


def approve_log(application: Any) -> Any:
    from workflows.models import TransitionLog

    return TransitionLog.objects.for_object(application).get(transition="approve")


def single_letter(application: Any, *, runs: int) -> None:
    from weasyprint import HTML

    from applications.documents import (
        context_for,
        issue_document,
        render_html,
        static_base_url,
    )
    from applications.models import DocumentKind
    from grants.models import Grant

    log = approve_log(application)
    grant = Grant.objects.get(application=application)
    kind = DocumentKind.APPROVAL
    document = issue_document(application, kind=kind, log=log, grant=grant)  # warm caches
    html = render_html(kind, context_for(application, kind=kind, log=log, grant=grant))
    base_url = static_base_url()
    HTML(string=html, base_url=base_url).write_pdf()

    ours, floor = [], []
    for _ in range(runs):
        # Alternate, so that a slow moment of the machine hurts both alike.
        started = time.perf_counter()
        issue_document(application, kind=kind, log=log, grant=grant, replace=True)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        HTML(string=html, base_url=base_url).write_pdf()
        floor.append(time.perf_counter() - started)
    document.refresh_from_db()
    median_ours, median_floor = statistics.median(ours) * 1000, statistics.median(floor) * 1000
    print(f"(a) approval letter, {document.size // 1024} KiB, median of {runs}:")
    print(f"    issue_document        {median_ours:7.1f} ms")
    print(f"    WeasyPrint alone      {median_floor:7.1f} ms  (floor)")
    print(f"    ratio                 {median_ours / median_floor:7.2f} x  (goal <= 1.2)")


def workers(template: Any, *, size: int, max_tasks: int) -> None:
    from django.conf import settings
    from django_tasks_db.models import DBTaskResult

    from applications.models import Application, Document
    from applications.tasks import issue_document_task
    from demo import copies as demo_copies
    from grants.models import Grant

    Document.objects.all().delete()
    started = time.perf_counter()
    loaded = demo_copies.load_templates([template.pk])[template.pk]
    organisation, user = template.organisation, template.created_by
    jobs = [
        (loaded, demo_copies.Applicant(organisation, user, f"Begegnung Nr. {n}"))
        for n in range(size)
    ]
    ids = demo_copies.copy_histories(jobs)
    print(f"(b) {size} approved applications copied in {time.perf_counter() - started:.1f} s")
    grants = dict(Grant.objects.filter(application_id__in=ids).values_list("application_id", "pk"))
    causes = [
        (application.pk, approve_log(application).pk, grants[application.pk])
        for application in Application.objects.filter(pk__in=ids)
    ]

    def enqueue_all() -> None:
        DBTaskResult.objects.all().delete()
        for application_id, log_id, grant_id in causes:
            issue_document_task.enqueue(application_id, "approval", log_id, grant_id, None)

    results = {}
    for count in (1, 2):
        Document.objects.all().delete()
        enqueue_all()
        seconds, peaks = drain(count, max_tasks=max_tasks)
        made = Document.objects.filter(application_id__in=ids).count()
        failed = DBTaskResult.objects.filter(status="FAILED").count()
        results[count] = seconds
        peak_text = ", ".join(f"{mb:.0f}" for mb in peaks)
        print(
            f"    {count} worker(s): {seconds:6.1f} s, {size / seconds:5.1f} letters/s, "
            f"{made} documents, {failed} failed, peak RSS per worker process MB: {peak_text}"
        )
    print(f"    speed-up with 2 workers: {results[1] / results[2]:.2f} x  (goal >= 1.7)")
    print(f"    (media: {settings.MEDIA_ROOT})")


def drain(count: int, *, max_tasks: int) -> tuple[float, list[float]]:
    """Run `count` worker slots until the queue is empty; a slot whose worker stopped after
    --max-tasks starts a new one. Returns the wall time and every process's peak RSS (MB)."""
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "db_worker",
        "--batch",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.05",
        "--verbosity",
        "0",
    ]
    if max_tasks:
        command += ["--max-tasks", str(max_tasks)]
    peaks: list[float] = []
    lock = threading.Lock()

    def slot() -> None:
        while True:
            process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
            peak = 0.0
            while process.poll() is None:
                peak = max(peak, peak_rss_mb(process.pid))
                time.sleep(0.05)
            with lock:
                peaks.append(peak)
            if process.returncode != 0:
                raise SystemExit(f"db_worker exited with {process.returncode}")
            if not max_tasks or not queue_has_work():
                return

    started = time.perf_counter()
    threads = [threading.Thread(target=slot) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, peaks


def queue_has_work() -> bool:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    exists = DBTaskResult.objects.filter(status="READY").exists()
    connection.close()  # the next look comes from another thread
    return exists


def peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

"""Claims under load and the staff pages on a large database. Prints figures only.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_portal \\
        .venv/bin/python tests/benchmarks/bench_reviews.py --size 100000 [--workers 8] [--claims 2000]

Uses the database in DATABASE_URL as it is when it already holds `--size` applications (e.g. the
one bench_portal.py filled), else fills it with `seed_demo`; then `sync_review_tasks` makes sure
every waiting application has its tasks. Measures:
  - claim-next: `--workers` processes, each with its own connection and reviewer, claim formal
    checks and assessments until `--claims` are taken; throughput, p50/p95 latency, duplicates
    (must be 0). The claimed tasks are given back to the queue afterwards.
  - the queue page (formal checks, as a manager) and the decision page of a reviewed
    application: median server time through Django's test client, and query counts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--replay", type=int, default=1500, help="histories seed_demo replays")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        # Never the project's db.sqlite3: a temporary file (claims then run one at a time).
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="bench-reviews-"))
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
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
    from django.urls import NoReverseMatch, reverse

    from applications.models import Application
    from demo import builders as demo
    from reviews import services as review_services
    from reviews.models import ReviewerProfile, ReviewTask, TaskStatus
    from workflows import clock
    from workflows.roles import Role

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    if Application.objects.count() < args.size:
        started = time.perf_counter()
        call_command("seed_demo", size=args.size - Application.objects.count(), replay=args.replay, seed=5, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))  # noqa: SIM115  # fmt: skip
        print(f"seeded in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    call_command("sync_review_tasks", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"sync_review_tasks {time.perf_counter() - started:.1f} s")
    open_tasks = ReviewTask.objects.filter(status=TaskStatus.OPEN)
    print(f"database          {connection.vendor}, {Application.objects.count()} applications, {open_tasks.filter(kind='formal_check').count()} open formal checks, {open_tasks.filter(kind='assessment').count()} open assessments")  # fmt: skip

    reviewers = [demo.make_user(f"bench-reviewer-{i}", Role.REVIEWER) for i in range(args.workers)]  # fmt: skip
    for person in reviewers:
        ReviewerProfile.objects.update_or_create(user=person, defaults={"max_open_tasks": 30_000})
    bench_start = clock.now()
    # Workers are processes, as web workers under gunicorn are: each with its own connection.
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(args.workers)
    results = context.Queue()
    quota = args.claims // args.workers
    connection.close()
    processes = [
        context.Process(target=claim_worker, args=(person.pk, quota, barrier, results))
        for person in reviewers
    ]
    wall = time.perf_counter()
    for process in processes:
        process.start()
    claimed = [results.get(timeout=600) for _ in processes]
    wall = time.perf_counter() - wall
    for process in processes:
        process.join()
    every = [pk for mine in claimed for pk, _ in mine]
    latencies = sorted(seconds * 1000 for mine in claimed for _, seconds in mine)
    print(f"claims            {len(every)} by {args.workers} worker processes in {wall:.2f} s: {len(every) / wall:.0f} claims/s")  # fmt: skip
    print(f"claim latency     p50 {statistics.median(latencies):.1f} ms, p95 {latencies[int(len(latencies) * 0.95) - 1]:.1f} ms")  # fmt: skip
    print(f"duplicates        {len(every) - len(set(every))}")
    # Released by their reviewers through the one door, so the database's audit log stays whole.
    taken = ReviewTask.objects.filter(pk__in=every, status=TaskStatus.CLAIMED, claimed_at__gte=bench_start)  # fmt: skip
    for task in taken.select_related("assignee").order_by("pk"):
        review_services.release(task, by=task.assignee)
    print(f"given back        {len(every)}")

    manager = demo.create_cast().manager
    client = Client(HTTP_ACCEPT_LANGUAGE="de")
    client.force_login(manager)
    reviewed = Application.objects.filter(status="reviewed").order_by("-id").first()
    pages = [("queue page", reverse("reviews:queue", args=["formal_check"]))]
    if reviewed is not None:
        try:
            pages.append(("decision page", reverse("reviews:decision", args=[reviewed.pk])))
        except NoReverseMatch:
            print("decision page     not there yet")
    print(f"{'page':18s} {'median ms':>10s} {'p90 ms':>8s} {'queries':>8s}")
    for name, url in pages:
        for _ in range(3):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - begin) * 1000)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:18s} {statistics.median(times):10.1f} {p90:8.1f} {len(queries):8d}")


def claim_worker(reviewer_pk: int, quota: int, barrier: Any, results: Any) -> None:
    """One worker process: claim `quota` tasks, alternating formal checks and assessments."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from reviews import services
    from reviews.models import TaskKind

    connection.close()  # never share the parent's connection
    reviewer = get_user_model().objects.get(pk=reviewer_pk)
    kinds = [TaskKind.FORMAL_CHECK, TaskKind.ASSESSMENT]
    mine: list[tuple[int, float]] = []
    barrier.wait(timeout=120)
    for i in range(quota):
        begin = time.perf_counter()
        try:
            task = services.claim_next(reviewer, kinds[i % 2])
        except services.NothingToClaim:
            break
        mine.append((task.pk, time.perf_counter() - begin))
    connection.close()
    results.put(mine)


if __name__ == "__main__":
    main()

"""An amendment decision under the budget's lock against an approval. Prints figures only;
asserts nothing.

    .venv/bin/python tests/benchmarks/bench_amendments.py --size 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_amend .venv/bin/python \
        tests/benchmarks/bench_amendments.py --size 100

On SQLite it uses a temporary database; with DATABASE_URL=postgres://... it creates (and drops)
that database. It prepares `--size` reviewed applications and `--size` accepted grants of the same
programme, each grant with a request for a higher amount and a budget shift, all through the
services. Then, one after the other and alternating (so that both meet the same database and the
same ledger as it grows), it approves an application as the decision page does
(`reviews.decisions.decide`: who may decide, in words; then `approve_application`: the approval
through `perform()`, the grant offered, its commitment booked under the allocation's row lock)
and approves a request as its decision page does (`approve_amendment`: the grant and its payments locked, the rules of the
changed plan, the decision through `perform()`, the unsent advance superseded by one of the new
amount, the rise committed under the allocation's row lock, the application's plan rewritten).
Each is its own transaction. Side effects are queued, not run (TASKS_BACKEND=dummy), for both.
The issue's goal: an amendment decision takes at most 1.5 times an approval. For comparison, the
last line approves `--size` cuts (4,000 to 3,000 EUR: the unpaid advance superseded through
`perform()` by one of the new amount, the difference released), alternating with approvals
again.
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
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args()
    os.environ["TASKS_BACKEND"] = "dummy"
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-amend-')) / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    if connection.vendor == "postgresql":
        from tests.benchmarks.bench_workflow import _recreate_postgres_database

        _recreate_postgres_database(connection)
    call_command("migrate", verbosity=0)

    from decimal import Decimal

    from amendments import services as amendment_services
    from demo import builders as demo
    from demo.amendments import request_change
    from grants.models import Grant
    from reviews.decisions import decide

    fund = demo.setup_fund(budget=Decimal("100000000"))
    cast = demo.create_cast(fund)
    started = time.perf_counter()
    reviewed = [demo.drive(cast, "reviewed") for _ in range(args.size)]
    requests, cuts = [], []
    for _ in range(args.size):
        grant = Grant.objects.get(application=demo.drive(cast, "approved", "accepted"))
        requests.append(
            request_change(
                grant, by=cast.applicant, amount=Decimal("4400.00"), shift=Decimal("500.00")
            )
        )
        grant = Grant.objects.get(application=demo.drive(cast, "approved", "accepted"))
        cuts.append(request_change(grant, by=cast.applicant, amount=Decimal("3000.00")))
    more = [demo.drive(cast, "reviewed") for _ in range(args.size)]
    print(f"prepared 3 x {args.size} in {time.perf_counter() - started:.0f} s")

    approvals: list[float] = []
    decisions: list[float] = []
    queries = {"approval": 0, "decision": 0}
    for application, amendment in zip(reviewed, requests, strict=True):
        reset_queries()
        with CaptureQueriesContext(connection) as seen:
            started = time.perf_counter()
            decide(application, by=cast.manager, decision="approve")
            approvals.append(time.perf_counter() - started)
        queries["approval"] = len(seen)
        reset_queries()
        with CaptureQueriesContext(connection) as seen:
            started = time.perf_counter()
            amendment_services.approve_amendment(amendment, by=cast.manager)
            decisions.append(time.perf_counter() - started)
        queries["decision"] = len(seen)

    cut_approvals: list[float] = []
    cut_decisions: list[float] = []
    for application, amendment in zip(more, cuts, strict=True):
        started = time.perf_counter()
        decide(application, by=cast.manager, decision="approve")
        cut_approvals.append(time.perf_counter() - started)
        started = time.perf_counter()
        amendment_services.approve_amendment(amendment, by=cast.manager)
        cut_decisions.append(time.perf_counter() - started)

    def line(name: str, times: list[float]) -> str:
        ordered = sorted(times)
        p90 = ordered[int(len(ordered) * 0.9) - 1] if len(ordered) >= 10 else ordered[-1]
        return (
            f"{name:34} median {statistics.median(times) * 1000:7.2f} ms  "
            f"p90 {p90 * 1000:7.2f} ms  {queries[name.split()[0]]:3d} queries"
        )

    print(f"database: {connection.vendor}, each: {args.size}")
    print(line("approval (decide)", approvals))
    print(line("decision (approve_amendment, rise)", decisions))
    ratio = statistics.median(decisions) / statistics.median(approvals)
    print(f"decision / approval (medians): {ratio:.2f} (goal: at most 1.5)")
    cut = statistics.median(cut_decisions) / statistics.median(cut_approvals)
    print(
        f"decision (approve_amendment, cut)  median {statistics.median(cut_decisions) * 1000:7.2f} ms"
        f"  ({cut:.2f} x the approvals beside it)"
    )


if __name__ == "__main__":
    main()

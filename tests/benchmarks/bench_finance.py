"""Finance exports at scale: time against the raw query, and peak memory. Prints figures only.

    .venv/bin/python tests/benchmarks/bench_finance.py [--size 100000] [--payments 50000]
        [--replay 2000] [--keep PATH]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_finance \\
        .venv/bin/python tests/benchmarks/bench_finance.py --size 100000

Fills a fresh database with `seed_demo --replay K` in a child process (SQLite in a temporary or
kept file unless DATABASE_URL names PostgreSQL, whose database is dropped and created), in two
steps: until it holds half of `--size` approved applications, then `--size` (about 46 % of the
applications are approved). At each step it measures, in this process, through Django's test
client (the whole request; the body is read and thrown away chunk by chunk):
  - the approvals CSV (`finance:approvals_csv`, streamed) against the raw query: the same SQL
    through a DB-API cursor, rows fetched 2,000 at a time and dropped (goal: <= 3x);
  - the approvals XLSX (`finance:approvals_xlsx`, write-only workbook in a temporary file).
Then it turns `--payments` payments into approved ones (bulk update, benchmark only) and exports
them as finance does, in batches of 500 (create_batch's limit) through create_batch + export_batch
(SEPA XML validated against the XSD, CSV, XLSX, stored with their SHA-256), rolled back: one
batch, 5,000 payments and `--payments` payments, each against the raw query of the same rows.

For each it prints the seconds, the tracemalloc peak (Python objects; a second run, since tracing
slows the code down) and the peak RSS of the process during the run (VmHWM after resetting it)
with its growth over the RSS before. Goal: memory flat from 50k to 100k rows, <= 200 MB.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APPROVED_SHARE = 0.46
MIB = 1024 * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="approved applications")
    parser.add_argument("--payments", type=int, default=50_000, help="payments in one batch")
    parser.add_argument("--replay", type=int, default=2000, help="histories seed_demo replays")
    parser.add_argument("--keep", type=Path, default=None, help="SQLite file to keep or reuse")
    parser.add_argument(
        "--no-trace-batch",
        action="store_true",
        help="skip the tracemalloc run of the big batch (tracing multiplies its minutes)",
    )
    parser.add_argument("--skip-approvals", action="store_true", help="only the payment batches")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        path = args.keep or Path(tempfile.mkdtemp(prefix="bench-finance-")) / "bench.sqlite3"
        url = f"sqlite:///{path}"
    elif args.keep is None:
        recreate_postgres_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("AXES_ENABLED", "0")
    sys.path.insert(0, str(ROOT))
    manage(["migrate", "--noinput", "--verbosity", "0"])

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from demo import builders as demo
    from grants.finance import exports
    from grants.models import Grant

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.DEBUG = False
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-finance-media-")

    print(f"database        {connection.vendor}: {url}")
    print(f"{'case':34s} {'rows':>8s} {'s':>7s} {'x raw':>6s} {'MiB':>6s} {'traced':>7s} {'RSS peak':>9s} {'growth':>7s}")  # fmt: skip
    steps = sorted({max(args.size // 2, 1), args.size})
    finance = None
    for target in steps:
        grow_to(target, replay=args.replay)
        connection.close()
        if finance is None:
            finance = demo.create_cast().finance
        if args.skip_approvals:
            continue
        client = Client()
        client.force_login(finance)
        rows = Grant.objects.count()
        raw_seconds, _raw_rss = run_raw(exports.approval_rows(exports.ApprovalFilters(), finance))
        report("approvals: raw query", rows, raw_seconds, None, None, _raw_rss)
        for name, label in (("approvals_csv", "approvals CSV (streamed)"), ("approvals_xlsx", "approvals XLSX (write-only)")):  # fmt: skip
            url_name = reverse(f"finance:{name}")

            def download(url_name: str = url_name, client: Any = client) -> int:
                response = client.get(url_name)
                assert response.status_code == 200, response.status_code
                size = 0
                for chunk in response.streaming_content:
                    size += len(chunk)
                response.close()
                return size

            seconds, rss, size = timed(download)
            traced_peak = traced(download)
            report(label, rows, seconds, raw_seconds, size, rss, traced_peak)

    export_payments(args.payments, finance, trace_big=not args.no_trace_batch)


def grow_to(approved: int, *, replay: int) -> None:
    """Run seed_demo (in a child process) until the database holds `approved` grants."""
    from grants.models import Grant

    for _round in range(4):
        have = Grant.objects.count()
        if have >= approved:
            return
        size = math.ceil((approved - have) / APPROVED_SHARE * 1.03)
        started = time.perf_counter()
        manage(["seed_demo", "--size", str(size), "--seed", str(7 + _round), "--replay", str(min(replay, size))])  # fmt: skip
        print(f"seeded {size} applications in {time.perf_counter() - started:.0f} s")


def manage(command: list[str]) -> None:
    subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *command],
        check=True,
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run_raw(queryset: Any) -> tuple[float, tuple[int, int]]:
    """The queryset's SQL through a plain cursor, fetched 2,000 rows at a time and dropped."""
    from django.db import connection

    sql, params = queryset.query.sql_with_params()

    def read() -> int:
        count = 0
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(2000):
                count += len(batch)
        return count

    seconds, rss, _count = timed(read)
    return seconds, rss


def export_payments(count: int, finance: Any, *, trace_big: bool) -> None:
    """Export `count` approved payments the way finance does: batches of BULK_LIMIT through
    create_batch + export_batch (SEPA XML validated, CSV, XLSX, stored with their SHA-256), all
    rolled back afterwards. Runs for one batch, for 5,000 and for `count` payments: time should
    grow with the payments, memory should not."""
    from django.db import connection, transaction

    from grants.finance import services as finance_services
    from grants.models import Payment, PaymentStatus
    from workflows import clock

    pks = list(Payment.objects.order_by("pk").values_list("pk", flat=True)[:count])
    if len(pks) < count:
        print(f"only {len(pks)} payments to export (asked for {count})")
    Payment.objects.filter(pk__in=pks).update(
        status=PaymentStatus.APPROVED, batch=None, approved_by=finance, approved_at=clock.now()
    )
    connection.close()
    limit = finance_services.BULK_LIMIT

    def export_all(chosen: list[int]) -> int:
        size = 0
        with transaction.atomic():
            for start in range(0, len(chosen), limit):
                part = Payment.objects.filter(pk__in=chosen[start : start + limit])
                batch = finance_services.create_batch(
                    part, by=finance, execution_date=clock.today()
                )
                batch = finance_services.export_batch(batch, by=finance)
                size += batch.sepa_file.size + batch.csv_file.size + batch.xlsx_file.size
            transaction.set_rollback(True)
        return size

    # The first `count` payments by pk: a range, not an IN list of 50,000 parameters.
    payments = Payment.objects.select_related("grant__application__organisation", "batch")
    for chosen in sorted({min(limit, len(pks)), min(5000, len(pks)), len(pks)}):
        raw_seconds, raw_rss = run_raw(payments.filter(pk__lte=pks[chosen - 1]))
        report("payments: raw query", chosen, raw_seconds, None, None, raw_rss)
        seconds, rss, size = timed(lambda chosen=chosen: export_all(pks[:chosen]))
        peak = None
        if trace_big or chosen <= 5000:
            peak = traced(lambda chosen=chosen: export_all(pks[:chosen]))
        label = f"batches of {limit}: XML+CSV+XLSX"
        report(label, chosen, seconds, raw_seconds, size, rss, peak)


# --- measuring -------------------------------------------------------------------------------------


def rss_now() -> int:
    return _status_field("VmRSS")


def _status_field(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    """Reset VmHWM (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def timed(call: Callable[[], Any]) -> tuple[float, tuple[int, int], Any]:
    """Seconds, (RSS before, peak RSS during) and the result of one untraced run."""
    gc.collect()
    before = rss_now()
    _reset_peak()
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    return seconds, (before, max(_status_field("VmHWM"), rss_now())), result


def traced(call: Callable[[], Any]) -> int:
    """Peak bytes of Python allocations during a second run."""
    gc.collect()
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def report(
    label: str,
    rows: int,
    seconds: float,
    raw_seconds: float | None,
    size: int | None,
    rss: tuple[int, int],
    traced_peak: int | None = None,
) -> None:
    ratio = f"{seconds / raw_seconds:6.2f}" if raw_seconds else f"{'':6s}"
    mib = f"{size / MIB:6.1f}" if size is not None else f"{'':6s}"
    peak = f"{traced_peak / MIB:7.1f}" if traced_peak is not None else f"{'':7s}"
    before, during = rss
    print(f"{label:34s} {rows:8d} {seconds:7.2f} {ratio} {mib} {peak} {during / MIB:9.1f} {(during - before) / MIB:7.1f}")  # fmt: skip


def recreate_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

"""How fast `seed_demo` fills a fresh SQLite database. Prints figures only; asserts nothing.

    .venv/bin/python tests/benchmarks/bench_seed.py --size 5000 [--seed 1] [--replay K] [--keep]
        [--profile 30]

Creates a temporary SQLite database (settings as in production: WAL, IMMEDIATE transactions),
migrates it, runs `seed_demo --size N` in this process and prints applications/s, transitions
(audit log rows)/s, ledger entries, the total and CPU seconds, peak memory and the database size.
Beyond `--replay` (seed_demo's default unless given) the applications are copies of replayed ones.
`--profile K` runs under cProfile and prints the K most expensive product functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--replay", type=int, default=None, help="histories to replay")
    parser.add_argument("--keep", action="store_true", help="keep the database and print its path")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="print K hot spots")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-seed-"))
    database = folder / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from applications.models import Application
    from grants.models import Grant, LedgerEntry
    from workflows.models import TransitionLog

    try:
        call_command("migrate", verbosity=0)
        profiler = cProfile.Profile() if args.profile else None
        out = io.StringIO()
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler:
            profiler.enable()
        replay = {"replay": args.replay} if args.replay else {}
        call_command("seed_demo", size=args.size, seed=args.seed, stdout=out, **replay)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu

        applications = Application.objects.count()
        transitions = TransitionLog.objects.count()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(f.stat().st_size for f in folder.iterdir() if f.name.startswith(database.name))
        print(f"database        {database if args.keep else 'temporary SQLite file'}")
        print(f"applications    {applications}")
        print(f"grants          {Grant.objects.count()}")
        print(f"transitions     {transitions}")
        print(f"ledger entries  {LedgerEntry.objects.count()}")
        print(f"seconds         {wall:.1f} (CPU {cpu:.1f})")
        print(
            f"peak memory     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )
        print(f"summary         {out.getvalue().splitlines()[0]}")
        print(f"applications/s  {applications / wall:.1f}")
        print(f"transitions/s   {transitions / wall:.1f}")
        print(f"database size   {size / 2**20:.1f} MiB ({size / max(applications, 1) / 1024:.1f} KiB per application)")  # fmt: skip
        if profiler:
            stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
            stats.print_stats(r"/(applications|grants|workflows|reviews)/", args.profile)
    finally:
        connection.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()

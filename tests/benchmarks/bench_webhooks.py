"""Webhook fan-out and delivery: deliveries per second, and nothing lost when a worker is killed.
Prints figures only; asserts nothing (it exits non-zero if a delivery is lost).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mg_bench_webhooks \\
        .venv/bin/python tests/benchmarks/bench_webhooks.py --events 1000 --subscribers 5

PostgreSQL only (the database task backend and its `db_worker` processes share the database):
it drops and creates the database named in DATABASE_URL. A local receiver (an HTTP server in
this process, over http to 127.0.0.1: allowed here by MICROGRANTS_WEBHOOK_ALLOW_HTTP/_PRIVATE)
answers 200 and counts each delivery id it receives.

1. `--events` applications are submitted with their side effects suspended (the submissions
   are not what is measured), and `--subscribers` subscriptions of all programmes listen.
2. Fan-out: the webhook side effect of each submission runs here (one event, a delivery per
   subscriber, a task per delivery in the database queue): events per second.
3. Delivery: `--workers` `db_worker` processes drain the queue: deliveries per second.
4. The same again with new events, and the workers killed (SIGKILL) when half of the
   deliveries are in; a new worker drains the rest, the sweeper (`run_deadlines --job webhooks`)
   sends what the killed workers held once their claim has timed out. Counted at the receiver:
   each (event, subscriber) delivered, none lost; a repeat is possible only for a delivery that
   was inside its HTTP request when the worker died (receivers drop a repeated delivery id).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CLAIM_SECONDS = 5


class Receiver:
    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.ids[self.headers.get("Microgrants-Delivery", "")] += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--subscribers", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL=postgres://... (the workers share the database).")
    env = {
        "TASKS_BACKEND": "database",
        "MICROGRANTS_WEBHOOK_ALLOW_HTTP": "1",
        "MICROGRANTS_WEBHOOK_ALLOW_PRIVATE": "1",
        "MICROGRANTS_WEBHOOK_CLAIM_SECONDS": str(CLAIM_SECONDS),
        "DJANGO_TASKS_LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    _recreate_postgres_database(connection)
    call_command("migrate", verbosity=0)

    from demo import builders as demo
    from webhooks import services
    from webhooks.models import Delivery, DeliveryStatus, all_event_types

    receiver = Receiver()
    fund = demo.setup_fund()
    cast = demo.create_cast(fund)
    for number in range(args.subscribers):
        services.subscribe(
            cast.funder,
            by=cast.admin,
            name=f"Receiver {number + 1}",
            url=receiver.url,
            events=all_event_types(),
            all_programmes=True,
        )
    print(
        f"webhooks: {args.events} events x {args.subscribers} subscribers, "
        f"{args.workers} db_worker processes, PostgreSQL, local receiver"
    )

    # --- a clean run ---
    logs = _submissions(cast, args.events)
    fan_out_seconds = _fan_out(logs)
    expected = args.events * args.subscribers
    print(
        f"fan-out: {args.events / fan_out_seconds:.0f} events/s "
        f"({expected / fan_out_seconds:.0f} deliveries written/s, {fan_out_seconds:.1f} s)"
    )
    started = time.perf_counter()
    workers = [_worker(env, batch=True) for _ in range(args.workers)]
    for worker in workers:
        worker.wait()
    seconds = time.perf_counter() - started
    delivered = Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count()
    print(
        f"delivery: {delivered} of {expected} in {seconds:.1f} s = "
        f"{delivered / seconds:.0f} deliveries/s (workers' start-up included)"
    )

    # --- killed halfway ---
    before = receiver.received()
    logs = _submissions(cast, args.events)
    _fan_out(logs)
    total = 2 * expected
    workers = [_worker(env, batch=False) for _ in range(args.workers)]
    while receiver.received() - before < expected // 2:
        time.sleep(0.05)
    for worker in workers:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    at_kill = receiver.received() - before
    sending = Delivery.objects.filter(status=DeliveryStatus.SENDING).count()
    print(f"killed {args.workers} workers (SIGKILL) at {at_kill} of {expected}; {sending} held")
    _worker(env, batch=True).wait()
    time.sleep(CLAIM_SECONDS + 1)  # the killed workers' claims time out
    subprocess.run(
        [sys.executable, "manage.py", "run_deadlines", "--job", "webhooks"],
        cwd=ROOT, env={**os.environ, **env}, check=True, capture_output=True,
    )  # fmt: skip
    uids = {str(u) for u in Delivery.objects.values_list("uid", flat=True)}
    got = receiver.ids
    lost = [uid for uid in uids if got[uid] == 0]
    repeated = {uid: n for uid, n in got.items() if n > 1}
    pairs = Delivery.objects.values_list("event_id", "subscription_id").distinct().count()
    print(
        f"after restart and sweep: {len(uids)} deliveries for {pairs} (event, subscriber) pairs "
        f"(expected {total}); received {len(uids) - len(lost)} once or more, lost {len(lost)}, "
        f"received twice {len(repeated)}"
    )
    receiver.server.shutdown()
    connection.close()
    if lost or pairs != total:
        sys.exit(1)


def _submissions(cast: Any, count: int) -> list[Any]:
    """`count` submitted applications, without their side effects; their submit log rows."""
    from django.db import transaction

    from applications import services
    from demo import builders as demo
    from workflows import effects
    from workflows.models import TransitionLog

    with effects.suspended(), transaction.atomic():
        drafts = [
            demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
            for _ in range(count)
        ]
        for draft in drafts:
            services.submit_application(draft, by=cast.applicant)
    ids = [str(draft.pk) for draft in drafts]
    return list(
        TransitionLog.objects.filter(transition="submit", object_id__in=ids)
        .select_related("content_type")
        .order_by("pk")
    )


def _fan_out(logs: list[Any]) -> float:
    """The webhook side effect of each log, here (what a worker does after the commit)."""
    from webhooks import events

    started = time.perf_counter()
    for log in logs:
        events.fan_out(log)
    return time.perf_counter() - started


def _worker(env: dict[str, str], *, batch: bool) -> subprocess.Popen[bytes]:
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    command += ["--interval", "0.05"]
    if batch:
        command.append("--batch")
    return subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        command, cwd=ROOT, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _recreate_postgres_database(connection: Any) -> None:
    import psycopg

    name = connection.settings_dict["NAME"]
    params = {k: v for k, v in connection.get_connection_params().items() if k != "dbname"}
    connection.close()
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()

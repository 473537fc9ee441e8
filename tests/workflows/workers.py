"""Real worker processes for the tests: `db_worker` and RQ workers on the test database.

A worker is a separate process reading the same database, so the tests that use one run on
PostgreSQL with committed data (`pytest.mark.django_db(transaction=True)`); SQLite's test
database lives in memory. Redis tests use a database of their test process's own, emptied by
each test (`tests.conftest.own_redis_url`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from tests.conftest import QUEUE_DATABASES, own_redis_url

ROOT = Path(settings.BASE_DIR)
# The queue of this test process's own (tests empty it).
REDIS_URL = own_redis_url(QUEUE_DATABASES)
# Generous: CI shares two cores with other work. Waits end as soon as their signal comes.
PATIENCE = 120.0

# As in production: no autoreloader (with it, a SIGTERM would not reach the worker itself).
DB_WORKER = ("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1")
RQ_WORKER = ("rqworker", "--job-class", "django_tasks_rq.Job", "default")


def worker_environment(backend: str, **extra: str) -> dict[str, str]:
    """The worker sees the test database, media folder and task backend of this test."""
    database = connection.settings_dict
    user = database["USER"] or "postgres"
    host = database["HOST"] or "127.0.0.1"
    url = f"postgres://{user}@{host}:{database['PORT'] or 5432}/{database['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "TASKS_BACKEND": backend,
        "REDIS_URL": REDIS_URL,
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def run_manage(*args: str, backend: str, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run a manage.py command to its end (a worker in batch or burst mode)."""
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=worker_environment(backend, **extra),
        capture_output=True,
        text=True,
        timeout=PATIENCE * 2,
        check=False,
    )


def start_worker(*args: str, backend: str, **extra: str) -> subprocess.Popen[bytes]:
    """A long-running worker in a process group of its own, so that `kill_hard` also gets
    the children it forks (RQ runs each job in a child)."""
    return subprocess.Popen(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=worker_environment(backend, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def kill_hard(worker: subprocess.Popen[bytes]) -> None:
    """kill -9, the worker and its children: nothing runs a cleanup."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=PATIENCE)


def wait_for(condition: Callable[[], Any], what: str, *, timeout: float = PATIENCE) -> Any:
    """Poll until `condition()` is truthy (a state the application itself records)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)


@dataclass
class SilentMailServer:
    """Accepts connections on 127.0.0.1 and then says nothing (no greeting) until released."""

    listener: socket.socket
    connected: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    connections: int = 0

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def hold_connections(self) -> None:
        held: list[socket.socket] = []
        try:
            while not self.released.is_set():
                try:
                    client, _ = self.listener.accept()
                except OSError:
                    return  # closed by the fixture
                held.append(client)
                self.connections += 1
                self.connected.set()
        finally:
            for client in held:
                client.close()

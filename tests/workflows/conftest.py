"""Task backends for the tests that run real workers (see tests/workflows/workers.py), and a
mail server that never answers."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import reachable_redis
from tests.workflows.workers import PATIENCE, REDIS_URL, SilentMailServer


@pytest.fixture
def database_backend(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}  # fmt: skip


@pytest.fixture
def rq_backend(settings: Any) -> Iterator[Any]:
    client = reachable_redis(REDIS_URL)
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 120}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    yield client
    client.flushdb()


@pytest.fixture
def silent_mail_server() -> Iterator[SilentMailServer]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = SilentMailServer(listener)
    thread = threading.Thread(target=server.hold_connections, daemon=True)
    thread.start()
    yield server
    server.released.set()
    with contextlib.suppress(OSError):  # not connected: nothing to shut down
        listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() that waits
    listener.close()
    thread.join(PATIENCE)
    assert not thread.is_alive(), "the mail server thread hangs"

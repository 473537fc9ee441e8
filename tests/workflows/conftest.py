"""Task backends for the tests that run real workers (see tests/workflows/workers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import reachable_redis
from tests.workflows.workers import REDIS_URL


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

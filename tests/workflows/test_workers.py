"""Side effects run by real workers: `db_worker` on the database backend, an RQ worker on Redis.

The worker is a separate process reading the same database, so these run on PostgreSQL with
committed data (skipped with a reason on SQLite, whose test database lives in memory). The RQ
test also needs Redis at 127.0.0.1:6379; under CI=true a missing Redis fails instead of skipping.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from demo import builders as demo
from reviews.models import ReviewTask
from tests.conftest import on_postgresql
from tests.workflows.workers import run_manage

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]


def test_the_database_backend_keeps_the_task_with_the_change_and_db_worker_runs_it(cast: demo.Cast, database_backend: None) -> None:  # fmt: skip
    from django_tasks_db.models import DBTaskResult

    application = demo.drive(cast, "submitted")
    assert DBTaskResult.objects.filter(task_path="workflows.effects.run_side_effect").count() >= 1  # fmt: skip
    assert not ReviewTask.objects.filter(application=application).exists()  # not run yet

    done = run_manage("db_worker", "--batch", backend="database")
    assert done.returncode == 0, done.stderr[-2000:]
    assert ReviewTask.objects.filter(application=application, kind="formal_check").exists()
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists(), list(DBTaskResult.objects.values("task_path", "status", "exception_class_path"))  # fmt: skip


def test_a_rolled_back_change_leaves_no_task_in_the_database_backend(cast: demo.Cast, database_backend: None) -> None:  # fmt: skip
    from django_tasks_db.models import DBTaskResult

    from applications import services

    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    before = DBTaskResult.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.submit_application(draft, by=cast.applicant)
        assert DBTaskResult.objects.count() > before  # written with the change ...
        raise RuntimeError("the request fails after the transition")
    assert DBTaskResult.objects.count() == before  # ... and gone with it


def test_an_rq_worker_on_redis_runs_the_side_effects_enqueued_on_commit(cast: demo.Cast, rq_backend: Any) -> None:  # fmt: skip
    application = demo.drive(cast, "submitted")
    assert not ReviewTask.objects.filter(application=application).exists()
    assert rq_backend.llen("rq:queue:default") >= 1  # enqueued when the transaction committed

    done = run_manage("rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default", backend="rq")  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert ReviewTask.objects.filter(application=application, kind="formal_check").exists()
    assert rq_backend.llen("rq:queue:default") == 0

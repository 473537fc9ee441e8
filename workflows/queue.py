"""Enqueueing the work of a change through Django's Tasks API (the django-tasks backport).

`enqueue_with_change` is how the engine starts work that belongs to a change (a transition, a
payment): with the database backend the task row is written in the same transaction, so a
rolled-back change leaves no task; with the others (run at once, or RQ on Redis) it is enqueued
when the transaction commits, so nothing runs or is picked up for a change that may still roll
back. The work itself is always a row written with the change (a `SideEffect`, an
`OutboxMessage`): the task only carries its id, so a lost or failed enqueue loses nothing, and
the sweeper of `run_deadlines` runs what no task did. Task functions take ids, are idempotent
and may run twice. They live beside their rows (`effects.run_side_effect`,
`outbox.send_outbox_message`); this module knows neither.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django_tasks import task_backends

logger = logging.getLogger(__name__)


def backend_is_transactional() -> bool:
    """Does the task backend store tasks in this database (so they commit with the change)?"""
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def enqueue_with_change(task_function: Any, *args: Any) -> None:
    """Enqueue `task_function(*args)` as part of the current change (see the module's text)."""
    if backend_is_transactional() or not transaction.get_connection().in_atomic_block:
        _enqueue(task_function, *args)
    else:
        transaction.on_commit(partial(_enqueue, task_function, *args))


def _enqueue(task_function: Any, *args: Any) -> None:
    """Enqueueing is an optimisation: when the queue cannot take the task (Redis is down), the
    change stands and the sweeper runs the row later. It never turns a change into an error.

    With the database backend the task row is written in the change's transaction, in a
    savepoint, so a failure there leaves the change intact too."""
    try:
        if backend_is_transactional() and transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                task_function.enqueue(*args)
        else:
            task_function.enqueue(*args)
    except Exception:
        logger.warning(
            "Could not enqueue %s%r; the sweeper of run_deadlines runs its row later.",
            getattr(task_function, "name", task_function),
            args,
            exc_info=True,
        )

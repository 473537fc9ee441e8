"""Background work through Django's Tasks API (the django-tasks backport).

`enqueue_with_change` is how domain code starts work that belongs to a change (a transition, a
payment): with the database backend the task row is written in the same transaction, so a
rolled-back change leaves no task and a committed one never loses it; with the others (run at
once, or RQ on Redis) it is enqueued when the transaction commits, so nothing runs or is picked
up for a change that may still roll back. Task functions take ids, are idempotent and may run
twice.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from django_tasks import task, task_backends

from workflows import effects
from workflows.models import TransitionLog


def backend_is_transactional() -> bool:
    """Does the task backend store tasks in this database (so they commit with the change)?"""
    from django_tasks_db import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def enqueue_with_change(task_function: Any, *args: Any) -> None:
    """Enqueue `task_function(*args)` as part of the current change (see the module's text)."""
    if backend_is_transactional() or not transaction.get_connection().in_atomic_block:
        task_function.enqueue(*args)
    else:
        transaction.on_commit(partial(task_function.enqueue, *args))


@task()
def run_transition_effects(log_id: int) -> int:
    """Run every registered side effect of one logged transition; returns how many ran."""
    log = TransitionLog.objects.select_related("content_type").get(pk=log_id)
    label = f"{log.content_type.app_label}.{log.content_type.model}"
    handlers = effects.handlers_for(label, log.transition)
    for handler in handlers:
        handler(log)
    return len(handlers)


@task()
def send_outbox_message(message_id: int, force: bool = False) -> str:
    """Send one outbox e-mail if it is due (see `workflows.outbox.deliver`); the outcome."""
    from workflows import outbox

    return str(outbox.deliver(message_id, force=force))

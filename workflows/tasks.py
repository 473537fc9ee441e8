"""Tasks queued before side effects had rows, kept at their old paths so that a worker that
meets one after an upgrade still runs it. New work is queued by `workflows.queue` with the tasks
of `workflows.effects` and `workflows.outbox`."""

from __future__ import annotations

from django_tasks import task

from workflows import effects


@task()
def run_transition_effects(log_id: int) -> int:
    """A transition's side effects, queued before they had rows: its rows, written first if
    missing, are run; returns how many."""
    from workflows.models import TransitionLog

    log = TransitionLog.objects.select_related("content_type").get(pk=log_id)
    rows = effects.rows_of(log)
    for pk in rows:
        effects.run(pk)
    return len(rows)

"""Side effects of changes (e-mails, documents, review tasks), durable from the commit.

Apps register a handler for (model, transition), or for an event a lower app emits (a payment
recorded as paid). When `perform()` logs a transition, `schedule()` writes one `SideEffect` row
per handler in the same transaction, and a task for each row is enqueued with the change
(`workflows.queue.enqueue_with_change`). So a rolled-back change leaves no row, and a committed
change never loses one, whatever happens to the task: a worker killed halfway, a queue (Redis)
that is down, a task that fails.

`run()` is what a task, the sweeper and the retry command do with a row: claim it (a
conditional update, so one runner at a time), call the handler outside any transaction, and
record the outcome: done, or another attempt later with back-off (1, 2, 4 ... minutes, at most
six hours) until `MAX_ATTEMPTS` have failed, then failed (listed in the admin for
administrators; `manage.py retry_side_effects` runs them again). `sweep()` (a job of
`run_deadlines`) runs the rows whose task never came: due retries, rows left waiting longer than
`ENQUEUE_GRACE`, and rows left running longer than the claim timeout (their worker died).

A handler that cannot do its work yet for a reason outside it (the fund lacks what its letters
need) raises `Postponed` with a key: the row waits without using up its attempts, keeps the
reason as its error, and runs again when `resume(key)` says the reason is gone (or, at the
latest, every POSTPONED_RECHECK through the sweeper).

Handlers take the log row (or the event's ids), must be idempotent (each keys what it writes on
its cause) and never change a status: they may run twice, e.g. when a worker dies after the
handler's work and before the row says done. The rows are delivery bookkeeping, like the
outbox's, outside the audit chain.
"""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django_tasks import task

from workflows import clock
from workflows.queue import enqueue_with_change

logger = logging.getLogger(__name__)

Handler = Callable[[Any], None]
EventHandler = Callable[..., None]

MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# A row still waiting this long after it was written lost its task: the sweeper runs it.
ENQUEUE_GRACE = timedelta(minutes=2)
# A postponed row is tried again this often even if nobody calls `resume` for it.
POSTPONED_RECHECK = timedelta(hours=1)
# How much of a failure's traceback the row keeps.
_ERROR_CHARS = 4000
_WAITS_FOR_MAX = 100

_suspended: ContextVar[bool] = ContextVar("microgrants_effects_suspended", default=False)
_HANDLERS: dict[tuple[str, str], list[Handler]] = defaultdict(list)
_EVENT_HANDLERS: dict[str, list[EventHandler]] = defaultdict(list)
_BY_NAME: dict[str, Callable[..., None]] = {}


class Postponed(Exception):
    """Raised by a handler that cannot do its work until something outside it changes; `key`
    names that something (e.g. "fund-letters:3"), `resume(key)` lets the row run again."""

    def __init__(self, reason: str, *, key: str) -> None:
        super().__init__(reason)
        self.reason, self.key = reason, key


def handler_name(handler: Callable[..., Any]) -> str:
    """The name a row keeps of its handler (its module and qualified name)."""
    return f"{handler.__module__}.{handler.__qualname__}"


def _key(model: type[models.Model] | str, transition: str) -> tuple[str, str]:
    label = model if isinstance(model, str) else model._meta.label_lower
    return (label.lower(), transition)


def register(model: type[models.Model] | str, transition: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        if handler not in _HANDLERS[_key(model, transition)]:
            _HANDLERS[_key(model, transition)].append(handler)
        _BY_NAME[handler_name(handler)] = handler
        return handler

    return decorator


def unregister(model: type[models.Model] | str, transition: str, handler: Handler) -> None:
    handlers = _HANDLERS.get(_key(model, transition), [])
    if handler in handlers:
        handlers.remove(handler)


def has_effects(model: type[models.Model], transition: str) -> bool:
    return bool(_HANDLERS.get(_key(model, transition)))


def handlers_for(label: str, transition: str) -> list[Handler]:
    return list(_HANDLERS.get(_key(label, transition), []))


def on_event(name: str) -> Callable[[EventHandler], EventHandler]:
    """Register a handler for an event a lower app emits; it gets the event's ids as keywords."""

    def decorator(handler: EventHandler) -> EventHandler:
        if handler not in _EVENT_HANDLERS[name]:
            _EVENT_HANDLERS[name].append(handler)
        _BY_NAME[handler_name(handler)] = handler
        return handler

    return decorator


def event_handlers_for(name: str) -> list[EventHandler]:
    return list(_EVENT_HANDLERS.get(name, []))


@contextmanager
def suspended() -> Iterator[None]:
    """Record transitions without side effects (no e-mails, no documents), e.g. while demo
    histories are replayed; whoever suspends them does what is needed (see demo.reviews)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


# --- writing the rows with the change ----------------------------------------------------------


def schedule(log: Any) -> list[int]:
    """One row per handler of a logged transition, in the current transaction; their tasks are
    enqueued with the change. Returns the rows' ids."""
    if _suspended.get():
        return []
    return _write(_rows_for(log))


def emit(name: str, **ids: int) -> list[int]:
    """Announce that something happened (inside the transaction that did it): one row per
    handler of the event, run like the side effects of a transition, only if the change
    commits."""
    if _suspended.get():
        return []
    return _write(
        [_new_row(handler, event=name, event_ids=ids) for handler in event_handlers_for(name)]
    )


def rows_of(log: Any) -> list[int]:
    """The ids of a logged transition's rows, written now for handlers that have none (a log
    from before side effects had rows, e.g. a task still queued across an upgrade)."""
    from workflows.models import SideEffect

    SideEffect.objects.bulk_create(_rows_for(log), ignore_conflicts=True)
    return list(SideEffect.objects.filter(log=log).order_by("pk").values_list("pk", flat=True))


def _rows_for(log: Any) -> list[Any]:
    """A new row per handler registered for the logged transition (not saved)."""
    label = f"{log.content_type.app_label}.{log.content_type.model}"
    return [_new_row(handler, log=log) for handler in handlers_for(label, log.transition)]


def _new_row(handler: Callable[..., Any], **cause: Any) -> Any:
    from workflows.models import SideEffect

    now = clock.now()
    return SideEffect(handler=handler_name(handler), created_at=now, next_attempt_at=now, **cause)


def _write(rows: list[Any]) -> list[int]:
    from workflows.models import SideEffect

    if not rows:
        return []
    created = SideEffect.objects.bulk_create(rows)
    ids = [row.pk for row in created]
    for pk in ids:
        enqueue_with_change(run_side_effect, pk)
    return ids


# --- running a row ---------------------------------------------------------------------------------


def claim_timeout() -> timedelta:
    """How long a row may stay running before the sweeper takes it for dead."""
    return timedelta(minutes=settings.MICROGRANTS_SIDE_EFFECT_TIMEOUT_MINUTES)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, 8 ... minutes, at
    most LONGEST_RETRY (side effects and outbox messages alike)."""
    exponent = max(attempts, 1) - 1
    if exponent >= 20:  # far beyond the cap; spares the big power
        return LONGEST_RETRY
    return min(FIRST_RETRY * 2**exponent, LONGEST_RETRY)


def claim(effect_id: int, *, force: bool = False) -> bool:
    """Take a row for running (a conditional update: one runner at a time). The attempt counts
    from here, so a runner that dies holding the row has used it up."""
    from workflows.models import SideEffect, SideEffectStatus

    now = clock.now()
    waiting = Q(status=SideEffectStatus.PENDING)
    if force:
        waiting |= Q(status=SideEffectStatus.FAILED)
    else:
        waiting &= Q(next_attempt_at__lte=now)
    updated = SideEffect.objects.filter(waiting, pk=effect_id).update(
        status=SideEffectStatus.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    return updated == 1


def run(effect_id: int, *, force: bool = False) -> str:
    """Run one row's handler if it is due (or, with `force`, if it is not done): "done",
    "retrying", "failed", "postponed", or why it did not run ("not_due", "busy",
    "already_done", "missing")."""
    from workflows.models import SideEffect, SideEffectStatus

    if not claim(effect_id, force=force):
        found = SideEffect.objects.filter(pk=effect_id).values_list("status", flat=True).first()
        if found is None:
            return "missing"
        why_not: dict[str, str] = {
            SideEffectStatus.DONE: "already_done",
            SideEffectStatus.RUNNING: "busy",
        }
        return why_not.get(found, "not_due")
    row = SideEffect.objects.select_related("log__content_type").get(pk=effect_id)
    try:
        call_handler(row)
    except Postponed as wait:
        return _postponed(row, wait)
    except Exception as exc:
        return _failed(row, exc)
    SideEffect.objects.filter(pk=row.pk, status=SideEffectStatus.RUNNING).update(
        status=SideEffectStatus.DONE, finished_at=clock.now(), last_error="", waits_for=""
    )
    return "done"


@task()
def run_side_effect(effect_id: int) -> str:
    """The task of one row written with a change (see `run`)."""
    return run(effect_id)


def call_handler(row: Any) -> None:
    """Do a row's work, and only that (no claim, no bookkeeping)."""
    handler = _BY_NAME.get(row.handler)
    if handler is None:
        raise LookupError(f"No side-effect handler is registered as {row.handler!r}.")
    if row.log_id is not None:
        handler(row.log)
    else:
        handler(**row.event_ids)


def _failed(row: Any, exc: Exception) -> str:
    from workflows.models import SideEffectStatus

    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    logger.warning("Side effect %s (%s) failed: %s", row.pk, row.handler, error, exc_info=True)
    last = row.attempts >= MAX_ATTEMPTS
    now = clock.now()
    type(row).objects.filter(pk=row.pk).update(
        status=SideEffectStatus.FAILED if last else SideEffectStatus.PENDING,
        next_attempt_at=now if last else now + retry_delay(row.attempts),
        finished_at=now if last else None,
        last_error=error[:_ERROR_CHARS],
    )
    return "failed" if last else "retrying"


def _postponed(row: Any, wait: Postponed) -> str:
    """The row waits for `wait.key`; the attempt it was claimed for is given back."""
    from workflows.models import SideEffectStatus

    logger.info("Side effect %s (%s) waits: %s", row.pk, row.handler, wait.reason)
    type(row).objects.filter(pk=row.pk).update(
        status=SideEffectStatus.PENDING,
        attempts=max(row.attempts - 1, 0),
        next_attempt_at=clock.now() + POSTPONED_RECHECK,
        finished_at=None,
        waits_for=wait.key[:_WAITS_FOR_MAX],
        last_error=wait.reason[:_ERROR_CHARS],
    )
    return "postponed"


def waiting_for(key: str) -> models.QuerySet[Any]:
    """The rows postponed until `key` (see `Postponed`)."""
    from workflows.models import SideEffect, SideEffectStatus

    return SideEffect.objects.filter(waits_for=key, status=SideEffectStatus.PENDING)


def resume(key: str) -> int:
    """The rows postponed until `key` run again as soon as the current transaction commits;
    returns how many."""
    ids = list(waiting_for(key).values_list("pk", flat=True))
    if ids:
        waiting_for(key).filter(pk__in=ids).update(next_attempt_at=clock.now())
        for pk in ids:
            enqueue_with_change(run_side_effect, pk)
    return len(ids)


# --- the sweeper and the retry command -----------------------------------------------------------


def due(now: datetime) -> models.QuerySet[Any]:
    """Rows whose task did not come: retries that are due, first attempts waiting longer than
    ENQUEUE_GRACE (the enqueue was lost, or the queue is down), oldest first."""
    from workflows.models import SideEffect, SideEffectStatus

    return SideEffect.objects.filter(
        Q(attempts__gt=0) | Q(created_at__lte=now - ENQUEUE_GRACE),
        status=SideEffectStatus.PENDING,
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "pk")


def release_stuck(now: datetime) -> int:
    """Rows left running past the claim timeout (their worker died) wait again; returns how
    many. The attempt they used counts."""
    from workflows.models import SideEffect, SideEffectStatus

    return SideEffect.objects.filter(
        status=SideEffectStatus.RUNNING, started_at__lt=now - claim_timeout()
    ).update(status=SideEffectStatus.PENDING, next_attempt_at=now)


def sweep(now: datetime, *, limit: int = 500) -> int:
    """Release the stuck rows and run what is due, here and now; returns how many ran."""
    release_stuck(now)
    ran = 0
    for pk in list(due(now).values_list("pk", flat=True)[:limit]):
        if run(pk) in ("done", "retrying", "failed"):
            ran += 1
    return ran


def retry_failed(*, ids: list[int] | None = None) -> dict[str, int]:
    """Run the failed rows (or the given ones) again now, whatever their attempts."""
    from workflows.models import SideEffect, SideEffectStatus

    rows = SideEffect.objects.filter(status=SideEffectStatus.FAILED)
    if ids is not None:
        rows = SideEffect.objects.filter(pk__in=ids)
    outcomes: dict[str, int] = defaultdict(int)
    for pk in list(rows.order_by("pk").values_list("pk", flat=True)):
        outcomes[run(pk, force=True)] += 1
    return dict(outcomes)


@task()
def run_event_handlers(name: str, ids: dict[str, int]) -> int:
    """Tasks enqueued before side effects had rows: run every handler of the event at once."""
    handlers = event_handlers_for(name)
    for handler in handlers:
        handler(**ids)
    return len(handlers)

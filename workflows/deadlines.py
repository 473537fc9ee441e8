"""The deadline scheduler: jobs that lapse, expire and remind once their date has come.

Apps register jobs (`@register("name")`, a function `job(now) -> int` that returns how many
objects it changed or reminded) from their `AppConfig.ready()`; `manage.py run_deadlines`
(cron, every few minutes) runs them all. A job selects its candidates with an indexed query,
walks them in batches (`each`) and hands each one to a service inside `attempt`, so that:

- every change goes through the services, hence through `perform()` and the audit log;
- an object someone else changed first (`TransitionNotAllowed`, `TransitionConflict`) is
  skipped silently: another run, or a person, was faster;
- one broken object is logged and does not stop the others (the job is then reported failed);
- a second run right after finds nothing to do (reminders are unique by their outbox key).

Two runs at the same time are safe object by object (row locks in `perform()`, unique outbox
keys); on PostgreSQL an advisory lock per job also keeps the same job from running twice at
once. SQLite needs nothing more: its IMMEDIATE transactions admit one writer at a time.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone

from workflows import clock, effects, outbox
from workflows.errors import TransitionConflict, TransitionNotAllowed
from workflows.models import OutboxMessage, TransitionLog

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=models.Model)
JobFunction = Callable[[datetime], int]
Preview = Callable[[datetime], list[str]]

BATCH_SIZE = 500
# The first key of the two-key PostgreSQL advisory locks of the jobs (the second is the name's
# CRC-32); the two-key space never collides with the one-key lock of the audit chain.
_LOCK_NAMESPACE = 7_340_002


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    order: int
    # How to list what the job would do, for jobs whose work leaves the database (sending
    # e-mail) and so cannot be tried and rolled back; None: dry runs try it and roll back.
    preview: Preview | None = None


_JOBS: dict[str, Job] = {}


def register(
    name: str, *, order: int = 50, preview: Preview | None = None
) -> Callable[[JobFunction], JobFunction]:
    """Register `job(now) -> int` under `name`; jobs run by `order`, then by registration."""

    def decorator(function: JobFunction) -> JobFunction:
        _JOBS[name] = Job(name=name, run=function, order=order, preview=preview)
        return function

    return decorator


def unregister(name: str) -> None:
    _JOBS.pop(name, None)


def jobs() -> list[Job]:
    """The registered jobs in the order they run."""
    position = {name: index for index, name in enumerate(_JOBS)}
    return sorted(_JOBS.values(), key=lambda job: (job.order, position[job.name]))


class UnknownJob(KeyError):
    def __str__(self) -> str:
        known = ", ".join(job.name for job in jobs())
        return f"No deadline job is called {self.args[0]!r}; the jobs are: {known}."


class RunResult(dict[str, int]):
    """How many objects each job that ran changed or reminded.

    `failed` names the jobs that raised (or could not do some objects) with the error,
    `skipped` those another run was busy with, `planned` what a dry run would have done.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self.planned: dict[str, list[str]] = {}

    @property
    def ok(self) -> bool:
        return not self.failed


# --- helpers for the jobs --------------------------------------------------------------------


@dataclass
class _Tally:
    errors: list[str] = field(default_factory=list)


_tally: ContextVar[_Tally | None] = ContextVar("microgrants_deadline_tally", default=None)


def each(queryset: models.QuerySet[M], *, size: int = BATCH_SIZE) -> Iterator[M]:
    """The queryset's objects, fetched in batches of `size` by ascending primary key.

    Keyset batches hold no cursor open while the objects change (each in its own transaction),
    and an object that no longer matches after its change is simply not fetched again.
    """
    last: Any = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page[:size])
        yield from batch
        if len(batch) < size:
            return
        last = batch[-1].pk


def attempt(action: Callable[..., object], *args: Any, subject: str = "", **kwargs: Any) -> bool:
    """Run `action(*args, **kwargs)` (a service call) in its own transaction; did it change or
    send something (a truthy result)?

    Someone faster (not allowed any more, or a conflict) is no error: False. Anything else is
    logged and counted against the running job, and the job goes on with the next object.
    """
    try:
        with transaction.atomic():
            return bool(action(*args, **kwargs))
    except (TransitionNotAllowed, TransitionConflict):
        return False
    except Exception as exc:
        logger.exception("Deadline job: %s failed", subject or action)
        tally = _tally.get()
        if tally is None:
            raise
        tally.errors.append(f"{subject}: {type(exc).__name__}: {exc}")
        return False


def local_date(now: datetime) -> date:
    """The date of `now` in the project's time zone (what the guards call today)."""
    return timezone.localtime(now).date()


def due_threshold(days_left: int, thresholds: tuple[int, ...]) -> int | None:
    """The reminder due with `days_left` days to go: the smallest threshold not below it.

    A run that missed a day still sends the reminder it missed, and never an earlier one (at
    one day left the two-day reminder, not the seven-day one); each threshold once, by its key.
    """
    if days_left < 0:
        return None
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


# --- running ---------------------------------------------------------------------------------


def run_all(
    now: datetime | None = None, *, names: list[str] | None = None, dry_run: bool = False
) -> RunResult:
    """Run the registered jobs (or those named), each on its own; see RunResult.

    With `now`, the clock travels to its date, so that the transitions' guards see the same
    day as the jobs' queries.
    """
    selected = jobs()
    if names:
        unknown = [n for n in names if n not in _JOBS]
        if unknown:
            raise UnknownJob(unknown[0])
        selected = [job for job in selected if job.name in names]
    result = RunResult()
    if now is None:
        for job in selected:
            _run_one(job, clock.now(), result, dry_run=dry_run)
        return result
    with clock.travel_to(local_date(now)):
        for job in selected:
            _run_one(job, now, result, dry_run=dry_run)
    return result


def _run_one(job: Job, now: datetime, result: RunResult, *, dry_run: bool) -> None:
    tally = _Tally()
    token = _tally.set(tally)
    try:
        with _exclusive(job.name) as mine:
            if not mine:
                result.skipped[job.name] = "another run is busy with this job"
                logger.info("Deadline job %s skipped: another run is busy with it", job.name)
                return
            if dry_run:
                count, plan = _dry_run(job, now)
                result.planned[job.name] = plan
            else:
                count = _isolated(job, now)
        result[job.name] = count
        if tally.errors:
            result.failed[job.name] = (
                f"{len(tally.errors)} object(s) failed, first: {tally.errors[0]}"
            )
    except Exception as exc:
        logger.exception("Deadline job %s failed", job.name)
        result.failed[job.name] = f"{type(exc).__name__}: {exc}"
    finally:
        _tally.reset(token)


def _isolated(job: Job, now: datetime) -> int:
    """Run the job; inside a caller's transaction (tests, shell) behind a savepoint, so that a
    failing job leaves the caller's transaction usable for the next one."""
    if connection.in_atomic_block:
        with transaction.atomic():
            return int(job.run(now))
    return int(job.run(now))


class _Rollback(Exception):
    pass


def _dry_run(job: Job, now: datetime) -> tuple[int, list[str]]:
    """What the job would do: its own preview, or the job itself in a transaction rolled back.

    Rolled back, its audit rows, outbox messages and tasks vanish, and the on-commit work it
    scheduled (e-mails, tasks) is dropped with it. The job is then one transaction: it holds
    its locks (and, on PostgreSQL, the audit chain's) until it ends, so keep dry runs for a
    look now and then, not for the timer.
    """
    if job.preview is not None:
        plan = job.preview(now)
        return len(plan), plan
    lines: list[str] = []
    count = 0
    try:
        with transaction.atomic():
            last_log = TransitionLog.objects.order_by("-pk").values_list("pk", flat=True).first()
            last_mail = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
            count = int(job.run(now))
            logs = TransitionLog.objects.filter(pk__gt=last_log or 0).select_related("content_type")
            for log in logs.order_by("pk"):
                lines.append(
                    f"{log.transition} {log.content_type.model} #{log.object_id}: "
                    f"{log.source} -> {log.target}"
                )
            for message in OutboxMessage.objects.filter(pk__gt=last_mail or 0).order_by("pk"):
                lines.append(f"e-mail {message.key} to {', '.join(message.to)}")
            raise _Rollback()
    except _Rollback:
        pass
    return count, lines


@contextmanager
def _exclusive(name: str) -> Iterator[bool]:
    """Hold the job's PostgreSQL advisory lock for the block; False if another run holds it."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = zlib.crc32(name.encode())
    key -= 1 << 32 if key >= 1 << 31 else 0  # PostgreSQL's int4 is signed
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_LOCK_NAMESPACE, key])
        (locked,) = cursor.fetchone()
    if not locked:
        yield False
        return
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_LOCK_NAMESPACE, key])


# --- the job of the engine itself ------------------------------------------------------------


def _due_messages(now: datetime) -> list[str]:
    due = outbox.due_messages(now).order_by("pk")
    return [f"send e-mail {m.key} to {', '.join(m.to)}" for m in due]


@register("send_outbox", order=90, preview=_due_messages)
def send_outbox(now: datetime) -> int:
    """Send the e-mails that are due (first attempts the task missed, and retries); last, so
    that the reminders queued by this run go out with it."""
    return int(outbox.send_due_messages(now))


def _due_side_effects(now: datetime) -> list[str]:
    # Changes nothing (not even the rows left running): what a run would start now.
    return [f"run {row.handler} (side effect {row.pk})" for row in effects.due(now)[:500]]


@register("side_effects", order=85, preview=_due_side_effects)
def run_side_effects(now: datetime) -> int:
    """Run the side effects no task ran: retries that are due, rows whose task was lost (the
    queue was down, the enqueue failed) and rows whose worker died while running them.
    Before the outbox job, so that the e-mails they queue go out in the same run."""
    return effects.sweep(now)

"""Workers that die with kill -9 inside a side effect, and a queue that is down: nothing is lost,
nothing is done twice.

A lock the test holds keeps the worker inside a handler for as long as needed (PostgreSQL
shows it waiting), so the kill lands where it should, with no timing guess: either before the
handler's work ("before") or after it and before its row says done ("after"). Then a new
worker runs what is left and the sweeper of run_deadlines, a day later, runs the row the dead
worker held. Each e-mail is sent once, each document stored once, each review task opened once.
"""

from __future__ import annotations

import email
import email.policy
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from applications.models import Application, Document
from demo import builders as demo
from reviews.models import ReviewTask
from tests.conftest import on_postgresql
from tests.workflows.workers import (
    DB_WORKER,
    PATIENCE,
    REDIS_URL,
    RQ_WORKER,
    SilentMailServer,
    kill_hard,
    run_manage,
    start_worker,
    wait_for,
)
from workflows import clock, deadlines
from workflows.models import OutboxMessage, SideEffect, SideEffectStatus

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]

# The tables the side effects of a submission write: whichever handler reaches the locked one
# first is the one the worker dies in.
HANDLER_TABLES = {
    "e-mail": "workflows_outboxmessage",
    "document": "applications_document",
    "review task": "reviews_reviewtask",
}


def side_connection() -> psycopg.Connection[Any]:
    """A connection of the test's own, beside Django's, to hold locks while a worker waits."""
    params = connection.get_connection_params()
    return psycopg.connect(
        host=params.get("host") or "127.0.0.1",
        port=params.get("port") or 5432,
        user=params.get("user") or "postgres",
        dbname=params["dbname"],
    )


def waiting_on_a_lock(watcher: psycopg.Connection[Any], statement: str) -> bool:
    """Is a backend of this database waiting for a lock in a statement like `statement`?"""
    with watcher.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query ILIKE %s",
            [statement],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def running_effect() -> SideEffect | None:
    return SideEffect.objects.filter(status=SideEffectStatus.RUNNING).first()


@contextmanager
def held(statement: str, *args: Any) -> Iterator[psycopg.Connection[Any]]:
    """Run `statement` in a transaction of a side connection and hold it (its locks) until
    the block ends."""
    holder = side_connection()
    try:
        holder.execute(statement, args or None)
        yield holder
    finally:
        holder.rollback()
        holder.close()


def drop_dead_sessions(watcher: psycopg.Connection[Any]) -> None:
    """What the database does once it notices that a client died: ends its sessions, so a
    statement the worker had sent and that waits on our lock never runs."""
    with watcher.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )


def kill_inside_a_handler(worker_args: tuple[str, ...], backend: str, table: str, after_the_work: bool) -> SideEffect:  # fmt: skip
    """Start a worker, hold it inside the first handler that writes `table`, kill -9 it (before
    or after that handler's work) and return the row it held."""
    watcher = side_connection()
    watcher.autocommit = True
    worker = None
    try:
        with held(f"LOCK TABLE {table} IN EXCLUSIVE MODE") as table_lock:
            worker = start_worker(*worker_args, backend=backend)
            wait_for(lambda: waiting_on_a_lock(watcher, "%" + table + "%"), f"the worker waiting on {table}")  # fmt: skip
            # Handlers that ran before it are done: the one row running is the one it waits in.
            effect = running_effect()
            assert effect is not None
            if after_the_work:
                # Hold the row itself, then let the handler do its work: the worker stops at
                # the update that would mark the row done.
                with held("SELECT id FROM workflows_sideeffect WHERE id = %s FOR UPDATE", effect.pk):  # fmt: skip
                    table_lock.rollback()
                    wait_for(lambda: waiting_on_a_lock(watcher, '%UPDATE "workflows_sideeffect"%'), "the worker done with the handler's work")  # fmt: skip
                    kill_hard(worker)
                    drop_dead_sessions(watcher)
            else:
                kill_hard(worker)
                drop_dead_sessions(watcher)
        return SideEffect.objects.get(pk=effect.pk)
    finally:
        if worker is not None:
            kill_hard(worker)
        watcher.close()


def sweep_a_day_later() -> None:
    """The cron run of the next day: the sweeper, then the outbox."""
    with clock.travel_to(clock.today() + timedelta(days=1)):
        result = deadlines.run_all(names=["side_effects", "send_outbox"])
    assert result.ok, result.failed


def sent_mails(mail_folder: Path, subject: str) -> int:
    """How many times a message with `subject` was sent, by the workers (Django's file backend
    writes each message followed by a line of dashes) and by this process."""
    by_workers = 0
    for sending in mail_folder.iterdir():
        for text in sending.read_text(errors="replace").split("-" * 79):
            if text.strip():
                parsed = email.message_from_string(text.strip(), policy=email.policy.default)
                by_workers += str(parsed["Subject"]).strip() == subject
    return by_workers + sum(1 for m in mail.outbox if m.subject == subject)


def assert_everything_happened_once(application: Application, mail_folder: Path) -> None:
    effects = SideEffect.objects.filter(log__object_id=str(application.pk))
    assert effects.exists()
    assert set(effects.values_list("status", flat=True)) == {SideEffectStatus.DONE}
    [message] = OutboxMessage.objects.filter(key__startswith="application_submitted:")
    assert message.status == "sent"
    assert sent_mails(mail_folder, message.subject) == 1
    assert Document.objects.filter(application=application, kind="summary").count() == 1
    assert ReviewTask.objects.filter(application=application, kind="formal_check").count() == 1


@pytest.fixture
def mail_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sent-mail"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("after_the_work", [False, True], ids=["before", "after"])
@pytest.mark.parametrize("handler", list(HANDLER_TABLES))
def test_a_db_worker_killed_inside_a_side_effect_loses_nothing_and_does_nothing_twice(cast: demo.Cast, database_backend: None, mail_folder: Path, handler: str, after_the_work: bool) -> None:  # fmt: skip
    from django_tasks_db.models import DBTaskResult

    application = demo.drive(cast, "submitted")
    mails = {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "DJANGO_EMAIL_FILE_PATH": str(mail_folder)}  # fmt: skip
    held_row = kill_inside_a_handler((*DB_WORKER,), "database", HANDLER_TABLES[handler], after_the_work)  # fmt: skip
    assert held_row.status == SideEffectStatus.RUNNING and held_row.attempts == 1
    # The dead worker's task stays "running" for the backend, which never picks it up again.
    assert DBTaskResult.objects.filter(status="RUNNING").count() == 1

    again = run_manage(*DB_WORKER, "--batch", backend="database", **mails)
    assert again.returncode == 0, again.stderr[-2000:]
    assert SideEffect.objects.get(pk=held_row.pk).status == SideEffectStatus.RUNNING

    sweep_a_day_later()
    held_row.refresh_from_db()
    assert (held_row.status, held_row.attempts) == (SideEffectStatus.DONE, 2)
    assert_everything_happened_once(application, mail_folder)


@pytest.mark.parametrize("after_the_work", [False, True], ids=["before", "after"])
def test_an_rq_worker_killed_inside_a_side_effect_loses_nothing_and_does_nothing_twice(cast: demo.Cast, rq_backend: Any, mail_folder: Path, after_the_work: bool) -> None:  # fmt: skip
    application = demo.drive(cast, "submitted")
    mails = {"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "DJANGO_EMAIL_FILE_PATH": str(mail_folder)}  # fmt: skip
    held_row = kill_inside_a_handler(RQ_WORKER, "rq", HANDLER_TABLES["e-mail"], after_the_work)
    assert held_row.status == SideEffectStatus.RUNNING

    again = run_manage(*RQ_WORKER, "--burst", backend="rq", **mails)
    assert again.returncode == 0, again.stderr[-2000:]
    assert rq_backend.llen("rq:queue:default") == 0

    sweep_a_day_later()
    assert_everything_happened_once(application, mail_folder)


def test_with_redis_down_a_transition_answers_and_its_effects_run_later(cast: demo.Cast, rq_backend: Any, settings: Any, client: Any, mail_folder: Path) -> None:  # fmt: skip
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{closed_port}/0", "DEFAULT_TIMEOUT": 120}}  # fmt: skip
    draft = demo.make_ready_draft(cast.organisation, fund=cast.fund, by=cast.applicant)
    client.force_login(cast.applicant)

    answer = client.post(reverse("applications:draft_submit", args=[draft.pk]), follow=True)

    assert answer.status_code == 200
    draft.refresh_from_db()
    assert draft.status == "submitted"
    waiting = SideEffect.objects.filter(log__object_id=str(draft.pk))
    assert waiting.exists()
    assert set(waiting.values_list("status", flat=True)) == {SideEffectStatus.PENDING}

    # Redis is back (or not: the sweeper runs the rows itself).
    settings.RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 120}}
    sweep_a_day_later()
    assert_everything_happened_once(draft, mail_folder)


def test_a_silent_mail_server_holds_a_db_worker_no_longer_than_the_timeout(cast: demo.Cast, database_backend: None, silent_mail_server: SilentMailServer, mail_folder: Path) -> None:  # fmt: skip
    application = demo.drive(cast, "submitted")
    silent = {
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(silent_mail_server.port),
        "DJANGO_EMAIL_TIMEOUT": "2",
    }
    worker = start_worker(*DB_WORKER, backend="database", **silent)
    try:
        # The worker moves on: the other side effects of the submission are done, and the
        # message waits for its retry.
        message = wait_for(
            lambda: OutboxMessage.objects.filter(status="retrying").first(),
            "the attempt to give up on the silent server",
        )
        assert silent_mail_server.connected.is_set()
        wait_for(
            lambda: not SideEffect.objects.exclude(status=SideEffectStatus.DONE).exists(),
            "the worker to do every side effect",
        )
        assert Document.objects.filter(application=application, kind="summary").count() == 1
        # A graceful stop (SIGTERM, as systemd sends it) ends the worker, not a kill.
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=PATIENCE) == 0
    finally:
        kill_hard(worker)
    assert (message.attempts, message.sent_at) == (1, None)
    assert "timed out" in message.last_error

    sweep_a_day_later()  # the mail server answers again (this process's mail backend)
    assert_everything_happened_once(application, mail_folder)

"""Network failures lose nothing and hold nothing: a mail server that never answers fails the
attempt within EMAIL_TIMEOUT, outside any transaction, and the message goes out once later; a
database connection the server dropped is replaced before the next request uses it."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.mail.backends import smtp
from django.db import connection
from django.test import Client
from django_tasks import task_backends

from tests.conftest import on_postgresql
from tests.workflows.workers import SilentMailServer
from workflows.models import OutboxMessage
from workflows.outbox import Outcome, deliver, queue_mail, send_due_messages, send_outbox_message

DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
# How long any wait in these tests may take before it counts as hanging (a busy CI machine).
GENEROUS = 60

# A signed-in page that reads the database ("/" only redirects a signed-in person there).
START_PAGE = "/start/"


class WatchedSMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, noting what the database looked like when the server was asked:
    (a transaction open?, the message's committed status)."""

    seen: list[tuple[bool, str]] = []

    def send_messages(self, email_messages: Any) -> int:
        status = OutboxMessage.objects.values_list("status", flat=True).get()
        type(self).seen.append((connection.in_atomic_block, status))
        return int(super().send_messages(email_messages) or 0)


def queue_invitation() -> OutboxMessage:
    message = queue_mail(
        "invitation",
        to=["anna@example.org"],
        context={
            "organisation": {"name": "Städtepartnerschaft Köln–Lyon"},
            "inviter": "Anna",
            "link": "https://example.org/invitations/x/",
            "days": 7,
        },
        language="de",
        key="invitation:1",
    )
    assert message is not None
    return message


@pytest.mark.django_db(transaction=True)  # no test transaction around it: as in a worker
def test_a_mail_server_that_never_answers_fails_the_attempt_and_the_message_goes_out_once_later(settings: Any, silent_mail_server: SilentMailServer) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS  # queued only: the test sends
    settings.EMAIL_BACKEND = f"{__name__}.WatchedSMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", silent_mail_server.port
    settings.EMAIL_TIMEOUT = 0.5  # the timeout under test (the server never answers)
    WatchedSMTPBackend.seen = []
    message = queue_invitation()

    assert deliver(message.pk) == Outcome.RETRYING  # returns: the silence timed out
    assert silent_mail_server.connected.is_set()
    # While the server was asked, no transaction was open and the claim was committed.
    assert WatchedSMTPBackend.seen == [(False, "sending")]
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("retrying", 1)
    assert message.last_error.endswith(": timed out")  # smtplib words the socket's timeout so
    retry = task_backends["default"].results[-1]
    assert retry.task.func is send_outbox_message.func and retry.task.run_after is not None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    assert deliver(message.pk) == Outcome.NOT_DUE  # the retry waits for its time
    assert message.next_attempt_at is not None
    assert send_due_messages(now=message.next_attempt_at) == 1
    assert len(mail.outbox) == 1
    later = message.next_attempt_at + timedelta(days=1)
    assert deliver(message.pk, now=later) == Outcome.ALREADY_SENT
    assert send_due_messages(now=later) == 0
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


# --- a database connection the server dropped (PostgreSQL) ----------------------------------------


def get_through_wsgi(handler: WSGIHandler, path: str, *, session: str) -> int:
    """The status of GET `path` through Django's own WSGI handler, which, unlike the test
    client, sends the request signals that check the database connections (as gunicorn does)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": f"{django_settings.SESSION_COOKIE_NAME}={session}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        statuses.append(status)

    response = handler(environ, start_response)
    try:
        b"".join(response)
    finally:
        response.close()  # request_finished
    return int(statuses[0].split()[0])


@pytest.fixture
def persistent_connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Connections kept between requests, as in production with DATABASE_CONN_MAX_AGE > 0.
    Django reads both settings from the connection's settings when it connects."""

    def use(*, health_checks: bool) -> None:
        for database in (django_settings.DATABASES["default"], connection.settings_dict):
            monkeypatch.setitem(database, "CONN_MAX_AGE", 600)
            monkeypatch.setitem(database, "CONN_HEALTH_CHECKS", health_checks)
        connection.close()

    yield use
    connection.close()  # the next connection reads the restored settings


@pytest.fixture
def signed_in_session(django_user_model: Any) -> str:
    client = Client()
    client.force_login(django_user_model.objects.create_user("anna", password="x" * 20))
    return str(client.cookies[django_settings.SESSION_COOKIE_NAME].value)


def terminate_backend(pid: int) -> None:
    """What a database restart or an idle-connection killer does to the app's connection."""
    database = connection.settings_dict
    with psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"] or "postgres",
        password=database["PASSWORD"] or None,
        host=database["HOST"] or "127.0.0.1",
        port=database["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        # Waits until the backend has exited, so the next request meets a dead connection.
        row = admin.execute("SELECT pg_terminate_backend(%s, %s)", [pid, GENEROUS * 1000]).fetchone()  # fmt: skip
    assert row == (True,)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_is_replaced_before_the_next_request_uses_it(persistent_connections: Any, signed_in_session: str) -> None:  # fmt: skip
    persistent_connections(health_checks=True)
    handler = WSGIHandler()
    assert get_through_wsgi(handler, START_PAGE, session=signed_in_session) == 200
    kept = connection.connection
    assert kept is not None  # persistent: still open between requests
    pid = kept.info.backend_pid
    terminate_backend(pid)

    assert get_through_wsgi(handler, START_PAGE, session=signed_in_session) == 200
    assert connection.connection is not None
    assert connection.connection.info.backend_pid != pid  # a new connection


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_without_health_checks_the_request_after_a_dropped_connection_fails(persistent_connections: Any, signed_in_session: str) -> None:  # fmt: skip
    persistent_connections(health_checks=False)
    handler = WSGIHandler()
    assert get_through_wsgi(handler, START_PAGE, session=signed_in_session) == 200
    assert connection.connection is not None
    terminate_backend(connection.connection.info.backend_pid)

    assert get_through_wsgi(handler, START_PAGE, session=signed_in_session) == 500
    # Django drops the broken connection at the end of that request: the next one works.
    assert get_through_wsgi(handler, START_PAGE, session=signed_in_session) == 200

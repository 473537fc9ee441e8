"""The e-mail outbox: written with the change, sent once by a task, retried while the mail
server is down, taken back from a sender that died, visible to administrators."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from smtplib import SMTPServerDisconnected
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from tests.conftest import on_postgresql
from workflows import clock
from workflows.effects import LONGEST_RETRY, retry_delay
from workflows.models import OutboxMessage, OutboxStatus
from workflows.outbox import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    Outcome,
    deliver,
    due_messages,
    queue_mail,
    send_due_messages,
    send_outbox_message,
)
from workflows.senders import site_host

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


class FlakyBackend(BaseEmailBackend):
    """A mail server that drops the connection for the first `failures` messages, then
    accepts; what it accepted is in `sent`."""

    failures = 0
    sent: list[Any] = []
    lock = threading.Lock()
    delay = 0.0

    def send_messages(self, email_messages: Any) -> int:
        time.sleep(type(self).delay)
        with type(self).lock:
            if type(self).failures > 0:
                type(self).failures -= 1
                raise SMTPServerDisconnected("Connection unexpectedly closed")
            type(self).sent.extend(email_messages)
        return len(email_messages)


class DyingBackend(BaseEmailBackend):
    """The worker stops in the middle of the send (a second SIGTERM, a kill): nothing after
    the send runs."""

    def send_messages(self, email_messages: Any) -> int:
        raise SystemExit(1)


class CuriousBackend(FlakyBackend):
    """While it sends, another sender tries the same message; what that one got is in
    `second_sender`."""

    second_sender: list[Outcome] = []

    def send_messages(self, email_messages: Any) -> int:
        pk = OutboxMessage.objects.values_list("pk", flat=True).get()
        type(self).second_sender.append(deliver(pk, force=True))
        return super().send_messages(email_messages)


@pytest.fixture
def server(settings: Any) -> Iterator[type[FlakyBackend]]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures, FlakyBackend.sent, FlakyBackend.delay = 0, [], 0.0
    yield FlakyBackend
    FlakyBackend.failures, FlakyBackend.sent, FlakyBackend.delay = 0, [], 0.0


def invitation(key: str = "invitation:1", *, language: str = "de", **extra: Any) -> Any:
    """Queue a message through the outbox (the invitation templates serve as any message)."""
    return queue_mail(
        "invitation",
        to=extra.pop("to", ["anna@example.org"]),
        context={
            "organisation": {"name": "Städtepartnerschaft Köln–Lyon"},
            "inviter": "Anna",
            "link": "https://example.org/invitations/x/",
            "days": 7,
        },
        language=language,
        key=key,
        **extra,
    )


def row(key: str = "invitation:1") -> OutboxMessage:
    return OutboxMessage.objects.get(key=key)


# --- queueing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject"),
    [
        # No fund has named the site yet: the subject names it by its host.
        ("de", f"Einladung zur Mitarbeit bei Städtepartnerschaft Köln–Lyon – {site_host()}"),
        ("fr", f"Invitation à rejoindre Städtepartnerschaft Köln–Lyon – {site_host()}"),
    ],
)
def test_a_message_is_queued_once_per_key_in_the_recipients_language(db: Any, server: Any, language: str, subject: str) -> None:  # fmt: skip
    first = invitation(language=language, to=["anna@example.org", "ANNA@example.org", "", "bob@example.org"])  # fmt: skip
    again = invitation(language=language)
    assert first is not None and again is None
    message = row()
    assert (message.subject, message.language, message.status) == (subject, language, "queued")
    assert message.to == ["anna@example.org", "bob@example.org"]
    assert message.body_text.strip() and f'lang="{language}"' not in message.body_text
    assert "<html" in message.body_html
    assert OutboxMessage.objects.count() == 1


def test_nobody_to_write_to_queues_nothing(db: Any) -> None:
    assert invitation(to=["", "  "]) is None
    assert not OutboxMessage.objects.exists()


def test_a_rolled_back_change_leaves_no_message_and_sends_nothing(db: Any, server: Any, committed: Any) -> None:  # fmt: skip
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        assert invitation() is not None
        raise RuntimeError("the change fails after the mail was queued")
    assert not OutboxMessage.objects.exists()
    assert server.sent == []


def test_with_the_database_backend_the_send_task_is_written_with_the_message(db: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DATABASE_TASKS
    with pytest.raises(RuntimeError), transaction.atomic():
        invitation("invitation:rolled-back")
        raise RuntimeError
    assert not OutboxMessage.objects.exists() and not DBTaskResult.objects.exists()
    with transaction.atomic():
        message = invitation()
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "workflows.outbox.send_outbox_message"
    assert task.args_kwargs["args"] == [message.pk]


# --- sending -----------------------------------------------------------------------------------


def test_the_message_goes_out_after_the_commit_and_a_second_run_sends_nothing(db: Any, server: Any, committed: Any) -> None:  # fmt: skip
    with committed():
        message = invitation()
        assert server.sent == []  # not before the commit
    assert [m.to for m in server.sent] == [["anna@example.org"]]
    sent = server.sent[0]
    assert sent.subject == message.subject and sent.body == message.body_text
    assert sent.alternatives[0][1] == "text/html"
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None
    assert send_outbox_message.call(message.pk) == "already_sent"
    assert send_outbox_message.enqueue(message.pk).return_value == "already_sent"
    assert send_due_messages() == 0
    assert len(server.sent) == 1


def test_a_mail_server_that_fails_three_times_then_works_sends_the_message_once(db: Any, server: Any, committed: Any) -> None:  # fmt: skip
    server.failures = 3
    with committed():
        invitation()  # first attempt: the task after the commit
    message = row()
    assert (message.status, message.attempts) == ("retrying", 1)
    first_retry = message.next_attempt_at
    assert send_due_messages(now=first_retry - timedelta(seconds=1)) == 0  # not due yet
    assert row().attempts == 1
    now = first_retry
    for expected_attempts in (2, 3):
        assert send_due_messages(now=now) == 0
        message = row()
        assert (message.status, message.attempts) == ("retrying", expected_attempts)
        now = message.next_attempt_at
    assert send_due_messages(now=now) == 1
    message = row()
    assert len(server.sent) == 1
    assert (message.status, message.attempts, message.sent_at) == ("sent", 4, now)
    assert message.next_attempt_at is None
    errors = message.last_error.splitlines()
    assert [line.split(" at ")[0] for line in errors] == ["attempt 1", "attempt 2", "attempt 3"]
    assert all("SMTPServerDisconnected: Connection unexpectedly closed" in e for e in errors)
    assert send_due_messages(now=now + timedelta(days=1)) == 0
    assert len(server.sent) == 1


def test_back_off_grows_from_one_minute_and_stops_at_failed_after_ten_attempts(db: Any, server: Any, committed: Any) -> None:  # fmt: skip
    server.failures = 1000
    with committed():
        invitation()
    waits = []
    previous = row().next_attempt_at
    waits.append(retry_delay(1))
    while row().status == OutboxStatus.RETRYING:
        send_due_messages(now=previous)
        message = row()
        if message.next_attempt_at is not None:
            waits.append(message.next_attempt_at - previous)
            previous = message.next_attempt_at
    assert [w / timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 64, 128, 256]
    message = row()
    assert (message.status, message.attempts, message.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)  # fmt: skip
    assert len(message.last_error.splitlines()) == MAX_ATTEMPTS
    assert send_due_messages(now=clock.now() + timedelta(days=30)) == 0
    assert row().attempts == MAX_ATTEMPTS and server.sent == []
    assert retry_delay(10) == retry_delay(50) == LONGEST_RETRY == timedelta(hours=6)


def test_a_backend_that_can_defer_gets_the_retry_enqueued_for_its_time(db: Any, server: Any, settings: Any, committed: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    with committed():
        message = invitation()  # the dummy backend keeps the task instead of running it
    [first] = task_backends["default"].results
    assert first.task.run_after is None and first.args == [message.pk]
    server.failures = 1
    before = clock.now()
    with committed():
        assert deliver(message.pk) == Outcome.RETRYING
    retry = task_backends["default"].results[-1]
    assert retry.task.func is send_outbox_message.func and retry.args == [message.pk]
    assert before + timedelta(minutes=1) <= retry.task.run_after <= clock.now() + timedelta(minutes=1)  # fmt: skip
    # A task that comes early (another run retried meanwhile) leaves the message alone.
    assert deliver(message.pk) == Outcome.NOT_DUE
    assert row().attempts == 1


def test_a_second_sender_leaves_a_message_alone_while_the_first_is_sending_it(db: Any, server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    settings.EMAIL_BACKEND = f"{__name__}.CuriousBackend"
    CuriousBackend.second_sender = []
    message = invitation()
    assert deliver(message.pk) == Outcome.SENT
    assert CuriousBackend.second_sender == [Outcome.BUSY]  # even "send now" waits
    assert len(server.sent) == 1 and row().attempts == 1


def _as_if_the_claim_were_old(message: OutboxMessage) -> None:
    """Claims are on the real clock: move this one back instead of waiting."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        claimed_at=F("claimed_at") - CLAIM_TIMEOUT - timedelta(seconds=1)
    )


def test_a_message_whose_sender_died_while_sending_goes_out_with_the_sweep_after_the_claim_timeout(db: Any, server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    message = invitation()
    settings.EMAIL_BACKEND = f"{__name__}.DyingBackend"
    with pytest.raises(SystemExit):
        deliver(message.pk)
    assert (row().status, row().attempts) == ("sending", 1)
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    # A claim younger than the timeout may belong to a sender that is still talking.
    assert not due_messages().exists()
    assert send_due_messages() == 0
    assert deliver(message.pk, force=True) == Outcome.BUSY
    assert server.sent == []

    _as_if_the_claim_were_old(message)
    assert list(due_messages()) == [message]
    assert send_due_messages() == 1
    assert len(server.sent) == 1
    message = row()
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.last_error.startswith("attempt 1 at ")
    assert "the sender stopped before recording the outcome" in message.last_error
    assert send_due_messages() == 0 and len(server.sent) == 1


def test_a_sender_that_died_in_the_last_attempt_leaves_the_message_failed(db: Any, server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    message = invitation()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.RETRYING, attempts=MAX_ATTEMPTS - 1)  # fmt: skip
    settings.EMAIL_BACKEND = f"{__name__}.DyingBackend"
    with pytest.raises(SystemExit):
        deliver(message.pk)
    _as_if_the_claim_were_old(message)
    assert send_due_messages() == 0
    assert (row().status, row().attempts, row().next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert server.sent == []


def test_the_command_sends_what_is_due(db: Any, server: Any, settings: Any) -> None:
    settings.TASKS = DUMMY_TASKS  # the task never runs: as if the worker had lost it
    invitation()
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert out.getvalue().startswith("Sent 1 e-mail(s); 0 waiting to retry, 0 failed.")
    assert len(server.sent) == 1 and row().status == "sent"


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


def _race(jobs: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[index] = job()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, j), daemon=True) for i, j in enumerate(jobs)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    return outcomes


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_time_send_each_message_once(server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS  # queued only: the sweeps do the sending
    for number in range(12):
        invitation(f"invitation:{number}")
    server.delay = 0.05  # a slow server, so that the sweeps overlap
    outcomes = _race([send_due_messages, send_due_messages, send_due_messages])
    assert not any(isinstance(o, BaseException) for o in outcomes), outcomes
    assert sum(outcomes) == 12
    assert len(server.sent) == 12
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_transactions_queueing_the_same_key_at_once_write_one_message(server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS

    def queue() -> bool:
        with transaction.atomic():
            queued = invitation("invitation:race") is not None
            time.sleep(0.2)  # keep the transaction open while the other one inserts
        return queued

    outcomes = _race([queue, queue])
    assert sorted(outcomes) == [False, True], outcomes
    assert OutboxMessage.objects.filter(key="invitation:race").count() == 1


# --- the administrators' view --------------------------------------------------------------------


def _admin_url(view: str = "changelist") -> str:
    return reverse(f"admin:workflows_outboxmessage_{view}")


def test_the_admin_lists_the_outbox_for_administrators_only(client: Any, cast: Any, server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    message = invitation()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.RETRYING, attempts=2, last_error="attempt 2 at now: SMTPError: busy"
    )
    client.force_login(cast.admin)
    page = client.get(_admin_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert message.subject in text and "anna@example.org" in text and "SMTPError: busy" in text
    assert client.get(reverse("admin:workflows_outboxmessage_change", args=[message.pk])).status_code == 200  # fmt: skip
    assert client.get(_admin_url("add")).status_code == 403
    for user in (cast.manager, cast.reviewer, cast.finance, cast.funder):
        client.force_login(user)
        assert client.get(_admin_url()).status_code in (302, 403), user


def test_send_now_in_the_admin_sends_the_selected_retrying_and_failed_messages(client: Any, cast: Any, server: Any, settings: Any) -> None:  # fmt: skip
    settings.TASKS = DUMMY_TASKS
    failed, queued = invitation("invitation:failed"), invitation("invitation:queued")
    OutboxMessage.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED, attempts=MAX_ATTEMPTS)  # fmt: skip
    client.force_login(cast.admin)
    response = client.post(
        _admin_url(), {"action": "send_now", "_selected_action": [failed.pk, queued.pk]}
    )
    assert response.status_code == 302
    assert [m.subject for m in server.sent] == [failed.subject]
    assert row("invitation:failed").status == "sent"
    assert row("invitation:failed").attempts == MAX_ATTEMPTS + 1
    assert row("invitation:queued").status == "queued"  # only retrying and failed ones
    client.force_login(cast.manager)
    assert client.post(_admin_url(), {"action": "send_now", "_selected_action": [queued.pk]}).status_code == 403  # fmt: skip
    assert row("invitation:queued").status == "queued"

"""The e-mail outbox: every message is a row written with the change that caused it.

`queue_mail()` renders the three templates of a message (`emails/<name>.subject.txt`, `.txt`,
`.html`) in the recipient's language and writes an `OutboxMessage` in the current transaction,
so a rolled-back change leaves no mail; its `key` makes the message unique, so a message that
two runs (or two workers) decide to send is queued once. It then enqueues `send_outbox_message`
with the change (`workflows.tasks.enqueue_with_change`).

`deliver()` (what the task runs) sends one message under a row lock and records the outcome:
sent, or another attempt later with exponential back-off (1, 2, 4 ... minutes, at most six
hours) until `MAX_ATTEMPTS` have failed. The row, not the task, is the durable record: the
sweep `send_due_messages()` (`manage.py send_outbox`, the deadline scheduler) sends whatever
is due, including first attempts whose task was lost, so nothing is lost while the mail server
is down. Delivery is at least once: a crash between the server accepting a message and the
commit that marks it sent means it is sent again later.

Generic: this module knows no domain app; the messages themselves live with the apps (e.g.
`applications.emails`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from workflows import clock
from workflows.models import OutboxMessage, OutboxStatus, TransitionLog
from workflows.tasks import enqueue_with_change, send_outbox_message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)
# What the row keeps of the errors: one line per failed attempt, the most recent last.
_ERROR_LINE_CHARS = 500
_ERROR_LINES_KEPT = MAX_ATTEMPTS + 5
_KEY_MAX = OutboxMessage._meta.get_field("key").max_length or 200
_SUBJECT_MAX = OutboxMessage._meta.get_field("subject").max_length or 300
_DUE_STATES = (OutboxStatus.QUEUED, OutboxStatus.RETRYING)


class Outcome(StrEnum):
    """What one call of `deliver()` did (the task's return value)."""

    SENT = "sent"
    RETRYING = "retrying"  # this attempt failed; another follows at next_attempt_at
    FAILED = "failed"  # this attempt failed and was the last one
    ALREADY_SENT = "already_sent"
    NOT_DUE = "not_due"  # waiting for its next attempt, or failed for good (without force)
    BUSY = "busy"  # another worker holds the row right now
    MISSING = "missing"


# --- queueing ----------------------------------------------------------------------------------


def render(name: str, *, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject (one line), text and HTML of message `name`, rendered in `language`."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    return subject, text, html


def _recipients(to: list[str]) -> list[str]:
    """The addresses without blanks and duplicates (ignoring case), in their order."""
    seen: set[str] = set()
    unique = []
    for address in to:
        address = (address or "").strip()
        if address and address.lower() not in seen:
            seen.add(address.lower())
            unique.append(address)
    return unique


def queue_mail(
    name: str,
    *,
    to: list[str],
    context: dict[str, Any],
    language: str,
    key: str,
    log: TransitionLog | None = None,
) -> OutboxMessage | None:
    """Queue message `name` for `to` once: the new row, or None if `key` was queued before (or
    there is nobody to write to).

    Call inside the transaction of the change the message reports: the row (and, with the
    database task backend, the send task) commits or rolls back with it.
    """
    if not key or len(key) > _KEY_MAX:
        raise ValueError(f"An outbox key needs 1 to {_KEY_MAX} characters: {key!r}")
    recipients = _recipients(to)
    if not recipients:
        logger.warning("E-mail %s not queued: no recipient", key)
        return None
    if OutboxMessage.objects.filter(key=key).exists():
        return None
    language = language or settings.LANGUAGE_CODE
    subject, text, html = render(name, context=context, language=language)
    try:
        # A savepoint: a concurrent transaction that queued the same key first makes this
        # insert fail without breaking the caller's transaction.
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                key=key,
                to=recipients,
                language=language,
                subject=subject,
                body_text=text,
                body_html=html,
                log=log,
            )
    except IntegrityError:
        if OutboxMessage.objects.filter(key=key).exists():
            return None
        raise
    enqueue_with_change(send_outbox_message, message.pk)
    return message


# --- sending -----------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4, 8 ... minutes, at
    most LONGEST_RETRY."""
    exponent = max(attempts, 1) - 1
    if exponent >= 20:  # far beyond the cap; spares the big power
        return LONGEST_RETRY
    return min(FIRST_RETRY * 2**exponent, LONGEST_RETRY)


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        settings.DEFAULT_FROM_EMAIL,
        list(message.to),
        headers={"Auto-Submitted": "auto-generated"},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


def _error_line(attempt: int, now: datetime, exc: BaseException) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())[:_ERROR_LINE_CHARS]
    return f"attempt {attempt} at {now.isoformat(timespec='seconds')}: {text}"


def _supports_defer() -> bool:
    from django_tasks import task_backends

    return bool(task_backends["default"].supports_defer)


def deliver(message_id: int, *, now: datetime | None = None, force: bool = False) -> Outcome:
    """Send one message if it is due, under its row lock; record the outcome on the row.

    `force` sends a message that waits for its next attempt or has failed for good (the
    administrator's "send now"). A failed attempt sets the next one with back-off and, when the
    task backend can defer tasks, enqueues the task for that moment; otherwise the sweep
    (`send_due_messages`) picks it up.
    """
    now = now or clock.now()
    with transaction.atomic():
        # Skip a row another worker is sending right now (PostgreSQL); SQLite's IMMEDIATE
        # transactions already admit one writer at a time.
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        )
        if message is None:
            exists = OutboxMessage.objects.filter(pk=message_id).exists()
            return Outcome.BUSY if exists else Outcome.MISSING
        if message.status == OutboxStatus.SENT:
            return Outcome.ALREADY_SENT
        if not force and (
            message.status == OutboxStatus.FAILED
            or (message.next_attempt_at is not None and message.next_attempt_at > now)
        ):
            return Outcome.NOT_DUE
        message.attempts += 1
        try:
            _email(message).send()
        except Exception as exc:
            return _record_failure(message, now, exc)
        message.status = OutboxStatus.SENT
        message.sent_at = now
        message.next_attempt_at = None
        message.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
        return Outcome.SENT


def _record_failure(message: OutboxMessage, now: datetime, exc: Exception) -> Outcome:
    logger.warning("E-mail %s: attempt %s failed: %s", message.key, message.attempts, exc)
    lines = [*message.last_error.splitlines(), _error_line(message.attempts, now, exc)]
    message.last_error = "\n".join(lines[-_ERROR_LINES_KEPT:])
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        message.next_attempt_at = None
    else:
        delay = retry_delay(message.attempts)
        message.status = OutboxStatus.RETRYING
        message.next_attempt_at = now + delay
        if _supports_defer():
            # Run after the moment on the real clock (the domain clock may travel in tests).
            later = send_outbox_message.using(run_after=timezone.now() + delay)
            enqueue_with_change(later, message.pk)
    message.save(update_fields=["attempts", "status", "last_error", "next_attempt_at"])
    return Outcome.FAILED if message.status == OutboxStatus.FAILED else Outcome.RETRYING


def due_messages(now: datetime | None = None) -> models.QuerySet[OutboxMessage]:
    """Queued and retrying messages whose (next) attempt is due at `now`."""
    now = now or clock.now()
    return OutboxMessage.objects.filter(
        models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now),
        status__in=_DUE_STATES,
    )


def send_due_messages(now: datetime | None = None) -> int:
    """Try every message that is due; returns how many were sent.

    Safe to run twice at once: each message is sent under its row lock, and a row another run
    holds is skipped (it is being sent).
    """
    now = now or clock.now()
    ids = list(due_messages(now).order_by("pk").values_list("pk", flat=True))
    return sum(deliver(pk, now=now) == Outcome.SENT for pk in ids)

"""The e-mail outbox: every message is a row written with the change that caused it.

`queue_mail()` renders the three templates of a message (`emails/<name>.subject.txt`, `.txt`,
`.html`) in the recipient's language, with its sender (`workflows.senders`: the display name of
From, the Reply-To, the sign-off), and writes an `OutboxMessage` in the current transaction,
so a rolled-back change leaves no mail; its `key` makes the message unique, so a message that
two runs (or two workers) decide to send is queued once. It then enqueues `send_outbox_message`
with the change (`workflows.queue.enqueue_with_change`).

`deliver()` (what the task runs) sends one message in three short steps, so that no database
transaction is open while the mail server talks (each network operation is bounded by
EMAIL_TIMEOUT): it claims the message (a conditional update: `sending`, the attempt counted;
of two senders only one wins), sends it, and records the outcome: sent, or another attempt
later with exponential back-off (1, 2, 4 ... minutes, at most six hours) until `MAX_ATTEMPTS`
have failed. The row, not the task, is the durable record: the sweep `send_due_messages()`
(`manage.py send_outbox`, the deadline scheduler) sends whatever is due, including first
attempts whose task was lost and messages whose sender died while sending (claimed longer ago
than `CLAIM_TIMEOUT`), so nothing is lost while the mail server is down or a worker is killed.
Delivery is at least once: a sender that dies between the server accepting a message and the
write that marks it sent leaves it to be sent again.

Generic: this module knows no domain app; the messages themselves live with the apps (e.g.
`applications.emails`).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from workflows import clock, senders
from workflows.effects import retry_delay
from workflows.models import OutboxMessage, OutboxStatus, TransitionLog
from workflows.queue import enqueue_with_change

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# What the row keeps of the errors: one line per failed attempt, the most recent last.
_ERROR_LINE_CHARS = 500
_ERROR_LINES_KEPT = MAX_ATTEMPTS + 5
_KEY_MAX = OutboxMessage._meta.get_field("key").max_length or 200
_SUBJECT_MAX = OutboxMessage._meta.get_field("subject").max_length or 300
_FROM_NAME_MAX = OutboxMessage._meta.get_field("from_name").max_length or 200
_DUE_STATES = (OutboxStatus.QUEUED, OutboxStatus.RETRYING)
# The template engine that escapes nothing (settings.TEMPLATES): subjects and text bodies.
TEXT_TEMPLATES = "text"
# A message `sending` for this long lost its sender (killed, machine gone): a live send gives up
# after a few EMAIL_TIMEOUTs (20 s each by default), so this leaves a wide margin.
CLAIM_TIMEOUT = timedelta(minutes=15)


class Outcome(StrEnum):
    """What one call of `deliver()` did (the task's return value)."""

    SENT = "sent"
    RETRYING = "retrying"  # this attempt failed; another follows at next_attempt_at
    FAILED = "failed"  # this attempt failed and was the last one
    ALREADY_SENT = "already_sent"
    NOT_DUE = "not_due"  # waiting for its next attempt, or failed for good (without force)
    BUSY = "busy"  # another sender is sending it right now (it holds the claim)
    MISSING = "missing"


# --- queueing ----------------------------------------------------------------------------------


def render(
    name: str, *, context: dict[str, Any], language: str, about: Any = None
) -> tuple[str, str, str]:
    """Subject (one line), text and HTML of message `name`, rendered in `language` with the
    context of its sender (`senders.sender_for(about)`: the site's name, the sign-off)."""
    _sender, subject, text, html = _render(name, context=context, language=language, about=about)
    return subject, text, html


def _render(
    name: str, *, context: dict[str, Any], language: str, about: Any
) -> tuple[senders.Sender, str, str, str]:
    with translation.override(language):
        sender = senders.sender_for(about)
        context = {**sender.context, **context}
        line = render_to_string(f"emails/{name}.subject.txt", context, using=TEXT_TEMPLATES)
        # One line, its breaks and runs of spaces as one space; a non-breaking space (French
        # typography before a colon) stays.
        subject = re.sub(r"[ \t\r\n]+", " ", line).strip()
        text = render_to_string(f"emails/{name}.txt", context, using=TEXT_TEMPLATES)
        html = render_to_string(f"emails/{name}.html", context)
    if len(subject) > _SUBJECT_MAX:
        subject = subject[: _SUBJECT_MAX - 1] + "…"
    return sender, subject, text, html


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


@task()
def send_outbox_message(message_id: int, force: bool = False) -> str:
    """The task of one outbox e-mail: send it if it is due (see `deliver`); the outcome."""
    return str(deliver(message_id, force=force))


def queue_mail(
    name: str,
    *,
    to: list[str],
    context: dict[str, Any],
    language: str,
    key: str,
    log: TransitionLog | None = None,
    about: Any = None,
) -> OutboxMessage | None:
    """Queue message `name` for `to` once: the new row, or None if `key` was queued before (or
    there is nobody to write to). `about` (e.g. the fund an application belongs to) tells
    `workflows.senders` whose message it is; None: the site's.

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
    sender, subject, text, html = _render(name, context=context, language=language, about=about)
    try:
        # A savepoint: a concurrent transaction that queued the same key first makes this
        # insert fail without breaking the caller's transaction.
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                key=key,
                to=recipients,
                from_name=sender.name[:_FROM_NAME_MAX],
                reply_to=list(sender.reply_to),
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


def _email(message: OutboxMessage) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        message.subject,
        message.body_text,
        senders.from_header(message.from_name),
        list(message.to),
        reply_to=list(message.reply_to or []),
        headers={"Auto-Submitted": "auto-generated"},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


def _error_line(attempt: int, at: datetime, error: str) -> str:
    text = " ".join(error.split())[:_ERROR_LINE_CHARS]
    return f"attempt {attempt} at {at.isoformat(timespec='seconds')}: {text}"


def _with_error(message: OutboxMessage, at: datetime, error: str) -> str:
    """The row's error lines with this attempt's appended (the oldest dropped)."""
    lines = [*message.last_error.splitlines(), _error_line(message.attempts, at, error)]
    return "\n".join(lines[-_ERROR_LINES_KEPT:])


def _supports_defer() -> bool:
    from django_tasks import task_backends

    return bool(task_backends["default"].supports_defer)


def deliver(message_id: int, *, now: datetime | None = None, force: bool = False) -> Outcome:
    """Send one message if it is due and record the outcome on the row (see the module's text).

    Call it outside a transaction (a task, the sweep): the claim must commit before the mail
    server is asked, and the outcome is written after. `force` sends a message that waits for
    its next attempt or has failed for good (the administrator's "send now"), never one that
    another sender holds. A failed attempt sets the next one with back-off and, when the task
    backend can defer tasks, enqueues the task for that moment; otherwise the sweep picks it up.
    """
    now = now or clock.now()
    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None:
        return Outcome.MISSING
    if message.status == OutboxStatus.SENT:
        return Outcome.ALREADY_SENT
    if message.status == OutboxStatus.SENDING:
        return Outcome.BUSY
    if not force and not message.is_due(now):
        return Outcome.NOT_DUE
    if not _claim(message):
        return Outcome.BUSY
    try:
        _email(message).send()
    except Exception as exc:
        return _record_failure(message, now, exc)
    _record_sent(message, now)
    return Outcome.SENT


def _claim(message: OutboxMessage) -> bool:
    """Mark the message `sending` if it is still as we read it; False if another sender came
    first. Status and attempts change with every claim, so comparing both rules out two
    winners; autocommitted, the claim is visible to every other sender at once."""
    claimed_at = timezone.now()
    won = OutboxMessage.objects.filter(
        pk=message.pk, status=message.status, attempts=message.attempts
    ).update(status=OutboxStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1)
    if won:
        message.status, message.claimed_at = OutboxStatus.SENDING, claimed_at
        message.attempts += 1
    return bool(won)


def _still_claimed(message: OutboxMessage) -> models.QuerySet[OutboxMessage]:
    """The row, if the claim `message` holds is still the current one (not taken back by the
    sweep after CLAIM_TIMEOUT, and perhaps claimed anew)."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.SENDING, claimed_at=message.claimed_at
    )


def _record_sent(message: OutboxMessage, now: datetime) -> None:
    # Even a claim that was taken back meanwhile: the server has the message, so nobody
    # should send it again.
    OutboxMessage.objects.filter(pk=message.pk).exclude(status=OutboxStatus.SENT).update(
        status=OutboxStatus.SENT, sent_at=now, next_attempt_at=None
    )


def _record_failure(message: OutboxMessage, now: datetime, exc: Exception) -> Outcome:
    logger.warning("E-mail %s: attempt %s failed: %s", message.key, message.attempts, exc)
    last = message.attempts >= MAX_ATTEMPTS
    delay = retry_delay(message.attempts)
    recorded = _still_claimed(message).update(
        status=OutboxStatus.FAILED if last else OutboxStatus.RETRYING,
        next_attempt_at=None if last else now + delay,
        last_error=_with_error(message, now, f"{type(exc).__name__}: {exc}"),
    )
    if not recorded:
        return Outcome.BUSY  # the sweep took the message back; its new sender decides
    if last:
        return Outcome.FAILED
    if _supports_defer():
        # Run after the moment on the real clock (the domain clock may travel in tests).
        later = send_outbox_message.using(run_after=timezone.now() + delay)
        enqueue_with_change(later, message.pk)
    return Outcome.RETRYING


def _abandoned() -> Q:
    """Messages whose sender died while sending: claimed longer than CLAIM_TIMEOUT ago."""
    return Q(status=OutboxStatus.SENDING, claimed_at__lt=timezone.now() - CLAIM_TIMEOUT)


def take_back_abandoned(now: datetime | None = None) -> int:
    """Messages whose sender died while sending are due again at once (failed, if that was
    their last attempt); returns how many. The abandoned attempt counts as failed: whether
    the server got the message is unknown, so it may arrive twice."""
    now = now or clock.now()
    taken = 0
    for message in OutboxMessage.objects.filter(_abandoned()):
        last = message.attempts >= MAX_ATTEMPTS
        error = "the sender stopped before recording the outcome (perhaps sent)"
        taken += _still_claimed(message).update(
            status=OutboxStatus.FAILED if last else OutboxStatus.RETRYING,
            next_attempt_at=None if last else now,
            last_error=_with_error(message, message.claimed_at or now, error),
        )
    if taken:
        logger.warning("Outbox: %s message(s) taken back from senders that died", taken)
    return taken


def due_messages(now: datetime | None = None) -> models.QuerySet[OutboxMessage]:
    """Queued and retrying messages whose (next) attempt is due at `now`, and the ones whose
    sender died while sending."""
    now = now or clock.now()
    time_has_come = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return OutboxMessage.objects.filter(Q(status__in=_DUE_STATES) & time_has_come | _abandoned())


def send_due_messages(now: datetime | None = None) -> int:
    """Try every message that is due; returns how many were sent.

    Safe to run twice at once, and beside the tasks: each message is claimed before it is
    sent, and one another sender holds is skipped.
    """
    now = now or clock.now()
    take_back_abandoned(now)
    ids = list(due_messages(now).order_by("pk").values_list("pk", flat=True))
    return sum(deliver(pk, now=now) == Outcome.SENT for pk in ids)

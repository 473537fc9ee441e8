"""The append-only, hash-chained audit log of every state change."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from workflows import clock
from workflows.fields import CleanCharField, CleanTextField

GENESIS_HASH = "0" * 64
# Any fixed number: the key of the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_340_001


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an audit row."""


class TransitionLogQuerySet(models.QuerySet["TransitionLog"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("The transition log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:  # type: ignore[override]
        raise AppendOnlyError("The transition log is append-only.")

    def visible_to(self, user: Any) -> TransitionLogQuerySet:
        """Administrators read the whole log; managers the rows of the records they may see
        (each record's own rule, `visible_to`); nobody else any. The records' models are found
        through their content types: this app imports no domain app."""
        from workflows.roles import Role, has_role

        if has_role(user, Role.ADMINISTRATOR):
            return self
        if not has_role(user, Role.MANAGER):
            return self.none()
        seen = models.Q(pk__in=[])
        for content_type in ContentType.objects.filter(pk__in=self.values("content_type")):
            model = content_type.model_class()
            visible_to = getattr(getattr(model, "objects", None), "visible_to", None)
            if visible_to is None:
                continue
            keys = visible_to(user).annotate(key=Cast("pk", models.CharField())).values("key")
            seen |= models.Q(content_type=content_type, object_id__in=keys)
        return self.filter(seen)

    def for_object(self, obj: models.Model) -> TransitionLogQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
        )


def normalise_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Dates, Decimals and UUIDs become strings so the stored JSON hashes the same after a reload."""
    return json.loads(json.dumps(payload, cls=DjangoJSONEncoder))


def link_onto_chain(log_model: Any, rows: list[Any]) -> None:
    """The one place that links rows: lock the chain, then give each unsaved row, in order, the
    hash of the row before it and its own. `log_model` is TransitionLog, or a migration's
    historical copy of it; the caller inserts the rows in the same transaction."""
    lock_chain()
    previous = log_model.objects.order_by("-id").values_list("hash", flat=True).first()
    previous = previous or GENESIS_HASH
    for row in rows:
        row.prev_hash = previous
        row.hash = previous = chain_digest(row)


def chain_digest(row: Any) -> str:
    """SHA-256 over a log row's content and the previous row's hash. A function of the row's
    fields only, so that migrations can chain rows of the historical model too."""
    body = {
        "prev": row.prev_hash,
        "type": f"{row.content_type.app_label}.{row.content_type.model}",
        "object": row.object_id,
        "transition": row.transition,
        "source": row.source,
        "target": row.target,
        "actor": row.actor_id,
        "actor_label": row.actor_label,
        "note": row.note,
        "payload": row.payload,
        "at": row.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class TransitionLog(models.Model):
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    transition = models.CharField(max_length=64)
    source = models.CharField(max_length=32)
    target = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = CleanCharField(max_length=150)
    note = CleanTextField(blank=True)
    payload = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = TransitionLogQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id", "id"])]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id}: {self.source} -> {self.target}"

    def content_digest(self) -> str:
        return chain_digest(self)

    @classmethod
    def append(
        cls,
        *,
        obj: models.Model,
        transition: str,
        source: str,
        target: str,
        actor: Any,
        note: str,
        payload: dict[str, Any],
    ) -> TransitionLog:
        """Add a row at the end of the chain; call inside the transaction of the state change."""
        row = cls(
            content_type=ContentType.objects.get_for_model(type(obj)),
            object_id=str(obj.pk),
            transition=transition,
            source=source,
            target=target,
            actor=actor,
            actor_label=actor.get_username() if actor is not None else "system",
            note=note,
            payload=normalise_payload(payload),
            created_at=clock.now(),
        )
        cls.append_rows([row])
        return row

    @classmethod
    def append_rows(cls, rows: list[TransitionLog]) -> None:
        """Chain unsaved rows, in their order, onto the end of the log and insert them.

        `append()` passes one, bulk loads of whole histories (the demo's copies) pass many. Call
        inside the transaction that writes what they record.
        """
        link_onto_chain(cls, rows)
        if len(rows) == 1:
            super(TransitionLog, rows[0]).save(force_insert=True)
        else:
            cls.objects.bulk_create(rows)  # type: ignore[arg-type]  # rows are cls

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise AppendOnlyError("Audit rows are written by TransitionLog.append() only.")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("The transition log is append-only.")


def lock_chain() -> None:
    """Serialise appends so two transactions never fork the chain.

    SQLite needs nothing: its IMMEDIATE transactions already admit one writer at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    SENDING = "sending", "sending"  # a sender has claimed it and talks to the mail server
    SENT = "sent", "sent"
    RETRYING = "retrying", "retrying"
    FAILED = "failed", "failed"


class OutboxMessage(models.Model):
    """An e-mail on its way out: written with the change that caused it, sent by a task.

    The row is the durable record (the task is only the trigger): a mail server that is down
    leaves the message `retrying` with its next attempt; `key` makes each message unique, so a
    reminder that several runs of the scheduler decide to send goes out once. While a sender
    talks to the mail server the message is `sending`, claimed at `claimed_at`; a claim that
    grows old belonged to a sender that died, and the sweep takes the message back.
    """

    key = models.CharField(max_length=200, unique=True)
    to = models.JSONField(default=list)
    # Who it comes from (workflows.senders), fixed when it is queued like its text: the display
    # name of From (empty: DEFAULT_FROM_EMAIL as it is) and the Reply-To addresses.
    from_name = models.CharField(max_length=200, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=OutboxStatus, default=OutboxStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When the latest attempt began, on the real clock (a sender's lifetime is not domain time).
    claimed_at = models.DateTimeField(null=True, blank=True)
    log = models.ForeignKey(
        TransitionLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} -> {', '.join(self.to)} ({self.status})"

    def is_due(self, now: datetime) -> bool:
        """Waiting for its first attempt, or for a retry whose time has come."""
        waiting = self.status in (OutboxStatus.QUEUED, OutboxStatus.RETRYING)
        return waiting and (self.next_attempt_at is None or self.next_attempt_at <= now)


class IdempotentRequest(models.Model):
    """A write request sent with an `Idempotency-Key`, and the answer it got.

    A client that retries (a timeout, a lost connection) with the same key gets the stored answer
    instead of the work being done twice. One key per user; kept for a day (see
    `workflows.api.idempotency`). The row is inserted before the work, in the same transaction:
    a second request with the key waits on the unique index until the first has answered.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    body_sha256 = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}] -> {self.status_code or '…'}"


class SideEffectStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class SideEffect(models.Model):
    """One side effect a change causes (an e-mail to queue, a document to issue, review tasks to
    open), written in the change's own transaction: a committed change never loses one, a
    rolled-back one leaves none. A task (or, failing that, the sweeper of `run_deadlines`) runs
    its handler; handlers are idempotent, so a second run does nothing twice.

    `status` is delivery bookkeeping, like the outbox's, not a state of the domain: it changes
    outside `perform()` and the audit chain (see workflows.effects).
    """

    log = models.ForeignKey(
        TransitionLog,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="side_effects",
        help_text=_("the transition that caused it"),
    )
    event = models.CharField(
        max_length=100, blank=True, help_text=_("or the event that caused it (not a transition)")
    )
    event_ids = models.JSONField(default=dict, blank=True)
    handler = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=SideEffectStatus, default=SideEffectStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    next_attempt_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    waits_for = models.CharField(
        _("waits for"),
        max_length=100,
        blank=True,
        help_text=_("what the side effect waits for before it can run (see its last error)"),
    )

    class Meta:
        verbose_name = _("side effect")
        verbose_name_plural = _("side effects")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["log", "handler"],
                condition=models.Q(log__isnull=False),
                name="one_side_effect_per_handler_and_change",
            )
        ]
        indexes = [
            # The sweeper's question: what is waiting or stuck, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="side_effect_due"),
            # What waits for a condition (workflows.effects.Postponed), e.g. a fund's identity.
            models.Index(
                fields=["waits_for", "status"],
                condition=~models.Q(waits_for=""),
                name="side_effect_waiting",
            ),
        ]

    def __str__(self) -> str:
        cause = f"log {self.log_id}" if self.log_id else self.event
        return f"{self.handler} ({cause}): {self.status}"


class SavedFilter(models.Model):
    """A person's named filter of a staff list: the list's address and its query string, so the
    link to apply it (or to share it) is that address. Which lists take saved filters, and
    which fields each knows, is in `workflows.saved_filters`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    view_name = models.CharField(max_length=100)
    path = models.CharField(max_length=200)
    name = CleanCharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "path", "name"], name="one_filter_per_name")
        ]
        indexes = [models.Index(fields=["user", "path"], name="saved_filters_of_a_list")]

    def __str__(self) -> str:
        return self.name

    @property
    def url(self) -> str:
        """The list with this filter: what it applies and what one shares."""
        return f"{self.path}?{self.query}"

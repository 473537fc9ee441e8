"""Verification of the transition log: its hash chain, and that it explains every current state.

The chain alone cannot notice rows cut off its end (or an emptied log): every remaining row still
links to the one before it. So the log is also held against the objects themselves: each object's
current state must be the target of its last row, and an object that left its initial state
must have rows at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows.models import GENESIS_HASH, TransitionLog, link_onto_chain


@dataclass(frozen=True)
class BrokenLink:
    log_id: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify_chain(progress: Callable[[int], None] | None = None) -> ChainReport:
    """Walk the log in order; stop at the first row whose content or link does not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    rows = TransitionLog.objects.select_related("content_type").order_by("id")
    for row in rows.iterator(chunk_size=2000):
        if row.prev_hash != expected_prev:
            return ChainReport(
                checked, BrokenLink(row.pk, "does not link to the row before it (missing row?)")
            )
        if row.content_digest() != row.hash:
            return ChainReport(checked, BrokenLink(row.pk, "content does not match its hash"))
        expected_prev = row.hash
        checked += 1
        if progress is not None:
            progress(1)
    return ChainReport(checked, unexplained_state())


def unexplained_state() -> BrokenLink | None:
    """The first object whose current state the log does not account for, if any."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Max
    from django_fsm import FSMFieldMixin

    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, FSMFieldMixin)]
        if not fields:
            continue
        field = fields[0]
        content_type = ContentType.objects.get_for_model(model)
        rows = TransitionLog.objects.filter(content_type=content_type)
        last_ids = rows.values("object_id").annotate(last=Max("id")).values("last")
        last_target = {
            object_id: (log_id, target)
            for log_id, object_id, target in TransitionLog.objects.filter(
                id__in=last_ids
            ).values_list("id", "object_id", "target")
        }
        states = model._default_manager.values_list("pk", field.attname)
        for pk, state in states.iterator(chunk_size=5000):
            log_id, target = last_target.get(str(pk), (0, field.get_default()))
            if state != target:
                label = f"{model._meta.label} {pk}"
                return BrokenLink(
                    log_id, f"{label} is “{state}” but its log ends at “{target}” (rows missing?)"
                )
    return None


# The transition of the rows that account for states reached before a machine kept its log.
BEFORE_THE_LOG = "recorded_before_audit"


def log_states_reached_before_the_log(
    apps: Any, app_label: str, model_name: str, *, field: str, initial: str
) -> int:
    """For a migration that puts an existing model's status under `perform()`: append one row
    (by the system) per object whose state its log does not explain, so that `verify_chain` holds
    for data written before. Uses the migration's historical models; returns the rows added."""
    from django.utils import timezone

    model = apps.get_model(app_label, model_name)
    if not model._default_manager.exists():
        return 0  # a new database: nothing was written before
    log = apps.get_model("workflows", "TransitionLog")
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label=app_label, model=model_name.lower()
    )
    logged: dict[str, str] = dict(
        log.objects.filter(content_type=content_type)
        .order_by("id")
        .values_list("object_id", "target")
    )  # later rows overwrite earlier ones: each object's last target
    now = timezone.now()
    rows = [
        log(
            content_type=content_type,
            object_id=str(pk),
            transition=BEFORE_THE_LOG,
            source=logged.get(str(pk), initial),
            target=state,
            actor=None,
            actor_label="system",
            note="",
            payload={},
            created_at=now,
        )
        for pk, state in model._default_manager.order_by("pk").values_list("pk", field)
        if state != logged.get(str(pk), initial)
    ]
    if rows:
        link_onto_chain(log, rows)
        log.objects.bulk_create(rows, batch_size=1000)
    return len(rows)

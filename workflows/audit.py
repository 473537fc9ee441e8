"""Verification of the hash chain of the transition log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflows.models import GENESIS_HASH, TransitionLog


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
    return ChainReport(checked, None)

"""Deadline job of the review workspace: claims held too long go back to the queue."""

from __future__ import annotations

from datetime import datetime

from reviews.services import expire_claims
from workflows.deadlines import register


@register("expire_claims", order=10)
def expire_review_claims(now: datetime) -> int:
    """Claims past their expiry go back to the queue (the task's `expire`, by the system)."""
    return expire_claims()

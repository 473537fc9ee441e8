"""The sweeper of webhook deliveries, a job of `manage.py run_deadlines`."""

from __future__ import annotations

from datetime import datetime

from webhooks import services
from workflows.deadlines import register


def _due(now: datetime) -> list[str]:
    return [
        f"send webhook delivery {pk}" for pk in services.due(now).values_list("pk", flat=True)[:500]
    ]


@register("webhooks", order=86, preview=_due)
def send_webhooks(now: datetime) -> int:
    """Send the deliveries no task sent: due retries, lost first attempts, and those whose
    sender died (after the side effects, which fan the events out)."""
    return services.sweep(now)

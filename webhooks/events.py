"""Which transitions are webhook events, registered as side effects of those transitions.

`workflows.perform()` writes a `SideEffect` row for `fan_out` in the transition's own
transaction (the engine's registry, `workflows.effects`): a committed change never loses its
event, a rolled-back one has none. The apps below know nothing of webhooks.
"""

from __future__ import annotations

from typing import Any

from applications.models import Application
from grants.models import Grant, Payment
from webhooks import services
from webhooks.models import EventType
from workflows import effects

# (model, transition) -> event type
EVENTS: dict[tuple[str, str], EventType] = {
    ("applications.application", "submit"): EventType.APPLICATION_SUBMITTED,
    ("applications.application", "resubmit"): EventType.APPLICATION_SUBMITTED,
    ("applications.application", "approve"): EventType.APPLICATION_DECIDED,
    ("applications.application", "reject"): EventType.APPLICATION_DECIDED,
    ("grants.grant", "accept"): EventType.GRANT_ACCEPTED,
    ("grants.payment", "pay"): EventType.PAYMENT_PAID,
    ("grants.grant", "accept_report"): EventType.REPORT_ACCEPTED,
    ("grants.grant", "close"): EventType.GRANT_CLOSED,
}


def _programme_of(label: str, object_id: int) -> int | None:
    if label == "applications.application":
        return (
            Application.objects.filter(pk=object_id).values_list("programme_id", flat=True).first()
        )
    if label == "grants.grant":
        return Grant.objects.filter(pk=object_id).values_list("programme_id", flat=True).first()
    return (
        Payment.objects.filter(pk=object_id).values_list("grant__programme_id", flat=True).first()
    )


def fan_out(log: Any) -> None:
    """The side effect of every transition in EVENTS (see webhooks.services.fan_out)."""
    label = f"{log.content_type.app_label}.{log.content_type.model}"
    event_type = EVENTS[(label, log.transition)]
    object_id = int(log.object_id)
    services.fan_out(
        log,
        event_type=event_type,
        programme_id=_programme_of(label, object_id),
        object_id=object_id,
    )


for _model, _transition in EVENTS:
    effects.register(_model, _transition)(fan_out)

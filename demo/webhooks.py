"""The demo funder's webhook subscription: all events of all programmes, to a local address,
disabled (so the demo sends nothing anywhere); an administrator points it to a receiver and
enables it in the admin."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from webhooks import services
from webhooks.models import Subscription, all_event_types

DEMO_RECEIVER = "http://127.0.0.1:9999/microgrants-webhooks"


def seed_webhook(cast: Any) -> Subscription | None:
    """The subscription (created once), or None when the settings refuse a local receiver
    (outside development: DEBUG off and no MICROGRANTS_WEBHOOK_ALLOW_HTTP/_PRIVATE)."""
    found = Subscription.objects.filter(owner=cast.funder).first()
    if found is not None:
        return found
    try:
        subscription, _secret = services.subscribe(
            cast.funder,
            by=cast.admin,
            name="Demo-Stiftung: Förderdatenbank",
            url=DEMO_RECEIVER,
            events=all_event_types(),
            all_programmes=True,
        )
    except ValidationError:
        return None
    services.disable(
        subscription,
        by=cast.admin,
        reason="Demo: points to a local address; enter your receiver and enable it.",
    )
    return subscription

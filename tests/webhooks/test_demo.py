"""The demo funder has a webhook subscription to show, which sends nothing anywhere."""

from __future__ import annotations

from typing import Any

import pytest

from demo.webhooks import seed_webhook
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


def test_the_demo_funder_has_a_disabled_subscription_once(cast: Any, settings: Any) -> None:
    settings.DEBUG = True  # the demo's embedded shape
    subscription = seed_webhook(cast)
    assert subscription is not None and seed_webhook(cast) == subscription
    subscription.refresh_from_db()
    assert not subscription.active and subscription.owner == cast.funder
    assert Subscription.objects.count() == 1


def test_outside_development_the_demo_does_not_subscribe_a_local_address(
    cast: Any, settings: Any
) -> None:
    settings.DEBUG = False
    assert seed_webhook(cast) is None

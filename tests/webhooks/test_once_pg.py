"""Never sent twice: the same delivery task run by several workers at once, on PostgreSQL with
real threads (each its own connection), reaches the receiver once."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.conftest import on_postgresql
from tests.test_concurrency_pg import race
from tests.webhooks.conftest import Receiver
from webhooks import services
from webhooks.models import Attempt, Delivery, DeliveryStatus, Event, Subscription
from workflows.models import TransitionLog

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]


def test_a_delivery_task_run_by_eight_workers_at_once_is_sent_once(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str]
) -> None:
    sub, _secret = subscription
    Subscription.objects.filter(pk=sub.pk).update(active=False)  # the drive sends nothing
    application = drive("submitted")
    Subscription.objects.filter(pk=sub.pk).update(active=True)
    log = TransitionLog.objects.for_object(application).get(transition="submit")
    event = Event.objects.get(log=log)  # fanned out while nobody listened: no delivery
    assert not event.deliveries.exists()
    delivery = Delivery.objects.create(event=event, subscription=sub, body='{"x": 1}')

    outcomes = race([lambda: services.deliver(delivery.pk)] * 8)

    assert Counter(map(str, outcomes))["delivered"] == 1, outcomes
    assert set(map(str, outcomes)) <= {"delivered", "busy", "already_done"}
    assert len(receiver.drained()) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert Attempt.objects.filter(delivery=delivery).count() == 1


def test_the_fan_out_run_by_several_workers_at_once_writes_one_delivery_per_subscriber(
    drive: Any, receiver: Receiver, subscription: tuple[Subscription, str], settings: Any
) -> None:
    sub, _secret = subscription
    Subscription.objects.filter(pk=sub.pk).update(active=False)
    application = drive("submitted")
    Subscription.objects.filter(pk=sub.pk).update(active=True)
    log = TransitionLog.objects.for_object(application).get(transition="submit")

    def fan_out() -> int:
        return services.fan_out(
            log, event_type="application.submitted",
            programme_id=application.programme_id, object_id=application.pk,
        )  # fmt: skip

    outcomes = race([fan_out] * 6)
    assert all(not isinstance(o, BaseException) or "unique" in str(o).lower() for o in outcomes)
    assert Event.objects.count() == 1 and Delivery.objects.count() == 1
    assert len(receiver.drained()) == 1

"""Events that are not transitions reach their handlers only when the change commits."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from demo import builders as demo
from grants import services as grant_services
from workflows import effects


@pytest.fixture
def heard() -> Any:
    calls: list[dict[str, int]] = []

    def handler(**ids: int) -> None:
        calls.append(ids)

    effects.on_event("grants.payment_paid")(handler)
    yield calls
    effects._EVENT_HANDLERS["grants.payment_paid"].remove(handler)


def test_a_payment_recorded_as_paid_is_announced_after_the_commit(cast: demo.Cast, heard: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    grant = demo.drive(cast, "approved", "accepted").grant
    payment = grant.payments.get()
    with django_capture_on_commit_callbacks(execute=True):
        grant_services.record_payment_paid(payment, by=cast.finance)
    assert heard == [{"payment_id": payment.pk}]


def test_a_rolled_back_payment_announces_nothing(cast: demo.Cast, heard: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    grant = demo.drive(cast, "approved", "accepted").grant
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():  # fmt: skip
        grant_services.record_payment_paid(grant.payments.get(), by=cast.finance)
        raise RuntimeError
    assert heard == []


def test_suspended_effects_announce_nothing(cast: demo.Cast, heard: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    grant = demo.drive(cast, "approved", "accepted").grant
    with django_capture_on_commit_callbacks(execute=True), effects.suspended():
        grant_services.record_payment_paid(grant.payments.get(), by=cast.finance)
    assert heard == []

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


def test_a_postponed_side_effect_waits_without_using_attempts_and_runs_when_resumed(db: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    """A handler that cannot work yet (`Postponed`) keeps its row waiting, as often as it is
    asked, until `resume(key)`; then it runs at once, and the sweeper's turn comes too late."""
    from workflows import clock
    from workflows.models import SideEffect, SideEffectStatus

    ready: list[bool] = []
    done: list[int] = []

    def handler(*, thing_id: int) -> None:
        if not ready:
            raise effects.Postponed("the thing is not ready", key=f"thing:{thing_id}")
        done.append(thing_id)

    effects.on_event("tests.thing_changed")(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            [row_id] = effects.emit("tests.thing_changed", thing_id=7)
        row = SideEffect.objects.get(pk=row_id)
        assert (row.status, row.attempts, row.waits_for) == (SideEffectStatus.PENDING, 0, "thing:7")
        assert row.last_error == "the thing is not ready"
        assert row.next_attempt_at > clock.now()  # the sweeper asks again only much later
        for _attempt in range(effects.MAX_ATTEMPTS + 2):
            assert effects.run(row_id, force=True) == "postponed"
        assert SideEffect.objects.get(pk=row_id).attempts == 0
        assert effects.resume("thing:8") == 0  # another thing: nothing moves

        ready.append(True)
        with django_capture_on_commit_callbacks(execute=True):
            assert effects.resume("thing:7") == 1
        row.refresh_from_db()
        assert (row.status, row.waits_for, done) == (SideEffectStatus.DONE, "", [7])
        assert effects.resume("thing:7") == 0
    finally:
        effects._EVENT_HANDLERS["tests.thing_changed"].remove(handler)

"""Random changes, workers that run, die before or after the work, and a sweeper that comes
later: every committed transition has a row for each of its side effects, and in the end each
one is done, and done once (running every handler again changes nothing).

The workers are simulated in this process (`effects.claim` is what a dying worker gets to do);
tests/workflows/test_worker_failures.py kills real ones.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from applications.models import Document
from demo import builders as demo
from reviews.models import ReviewTask
from tests.support import generated_examples
from workflows import clock, effects
from workflows.models import OutboxMessage, SideEffect, SideEffectStatus, TransitionLog

# Where a new application is driven to: between them they cause every kind of side effect
# (e-mails, documents, review tasks, the payment event).
HISTORIES = [
    ("submitted", None),
    ("changes_requested", None),
    ("rejected", None),
    ("withdrawn", None),
    ("approved", "accepted"),
    ("approved", "report_submitted"),
    ("approved", "settled"),
]


def outcomes() -> dict[str, Counter[Any]]:
    """What the side effects produced, counted, so that "once" can be checked."""
    return {
        "mails": Counter(OutboxMessage.objects.values_list("key", flat=True)),
        "documents": Counter(
            Document.objects.values_list("application_id", "kind", "log_id", "payment_id")
        ),
        "review tasks": Counter(
            ReviewTask.objects.values_list("application_id", "grant_id", "kind", "round", "slot")
        ),
    }


def handlers_expected(log: TransitionLog) -> list[str]:
    label = f"{log.content_type.app_label}.{log.content_type.model}"
    return sorted(effects.handler_name(h) for h in effects.handlers_for(label, log.transition))


class Workers(RuleBasedStateMachine):
    def __init__(self, cast: demo.Cast) -> None:
        super().__init__()
        self.cast = cast
        self.days = 0
        # Every example starts from the same clean database and leaves nothing behind.
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()

    def teardown(self) -> None:
        try:
            self.everything_is_done_once_in_the_end()
        finally:
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

    def later(self, days: int = 1) -> Any:
        """The clock `days` further on: past every claim timeout and back-off."""
        self.days += days
        return clock.travel_to(clock.today() + timedelta(days=self.days))

    def waiting(self) -> list[int]:
        rows = SideEffect.objects.filter(status=SideEffectStatus.PENDING).order_by("pk")
        return list(rows.values_list("pk", flat=True))

    # --- what happens -------------------------------------------------------------------------
    @rule(history=st.sampled_from(HISTORIES))
    def a_change_commits(self, history: tuple[str, str | None]) -> None:
        with self.later(0):
            demo.drive(self.cast, *history)

    @rule(data=st.data())
    def a_worker_runs_a_task(self, data: st.DataObject) -> None:
        waiting = self.waiting()
        if waiting:
            with self.later(0):
                effects.run(data.draw(st.sampled_from(waiting)))

    @rule(data=st.data(), after_the_work=st.booleans())
    def a_worker_dies_inside_a_task(self, data: st.DataObject, after_the_work: bool) -> None:
        """kill -9: the row stays running; the work was done or not, the row cannot tell."""
        waiting = self.waiting()
        if not waiting:
            return
        pk = data.draw(st.sampled_from(waiting))
        with self.later(0):
            if effects.claim(pk) and after_the_work:
                effects.call_handler(SideEffect.objects.get(pk=pk))

    @rule()
    def the_sweeper_runs_a_day_later(self) -> None:
        with self.later():
            effects.sweep(clock.now())

    # --- what always holds --------------------------------------------------------------------
    @invariant()
    def every_committed_transition_has_a_row_per_side_effect(self) -> None:
        rows: dict[int, list[str]] = {}
        for log_id, handler in SideEffect.objects.filter(log__isnull=False).values_list(
            "log_id", "handler"
        ):
            rows.setdefault(log_id, []).append(handler)
        for log in TransitionLog.objects.select_related("content_type"):
            assert sorted(rows.get(log.pk, [])) == handlers_expected(log), log

    @invariant()
    def no_row_is_tried_beyond_its_cap(self) -> None:
        assert not SideEffect.objects.filter(attempts__gt=effects.MAX_ATTEMPTS).exists()
        assert not SideEffect.objects.filter(status=SideEffectStatus.FAILED).exists()

    def everything_is_done_once_in_the_end(self) -> None:
        for _ in range(3):  # a row left running waits one timeout, then runs
            with self.later():
                effects.sweep(clock.now())
        left = SideEffect.objects.exclude(status=SideEffectStatus.DONE)
        assert not left.exists(), list(left.values("handler", "status", "last_error"))
        after = outcomes()
        for kind, counted in after.items():
            assert all(n == 1 for n in counted.values()), (kind, counted)
        # Idempotent: every handler run once more (as by a worker that died after its work and
        # before its row said done) produces nothing new.
        with self.later(0):
            for row in SideEffect.objects.select_related("log__content_type"):
                effects.call_handler(row)
        assert outcomes() == after


WORKERS_SETTINGS = settings(
    max_examples=generated_examples(15),
    stateful_step_count=16,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


@pytest.mark.django_db
def test_side_effects_survive_dying_workers_and_run_once(cast: demo.Cast) -> None:
    run_state_machine_as_test(lambda: Workers(cast), settings=WORKERS_SETTINGS)  # type: ignore[arg-type]

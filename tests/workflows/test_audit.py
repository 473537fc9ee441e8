"""The audit log: one hash-chained row per state change, append-only, tampering detected; and the
side effects that `perform()` schedules to run after commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from applications import services
from applications.formal_check import CHECKLIST_CODES
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from tests.conftest import on_postgresql
from workflows import clock, effects, perform
from workflows.audit import verify_chain
from workflows.errors import TransitionForbidden, TransitionNotAllowed
from workflows.models import GENESIS_HASH, AppendOnlyError, SideEffect, TransitionLog

TABLE = TransitionLog._meta.db_table
TRIGGER = "transitionlog_append_only"


def rows_of(obj: Any) -> list[TransitionLog]:
    return list(TransitionLog.objects.for_object(obj).order_by("pk"))


def execute(sql: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@contextmanager
def trigger_disabled() -> Iterator[None]:
    """What an attacker with the rights of the table's owner would do first on PostgreSQL."""
    if connection.vendor != "postgresql":
        yield
        return
    # ALTER TABLE refuses to run while the test's deferred foreign-key checks are pending.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
    try:
        yield
    finally:
        execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
        execute("SET CONSTRAINTS ALL DEFERRED")


# --- one row per state change -----------------------------------------------------------------


def test_submit_writes_one_row_with_actor_source_target_and_reference(cast, draft):
    day = clock.today()

    submitted = services.submit_application(draft, by=cast.applicant)

    (row,) = rows_of(submitted)
    assert row.content_type == ContentType.objects.get_for_model(Application)
    assert row.object_id == str(submitted.pk)
    assert (row.transition, row.source, row.target) == ("submit", "draft", "submitted")
    assert row.actor == cast.applicant
    assert row.actor_label == "applicant"
    assert row.note == ""
    assert row.payload == {"reference": submitted.reference}
    assert timezone.localtime(row.created_at).date() == day
    assert row.prev_hash == GENESIS_HASH
    assert row.hash == row.content_digest()


def test_perform_records_the_note_and_stringifies_dates_and_decimals(cast):
    application = demo.drive(cast, "submitted")
    reply_by = clock.today() + timedelta(days=14)
    before = TransitionLog.objects.latest("pk")

    perform(
        application,
        "request_changes",
        by=cast.reviewer,
        note="Rückfrage zum Budget / question sur le budget",
        message="Bitte die Eigenmittel belegen.",
        reply_by=reply_by,
    )

    row = TransitionLog.objects.latest("pk")  # as stored, read back from the database
    assert (row.transition, row.source, row.target) == (
        "request_changes",
        "submitted",
        "changes_requested",
    )
    assert row.actor == cast.reviewer
    assert row.note == "Rückfrage zum Budget / question sur le budget"
    assert row.payload == {"message": "Bitte die Eigenmittel belegen.", "reply_by": str(reply_by)}
    assert row.prev_hash == before.hash
    assert row.hash == row.content_digest()


def test_the_system_is_logged_without_a_user_and_decimals_as_strings(cast):
    application = demo.drive(cast, "in_review")
    travelled = clock.today() + timedelta(days=3)

    with clock.travel_to(travelled):
        services.complete_review(application, score=Decimal("72.50"))

    row = rows_of(application)[-1]
    assert (row.transition, row.source, row.target) == ("complete_review", "in_review", "reviewed")
    assert row.actor is None
    assert row.actor_label == "system"
    assert row.payload == {"score": "72.50"}
    assert (
        timezone.localtime(row.created_at).date() == travelled
    )  # the log follows the domain clock


def test_an_approval_logs_the_amount_as_a_string(cast):
    application = demo.drive(cast, "reviewed")

    services.approve_application(application, by=cast.manager, amount=Decimal("3999.99"))

    row = rows_of(application)[-1]
    assert row.payload == {"amount": "3999.99", "conditions": ""}
    assert row.hash == row.content_digest()


def test_every_state_change_of_a_history_has_exactly_one_row(cast):
    application = demo.drive(cast, "approved", "closed")

    steps = [(r.source, r.transition, r.target) for r in rows_of(application)]
    grant_steps = [(r.source, r.transition, r.target) for r in rows_of(application.grant)]

    assert steps == [
        ("draft", "submit", "submitted"),
        ("submitted", "pass_formal_check", "in_review"),
        ("in_review", "complete_review", "reviewed"),
        ("reviewed", "approve", "approved"),
    ]
    assert grant_steps == [
        ("offered", "accept", "accepted"),
        ("accepted", "end_project", "report_due"),
        ("report_due", "submit_report", "report_submitted"),
        ("report_submitted", "accept_report", "settled"),
        ("settled", "close", "closed"),
    ]
    payments = application.grant.payments.order_by("sequence")
    assert [
        [(r.source, r.transition, r.target, r.actor) for r in rows_of(p)] for p in payments
    ] == [
        [("scheduled", "pay", "paid", cast.finance)],  # the advance
        [("scheduled", "pay", "paid", cast.finance)],  # the balance after the report
    ]
    assert verify_chain().ok
    assert verify_chain().checked == TransitionLog.objects.count() == 11


@pytest.mark.parametrize(
    ("name", "actor", "error"),
    [
        pytest.param("pass_formal_check", "reviewer", TransitionNotAllowed, id="wrong-state"),
        pytest.param("submit", "reviewer", TransitionForbidden, id="wrong-person"),
    ],
)
def test_a_refused_transition_writes_no_row(cast, draft, name, actor, error):
    with pytest.raises(error):
        perform(draft, name, by=getattr(cast, actor), reference="BF-2026-99999")

    assert not TransitionLog.objects.exists()
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def history(cast: demo.Cast) -> list[TransitionLog]:
    """Two histories in one chain of seven rows (four of an approval, three of a rejection)."""
    # Without side effects: their rows point to the log, and these tests delete log rows.
    with effects.suspended():
        demo.drive(cast, "approved")
        demo.drive(cast, "rejected")
    rows = list(TransitionLog.objects.order_by("pk"))
    assert len(rows) == 7 and verify_chain().ok
    return rows


def _save(row: TransitionLog) -> None:
    row.note = "geändert"
    row.save()


MODEL_LEVEL_CHANGES = {
    "save-an-existing-row": _save,
    "save-with-update-fields": lambda row: row.save(update_fields=["note"]),
    "instance-delete": lambda row: row.delete(),
    "queryset-update": lambda row: TransitionLog.objects.filter(pk=row.pk).update(note="x"),
    "manager-update": lambda row: TransitionLog.objects.update(target="approved"),
    "queryset-delete": lambda row: TransitionLog.objects.filter(pk=row.pk).delete(),
    "delete-everything": lambda row: TransitionLog.objects.all().delete(),
    "bulk-update": lambda row: TransitionLog.objects.bulk_update([row], ["note"]),
    "create-outside-append": lambda row: TransitionLog.objects.create(
        content_type=row.content_type,
        object_id=row.object_id,
        transition="approve",
        source="reviewed",
        target="approved",
        actor_label="forger",
        created_at=row.created_at,
        prev_hash=row.hash,
        hash="f" * 64,
    ),
}


@pytest.mark.parametrize("change", MODEL_LEVEL_CHANGES.values(), ids=MODEL_LEVEL_CHANGES.keys())
def test_the_log_refuses_changes_at_the_model_level(history, change):
    before = list(TransitionLog.objects.order_by("pk").values())

    # A savepoint, as in a request: bulk_update() joins the caller's transaction and breaks it.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        change(history[3])

    assert list(TransitionLog.objects.order_by("pk").values()) == before
    assert verify_chain().ok


RAW_CHANGES = {
    "raw-update": lambda row: execute(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["x", row.pk]),
    "raw-delete": lambda row: execute(f"DELETE FROM {TABLE} WHERE id = %s", [row.pk]),
    # The base manager is a plain Manager: it skips the model's guard, never the trigger's.
    "base-manager-update": lambda row: TransitionLog._base_manager.filter(pk=row.pk).update(
        note="x"
    ),
    "base-manager-delete": lambda row: TransitionLog._base_manager.filter(pk=row.pk).delete(),
}


@on_postgresql
@pytest.mark.parametrize("change", RAW_CHANGES.values(), ids=RAW_CHANGES.keys())
def test_postgresql_refuses_updates_and_deletes_below_the_model(history, change):
    before = list(TransitionLog.objects.order_by("pk").values())

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        change(history[3])

    assert list(TransitionLog.objects.order_by("pk").values()) == before
    assert verify_chain().ok


# --- tampering is detected ---------------------------------------------------------------------


def test_an_intact_chain_verifies_and_the_command_says_so(history):
    out = StringIO()

    call_command("verify_audit_log", stdout=out)

    report = verify_chain()
    assert report.ok and report.checked == len(history)
    assert "intact" in out.getvalue()
    assert str(len(history)) in out.getvalue()


def test_an_empty_log_is_intact(db):
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    assert "intact" in out.getvalue()


TAMPERING = {
    # name: (column, new value) for a raw UPDATE of the middle row
    "note": ("note", "alles in Ordnung"),
    "target": ("target", "rejected"),
    "transition": ("transition", "reject"),
    "actor-label": ("actor_label", "admin"),
    "object": ("object_id", "999"),
}


def assert_broken_at(row_id: int, reason: str, checked: int) -> None:
    report = verify_chain()
    assert not report.ok
    assert report.broken is not None
    assert report.broken.log_id == row_id
    assert reason in report.broken.reason
    assert report.checked == checked
    with pytest.raises(CommandError, match=rf"row {row_id}\b"):
        call_command("verify_audit_log", stdout=StringIO())


@pytest.mark.parametrize(("column", "value"), TAMPERING.values(), ids=TAMPERING.keys())
def test_changing_a_row_is_detected_at_that_row(history, column, value):
    middle = history[3]

    with trigger_disabled():
        execute(f"UPDATE {TABLE} SET {column} = %s WHERE id = %s", [value, middle.pk])

    assert_broken_at(middle.pk, "content does not match its hash", checked=3)


def test_changing_the_actor_is_detected_at_that_row(cast, history):
    middle = history[3]

    with trigger_disabled():
        execute(f"UPDATE {TABLE} SET actor_id = %s WHERE id = %s", [cast.admin.pk, middle.pk])

    assert_broken_at(middle.pk, "content does not match its hash", checked=3)


def test_deleting_a_middle_row_is_detected_at_the_next_row(history):
    middle, following = history[3], history[4]

    with trigger_disabled():
        execute(f"DELETE FROM {TABLE} WHERE id = %s", [middle.pk])

    assert_broken_at(following.pk, "does not link", checked=3)
    if connection.vendor == "postgresql":  # the trigger is armed again after the attack
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            execute(f"DELETE FROM {TABLE} WHERE id = %s", [following.pk])


def test_deleting_the_newest_row_is_detected(history):
    """Every remaining row still links to the one before it: only the objects can tell."""
    newest = history[-1]

    with trigger_disabled():
        execute(f"DELETE FROM {TABLE} WHERE id = %s", [newest.pk])

    report = verify_chain()
    assert not report.ok
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_log", stdout=StringIO())


def test_emptying_the_whole_log_is_detected(history):
    with trigger_disabled():
        execute(f"DELETE FROM {TABLE}")

    assert not verify_chain().ok
    with pytest.raises(CommandError):
        call_command("verify_audit_log", stdout=StringIO())


def test_rehashing_a_changed_row_is_detected_at_the_next_row(history):
    """An attacker who recomputes the hash of the row they changed still breaks the next link."""
    middle, following = history[3], history[4]
    forged = TransitionLog.objects.get(pk=middle.pk)
    forged.note = "nachträglich genehmigt"
    new_hash = forged.content_digest()

    with trigger_disabled():
        execute(
            f"UPDATE {TABLE} SET note = %s, hash = %s WHERE id = %s",
            [forged.note, new_hash, middle.pk],
        )

    assert_broken_at(following.pk, "does not link", checked=4)


def test_changing_the_first_row_is_detected(history):
    with trigger_disabled():
        execute(f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["x", history[0].pk])

    assert_broken_at(history[0].pk, "content does not match its hash", checked=0)


def test_the_log_keeps_working_after_a_refused_tampering_attempt(cast, history):
    """The refusals above leave the chain usable: the next state change links to the last row."""
    with pytest.raises(AppendOnlyError):
        history[-1].delete()

    application = demo.drive(cast, "submitted")

    row = rows_of(application)[-1]
    assert row.prev_hash == history[-1].hash
    assert verify_chain().ok


# --- side effects after commit -----------------------------------------------------------------


@pytest.fixture
def submit_effects(settings: Any) -> Iterator[list[int]]:
    """A recording handler for (Application, submit), run by the immediate task backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    calls: list[int] = []

    def record(log: TransitionLog) -> None:
        calls.append(log.pk)

    effects.register(Application, "submit")(record)
    try:
        yield calls
    finally:
        effects.unregister(Application, "submit", record)


def test_a_side_effect_runs_once_after_commit(
    cast, draft, submit_effects, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submitted = services.submit_application(draft, by=cast.applicant)
        assert submit_effects == []  # nothing happens before the commit

    (row,) = rows_of(submitted)
    # One row and one task per handler of the transition (the e-mails add their own sends) ...
    side_effects = list(row.side_effects.all())
    handlers = effects.handlers_for("applications.application", "submit")
    assert sorted(effect.handler for effect in side_effects) == sorted(
        effects.handler_name(handler) for handler in handlers
    )
    effect_tasks = [c for c in callbacks if "run_side_effect" in repr(c)]
    assert len(effect_tasks) == len(handlers)
    # ... each run once, after the commit.
    assert {effect.status for effect in side_effects} == {"done"}
    assert {effect.attempts for effect in side_effects} == {1}
    assert submit_effects == [row.pk]


def test_a_rolled_back_transition_runs_no_side_effect(
    cast, draft, submit_effects, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.submit_application(draft, by=cast.applicant)
        raise RuntimeError("the request failed after the transition")

    assert callbacks == []
    assert submit_effects == []
    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.DRAFT
    assert draft.reference is None
    assert not TransitionLog.objects.exists()
    assert not SideEffect.objects.exists()


def test_a_refused_transition_runs_no_side_effect(
    cast, draft, other_applicant, submit_effects, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(TransitionForbidden),
    ):
        services.submit_application(draft, by=other_applicant)

    assert callbacks == []
    assert submit_effects == []


def test_other_transitions_do_not_run_the_submit_handler(
    cast, submit_effects, django_capture_on_commit_callbacks
):
    application = demo.drive(cast, "submitted")
    submit_effects.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.pass_formal_check(application, by=cast.reviewer, checklist=CHECKLIST_CODES)

    assert submit_effects == []


def test_a_failing_side_effect_never_undoes_the_state_change(
    cast, draft, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

    def explode(log: TransitionLog) -> None:
        raise RuntimeError("SMTP server down")

    effects.register(Application, "submit")(explode)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.submit_application(draft, by=cast.applicant)
    finally:
        effects.unregister(Application, "submit", explode)

    draft.refresh_from_db()
    assert draft.status == ApplicationStatus.SUBMITTED
    (row,) = rows_of(draft)
    # The failure is kept on the side effect's row, which waits for another attempt.
    failed = row.side_effects.get(handler=effects.handler_name(explode))
    assert failed.status == "pending" and failed.attempts == 1
    assert "SMTP server down" in failed.last_error
    assert failed.next_attempt_at > failed.created_at


def test_unregistering_stops_the_handler(cast, draft, settings, django_capture_on_commit_callbacks):
    calls: list[int] = []

    def record(log: TransitionLog) -> None:
        calls.append(log.pk)

    effects.register(Application, "submit")(record)
    effects.register(Application, "submit")(record)  # registering twice keeps one
    assert effects.handlers_for("applications.application", "submit").count(record) == 1
    effects.unregister(Application, "submit", record)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_application(draft, by=cast.applicant)

    assert calls == []


def test_a_transition_writes_only_what_it_changed_and_refreshes_the_modification_time(cast, draft):
    from applications import services

    before = type(draft).objects.get(pk=draft.pk)
    submitted = services.submit_application(draft, by=cast.applicant)
    after = type(draft).objects.get(pk=draft.pk)

    assert after.status == "submitted" and after.reference == submitted.reference
    assert after.updated_at > before.updated_at
    assert after.title == before.title and after.requested_amount == before.requested_amount

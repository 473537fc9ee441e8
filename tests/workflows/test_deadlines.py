"""The deadline scheduler (`manage.py run_deadlines`): each job changes what is due through the
services (audited, by the system), reminds once per threshold, does nothing on a second run,
survives a failing job, and two runs at once change and remind each object once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from applications import deadlines as application_jobs
from applications.models import Application, ApplicationStatus
from demo import builders as demo
from grants.models import Grant, GrantStatus, LedgerEntry, LedgerKind
from reviews import services as review_services
from reviews.models import ReviewTask, TaskKind, TaskStatus
from tests.conftest import on_postgresql
from workflows import clock, deadlines
from workflows.errors import TransitionConflict, TransitionNotAllowed
from workflows.models import OutboxMessage, TransitionLog

# --- helpers -----------------------------------------------------------------------------------


def run(day: date, *, names: list[str] | None = None) -> deadlines.RunResult:
    with clock.travel_to(day):
        result = deadlines.run_all(names=names)
    assert result.ok, result.failed
    return result


def command(day: date, *args: str) -> str:
    out = StringIO()
    with clock.travel_to(day):
        call_command("run_deadlines", *args, stdout=out)
    return out.getvalue()


def rows(obj: Any, transition: str) -> list[TransitionLog]:
    return list(TransitionLog.objects.for_object(obj).filter(transition=transition))


def assert_done_once_by_the_system(obj: Any, transition: str) -> None:
    [row] = rows(obj, transition)
    assert (row.actor, row.actor_label) == (None, "system")


def mail_keys(prefix: str = "") -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(key__startswith=prefix).values_list("key", flat=True)
    )


def grant_of(application: Application) -> Grant:
    return Grant.objects.get(application=application)


@pytest.fixture
def failing_job() -> Iterator[str]:
    @deadlines.register("explodes", order=0)
    def explodes(now: datetime) -> int:
        raise RuntimeError("the mail server is on fire")

    yield "explodes"
    deadlines.unregister("explodes")


# --- each job changes what is due, through perform(), as the system ---------------------------


def test_a_change_request_past_its_reply_deadline_expires_as_the_system(cast: Any) -> None:
    application = demo.drive(cast, "changes_requested")
    deadline = application.reply_deadline
    assert deadline is not None
    assert run(deadline).get("expire_applications") == 0  # the deadline day still counts
    result = run(deadline + timedelta(days=1))
    assert result["expire_applications"] == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.EXPIRED
    assert_done_once_by_the_system(application, "expire")


def test_a_waitlisted_application_expires_when_its_project_starts(cast: Any) -> None:
    application = demo.drive(cast, "waitlisted")
    assert application.start_date is not None
    assert run(application.start_date - timedelta(days=1))["expire_applications"] == 0
    assert run(application.start_date)["expire_applications"] == 1
    application.refresh_from_db()
    assert application.status == ApplicationStatus.EXPIRED
    assert_done_once_by_the_system(application, "expire")


def test_an_offer_past_its_acceptance_deadline_lapses_and_frees_the_budget(cast: Any) -> None:
    grant = grant_of(demo.drive(cast, "approved", "offered"))
    assert run(grant.offer_expires_on)["lapse_offers"] == 0
    assert run(grant.offer_expires_on + timedelta(days=1))["lapse_offers"] == 1
    grant.refresh_from_db()
    assert grant.status == GrantStatus.LAPSED
    assert_done_once_by_the_system(grant, "lapse")
    release = LedgerEntry.objects.get(grant=grant, kind=LedgerKind.RELEASE)
    assert release.amount == grant.amount_awarded


def test_an_ended_project_moves_to_report_due_with_its_deadline(cast: Any) -> None:
    grant = grant_of(demo.drive(cast, "approved", "accepted"))
    assert run(grant.project_end)["end_projects"] == 0
    assert run(grant.project_end + timedelta(days=1))["end_projects"] == 1
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REPORT_DUE
    assert grant.report_due_on == grant.project_end + timedelta(days=61)
    assert_done_once_by_the_system(grant, "end_project")


def test_review_claims_held_too_long_go_back_to_the_queue(cast: Any, django_capture_on_commit_callbacks: Any) -> None:  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        demo.drive(cast, "submitted")
    task = review_services.claim_next(cast.reviewer, TaskKind.FORMAL_CHECK)
    assert run(clock.today())["expire_claims"] == 0
    assert run(clock.today() + timedelta(days=4))["expire_claims"] == 1
    task = ReviewTask.objects.get(pk=task.pk)
    assert (task.status, task.assignee) == (TaskStatus.OPEN, None)


# --- reminders: at the thresholds, once each ---------------------------------------------------


def test_reply_reminders_go_out_seven_and_two_days_before_the_deadline_once(cast: Any) -> None:
    application = demo.drive(cast, "changes_requested")
    deadline = application.reply_deadline
    assert deadline is not None
    prefix = f"reply_reminder:{application.pk}:"
    for days in (9, 8):
        assert run(deadline - timedelta(days=days))["remind_replies"] == 0
    assert run(deadline - timedelta(days=7))["remind_replies"] == 1
    assert run(deadline - timedelta(days=7))["remind_replies"] == 0  # the next run, same day
    assert run(deadline - timedelta(days=6))["remind_replies"] == 0
    assert run(deadline - timedelta(days=2))["remind_replies"] == 1
    assert run(deadline)["remind_replies"] == 0
    assert mail_keys(prefix) == [f"{prefix}{deadline}:2", f"{prefix}{deadline}:7"]
    message = OutboxMessage.objects.get(key=f"{prefix}{deadline}:7")
    assert message.to == [cast.applicant.email]
    assert message.language == application.language == "de"
    assert application.reference and application.reference in message.subject
    assert "Bitte Budget erläutern." in message.body_text
    assert f"/applications/{application.pk}/edit/" in message.body_text
    assert message.status == "sent"  # by the outbox sweep of the same run


def test_a_missed_day_sends_the_missed_reminder_and_never_an_earlier_one(cast: Any) -> None:
    application = demo.drive(cast, "changes_requested")
    deadline = application.reply_deadline
    assert deadline is not None
    assert run(deadline - timedelta(days=1))["remind_replies"] == 1  # the scheduler was down
    assert mail_keys(f"reply_reminder:{application.pk}:") == [
        f"reply_reminder:{application.pk}:{deadline}:2"
    ]
    assert deadlines.due_threshold(8, (7, 2)) is None
    assert [deadlines.due_threshold(d, (7, 2)) for d in (7, 6, 3, 2, 0)] == [7, 7, 7, 2, 2]
    assert deadlines.due_threshold(-1, (7, 2)) is None


def test_offer_reminders_go_out_seven_and_two_days_before_the_offer_lapses_once(drive: Any, mailoutbox: list[Any]) -> None:  # fmt: skip
    grant = grant_of(drive("approved", "offered"))  # its e-mails are sent with the steps
    mailoutbox.clear()
    expires = grant.offer_expires_on
    assert run(expires - timedelta(days=8))["remind_offers"] == 0
    result = run(expires - timedelta(days=7))
    assert (result["remind_offers"], result["send_outbox"]) == (1, 1)
    assert run(expires - timedelta(days=7))["remind_offers"] == 0
    assert run(expires - timedelta(days=2))["remind_offers"] == 1
    assert run(expires - timedelta(days=1))["remind_offers"] == 0
    prefix = f"offer_reminder:{grant.pk}:"
    assert mail_keys(prefix) == [f"{prefix}2", f"{prefix}7"]
    assert len(mailoutbox) == 2  # sent by the outbox sweep of the same runs
    assert all(str(grant.application.reference) in m.subject for m in mailoutbox)


def test_report_reminders_at_fourteen_and_three_days_and_one_overdue_notice(cast: Any) -> None:
    grant = grant_of(demo.drive(cast, "approved", "report_due"))
    due = grant.report_due_on
    assert due is not None
    assert run(due - timedelta(days=15))["remind_reports"] == 0
    assert run(due - timedelta(days=14))["remind_reports"] == 1
    assert run(due - timedelta(days=3))["remind_reports"] == 1
    assert run(due)["remind_reports"] == 0
    assert run(due + timedelta(days=1))["remind_reports"] == 1  # overdue
    for later in (1, 7, 30, 31):
        assert run(due + timedelta(days=later))["remind_reports"] == 0
    assert mail_keys(f"report_due:{grant.pk}:") == [
        f"report_due:{grant.pk}:{due}:14",
        f"report_due:{grant.pk}:{due}:3",
    ]
    assert mail_keys(f"report_overdue:{grant.pk}:") == [f"report_overdue:{grant.pk}:{due}"]
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REPORT_DUE  # revoking is the manager's decision


def test_nothing_that_expired_or_lapsed_in_the_same_run_is_reminded(drive: Any) -> None:
    grant = grant_of(drive("approved", "offered"))
    before = OutboxMessage.objects.count()
    result = run(grant.offer_expires_on + timedelta(days=1))
    assert (result["lapse_offers"], result["remind_offers"]) == (1, 0)
    assert OutboxMessage.objects.count() == before


# --- idempotence, isolation, the command --------------------------------------------------------


def test_a_second_run_right_after_changes_nothing_and_sends_nothing(cast: Any) -> None:
    stale = demo.drive(cast, "changes_requested")
    offered = grant_of(demo.drive(cast, "approved", "offered"))
    assert stale.reply_deadline is not None
    day = stale.reply_deadline + timedelta(days=1)
    offered.offer_expires_on = day + timedelta(days=2)
    Grant.objects.filter(pk=offered.pk).update(offer_expires_on=offered.offer_expires_on)
    first = run(day)
    assert (first["expire_applications"], first["remind_offers"]) == (1, 1)
    logs, mails = TransitionLog.objects.count(), OutboxMessage.objects.count()
    second = run(day)
    assert set(second.values()) == {0}
    assert (TransitionLog.objects.count(), OutboxMessage.objects.count()) == (logs, mails)
    assert len(rows(stale, "expire")) == 1


def test_a_failing_job_does_not_stop_the_others_and_the_command_exits_non_zero(cast: Any, failing_job: str) -> None:  # fmt: skip
    application = demo.drive(cast, "changes_requested")
    assert application.reply_deadline is not None
    day = application.reply_deadline + timedelta(days=1)
    out = StringIO()
    with clock.travel_to(day), pytest.raises(CommandError) as raised:
        call_command("run_deadlines", stdout=out)
    assert raised.value.returncode == 1
    assert "explodes" in str(raised.value)
    assert "explodes: failed, RuntimeError: the mail server is on fire" in out.getvalue()
    assert "expire_applications: 1" in out.getvalue()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.EXPIRED


def test_one_broken_object_is_logged_and_the_job_goes_on_with_the_others(cast: Any, monkeypatch: Any) -> None:  # fmt: skip
    first = demo.drive(cast, "changes_requested")
    second = demo.drive(cast, "changes_requested")
    assert first.reply_deadline == second.reply_deadline is not None
    real = application_jobs.expire_application

    def broken_for_the_first(application: Application, *, by: Any) -> Application:
        if application.pk == first.pk:
            raise ValueError("corrupt row")
        return real(application, by=by)

    monkeypatch.setattr(application_jobs, "expire_application", broken_for_the_first)
    with clock.travel_to(first.reply_deadline + timedelta(days=1)):
        result = deadlines.run_all(names=["expire_applications"])
    assert result["expire_applications"] == 1
    assert "corrupt row" in result.failed["expire_applications"]
    second.refresh_from_db()
    assert second.status == ApplicationStatus.EXPIRED


def test_an_object_someone_else_changed_first_is_skipped_silently(cast: Any) -> None:
    def faster(error: Exception) -> bool:
        raise error

    @deadlines.register("raced", order=0)
    def raced(now: datetime) -> int:
        errors = [TransitionNotAllowed(), TransitionConflict()]
        return sum(deadlines.attempt(faster, error, subject="raced") for error in errors)

    try:
        result = deadlines.run_all(names=["raced"])
    finally:
        deadlines.unregister("raced")
    assert result == {"raced": 0} and result.ok


def test_dry_run_lists_what_would_happen_and_changes_nothing(cast: Any, mailoutbox: list[Any]) -> None:  # fmt: skip
    application = demo.drive(cast, "changes_requested")
    reminded = demo.drive(cast, "changes_requested", submitted_on=clock.today())
    assert application.reply_deadline is not None and reminded.reply_deadline is not None
    day = application.reply_deadline + timedelta(days=1)
    assert (reminded.reply_deadline - day).days <= 7
    logs, mails = TransitionLog.objects.count(), OutboxMessage.objects.count()
    out = command(day, "--dry-run")
    assert "expire_applications: 1 (dry run, nothing changed)" in out
    assert f"would expire application #{application.pk}: changes_requested -> expired" in out
    assert f"would e-mail reply_reminder:{reminded.pk}:" in out
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CHANGES_REQUESTED
    assert (TransitionLog.objects.count(), OutboxMessage.objects.count()) == (logs, mails)
    assert mailoutbox == []
    out = command(day)  # and the real run does what the dry run listed
    assert "expire_applications: 1\n" in out and "remind_replies: 1\n" in out


def test_the_command_runs_one_job_by_name_and_refuses_unknown_names(cast: Any) -> None:
    application = demo.drive(cast, "changes_requested")
    assert application.reply_deadline is not None
    day = application.reply_deadline + timedelta(days=1)
    assert command(day, "--job", "lapse_offers") == "lapse_offers: 0\n"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CHANGES_REQUESTED
    with pytest.raises(CommandError, match="No deadline job is called 'nope'"):
        command(day, "--job", "nope")
    assert "expire_applications" in command(day, "--list")


def test_candidates_are_walked_in_batches_while_they_change(cast: Any) -> None:
    applications = [demo.drive(cast, "changes_requested") for _ in range(5)]
    deadline = applications[0].reply_deadline
    assert deadline is not None
    stale = Application.objects.filter(status=ApplicationStatus.CHANGES_REQUESTED)
    seen = []
    with clock.travel_to(deadline + timedelta(days=1)):
        for application in deadlines.each(stale, size=2):
            seen.append(application.pk)
            application_jobs.expire_application(application, by=None)
    assert seen == sorted(a.pk for a in applications)


# --- two runs at the same time (PostgreSQL, real threads) -------------------------------------


def race(jobs: list[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Each job in its own thread and connection, all released at once; results or errors."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=timeout)
            outcomes[index] = job()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, j), daemon=True) for i, j in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (deadlock?)"
    return outcomes


def noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=12))


def due_work(cast: Any) -> tuple[date, list[Application], list[Application]]:
    """Six stale change requests and six whose reply reminder is due on the returned day."""
    stale = [demo.drive(cast, "changes_requested") for _ in range(6)]
    assert stale[0].reply_deadline is not None
    day = stale[0].reply_deadline + timedelta(days=1)
    fresh = [demo.drive(cast, "changes_requested", submitted_on=day - timedelta(days=11)) for _ in range(6)]  # fmt: skip
    return day, stale, fresh


def assert_each_once(stale: list[Application], fresh: list[Application]) -> None:
    for application in stale:
        assert len(rows(application, "expire")) == 1
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.EXPIRED
    for application in fresh:
        assert len(mail_keys(f"reply_reminder:{application.pk}:")) == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_change_each_object_once_and_remind_once(cast: Any) -> None:
    day, stale, fresh = due_work(cast)
    names = ["expire_applications", "remind_replies"]
    outcomes = race([lambda: deadlines.run_all(noon(day), names=names) for _ in range(2)])
    assert all(isinstance(o, deadlines.RunResult) and o.ok for o in outcomes), outcomes
    for name in names:
        assert sum(o.get(name, 0) for o in outcomes) == 6, outcomes
    assert_each_once(stale, fresh)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_racing_jobs_without_the_advisory_lock_still_change_and_remind_once(cast: Any) -> None:
    day, stale, fresh = due_work(cast)

    def both() -> tuple[int, int]:
        with clock.travel_to(day):
            return (
                application_jobs.expire_applications(noon(day)),
                application_jobs.remind_replies(noon(day)),
            )

    outcomes = race([both for _ in range(4)])
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sum(o[0] for o in outcomes) == 6 and sum(o[1] for o in outcomes) == 6, outcomes
    assert_each_once(stale, fresh)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_job_another_run_is_busy_with_is_skipped(cast: Any) -> None:
    stale = [demo.drive(cast, "changes_requested") for _ in range(2)]
    assert stale[0].reply_deadline is not None
    day = stale[0].reply_deadline + timedelta(days=1)
    with deadlines._exclusive("expire_applications") as mine:
        assert mine
        [outcome] = race([lambda: deadlines.run_all(noon(day), names=["expire_applications"])])
    assert outcome.skipped == {"expire_applications": "another run is busy with this job"}
    assert "expire_applications" not in outcome and outcome.ok
    assert Application.objects.get(pk=stale[0].pk).status == ApplicationStatus.CHANGES_REQUESTED
    assert deadlines.run_all(noon(day), names=["expire_applications"])["expire_applications"] == 2

"""The interim report's deadlines go through the scheduler like the final report's: reminders 14
and 3 days before, one notice once it is overdue, each once; none once the report is sent, and
the reply date of a request for changes is reminded the same way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from demo.interim import write_interim_report
from interim import services
from workflows import clock, deadlines
from workflows.models import OutboxMessage

JOB = "remind_interim_reports"


def run(day: date) -> int:
    with clock.travel_to(day):
        result = deadlines.run_all(names=[JOB])
    assert result.ok, result.failed
    return result[JOB]


def keys(grant: Any) -> list[str]:
    return sorted(
        OutboxMessage.objects.filter(key__startswith=f"interim_reminder:{grant.pk}:").values_list(
            "key", flat=True
        )
    )


def test_reminders_at_fourteen_and_three_days_and_one_overdue_notice(cast, grant):
    due = grant.interim_report_due_on

    assert [run(due - timedelta(days=d)) for d in (15, 14, 13, 3, 0)] == [0, 1, 0, 1, 0]
    assert run(due + timedelta(days=1)) == 1  # overdue, once
    assert run(due + timedelta(days=2)) == 0
    assert keys(grant) == sorted(
        [
            f"interim_reminder:{grant.pk}:{due}:14",
            f"interim_reminder:{grant.pk}:{due}:3",
            f"interim_reminder:{grant.pk}:{due}:overdue",
        ]
    )
    # In the application's language; the notice says the day has passed, the reminders not.
    reminder, notice = (
        OutboxMessage.objects.get(key=f"interim_reminder:{grant.pk}:{due}:{t}")
        for t in ("3", "overdue")
    )
    reference = grant.application.reference
    assert reference in reminder.subject and reference in notice.subject
    assert reminder.subject != notice.subject
    assert grant.application.language == "de"
    assert "Zwischenbericht" in reminder.subject and "fällig" in notice.subject
    assert reminder.to == [cast.applicant.email]


def test_a_report_sent_is_not_reminded_a_draft_is(cast, grant):
    due = grant.interim_report_due_on
    write_interim_report(grant, by=cast.applicant, send=False)
    assert run(due - timedelta(days=3)) == 1

    report = services.existing_report(grant)
    assert report is not None
    services.submit_interim_report(report, by=cast.applicant)

    assert run(due + timedelta(days=1)) == 0


def test_the_reply_date_of_a_request_for_changes_is_reminded(cast, grant):
    report = write_interim_report(grant, by=cast.applicant)
    reply_by = clock.today() + timedelta(days=10)
    services.request_interim_changes(
        report, by=cast.reviewer, message="Bitte ergänzen.", reply_by=reply_by
    )

    assert run(reply_by - timedelta(days=3)) == 1
    assert run(reply_by + timedelta(days=1)) == 1
    assert keys(grant) == [
        f"interim_reminder:{grant.pk}:{reply_by}:3",
        f"interim_reminder:{grant.pk}:{reply_by}:overdue",
    ]
    reminder = OutboxMessage.objects.get(key=f"interim_reminder:{grant.pk}:{reply_by}:3")
    assert "Bitte ergänzen." not in reminder.body_text  # a reminder, not the request again
    assert "Erinnerung an die Änderungen" in reminder.body_text
    assert reminder.to == [cast.applicant.email]


def test_a_grant_without_interim_report_is_never_reminded(cast, drive):
    from grants.models import Grant

    plain = Grant.objects.get(application=drive("approved", "accepted"))

    assert run(plain.project_start + timedelta(days=2)) == 0

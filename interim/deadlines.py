"""Deadline job of interim reports: the reminders before the report is due and the notice once
it is overdue, like the final report's (14 and 3 days before, once after), through the
scheduler (`manage.py run_deadlines`). Registered when the app is ready.

A report is owed while the project runs (grant accepted) and the grantee has not sent it: by
the grant's due date, or by the reply date of a request for changes.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from grants.models import Grant, GrantStatus
from interim import emails
from interim.models import InterimReport, InterimStatus
from workflows.deadlines import attempt, due_threshold, each, local_date, register

INTERIM_REMINDER_DAYS = (14, 3)
# The overdue notice goes out in these days after the deadline (once, by its key); a scheduler
# that was down longer sends no stale notice.
OVERDUE_NOTICE_DAYS = 30


def _around(today: date, field: str) -> Q:
    """Deadlines from the oldest one still worth a notice to the furthest one reminded of."""
    return Q(
        **{
            f"{field}__gte": today - timedelta(days=OVERDUE_NOTICE_DAYS),
            f"{field}__lte": today + timedelta(days=max(INTERIM_REMINDER_DAYS)),
        }
    )


def owed_by_due_date(today: date) -> list[tuple[Grant, date, bool]]:
    """Grants whose interim report is not sent yet, with its due date near or past."""
    sent = InterimReport.objects.filter(grant=OuterRef("pk")).exclude(status=InterimStatus.DRAFT)
    grants = (
        Grant.objects.filter(status=GrantStatus.ACCEPTED)
        .filter(_around(today, "interim_report_due_on"))
        .exclude(Exists(sent))
        .select_related("application__organisation")
    )
    return [(grant, grant.interim_report_due_on, False) for grant in each(grants)]  # type: ignore[misc]


def owed_after_changes(today: date) -> list[tuple[Grant, date, bool]]:
    """Grants whose interim report was sent back for changes, with the reply date near or past."""
    reports = (
        InterimReport.objects.filter(
            status=InterimStatus.CHANGES_REQUESTED, grant__status=GrantStatus.ACCEPTED
        )
        .filter(_around(today, "reply_by"))
        .select_related("grant__application__organisation")
    )
    return [(report.grant, report.reply_by, True) for report in each(reports)]  # type: ignore[misc]


@register("remind_interim_reports", order=20)
def remind_interim_reports(now: datetime) -> int:
    """Remind the grantee 14 and 3 days before the interim report is due (or the reply to a
    request for changes), and once after."""
    today = local_date(now)
    done = 0
    for grant, deadline, changes_requested in owed_by_due_date(today) + owed_after_changes(today):
        days_left = (deadline - today).days
        threshold = days_left if days_left < 0 else due_threshold(days_left, INTERIM_REMINDER_DAYS)
        if threshold is None:
            continue
        done += attempt(
            emails.interim_report_reminder,
            grant,
            deadline,
            threshold,
            changes_requested=changes_requested,
            subject=f"interim report reminder for grant #{grant.pk}",
        )
    return done

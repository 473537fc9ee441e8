"""Deadline jobs of applications and grants (grants may not import applications, so both live
here): expiries, lapses, the end of projects and the reminders before each deadline.

Registered with `workflows.deadlines` when the app is ready; run by `manage.py run_deadlines`.
Every change is a service call, so it is audited with the system as its actor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from applications import emails, reminders
from applications.models import Application, ApplicationStatus
from applications.services import expire_application
from grants.models import Grant, GrantStatus
from grants.services import end_project, lapse_offer
from workflows.deadlines import attempt, due_threshold, each, local_date, register

# Days before the deadline at which a reminder goes out (each once, see due_threshold).
REPLY_REMINDER_DAYS = (7, 2)
OFFER_REMINDER_DAYS = (7, 2)
REPORT_REMINDER_DAYS = (14, 3)
# The overdue notice goes out in these days after the report deadline (once, by its key); a
# scheduler that was down longer sends no stale notice. Revoking is then the manager's call.
OVERDUE_NOTICE_DAYS = 30


def _remind(reminder: Callable[..., object], *args: Any) -> bool:
    """Send a reminder; did it queue a new message (rather than find its key already there)?"""
    return bool(reminder(*args))


# --- changes of state --------------------------------------------------------------------------


@register("expire_applications", order=10)
def expire_applications(now: datetime) -> int:
    """Change requests whose reply deadline passed, waitlisted applications whose project
    start has come: expired."""
    today = local_date(now)
    stale = Application.objects.filter(
        status=ApplicationStatus.CHANGES_REQUESTED, reply_deadline__lt=today
    )
    too_late = Application.objects.filter(
        status=ApplicationStatus.WAITLISTED, start_date__lte=today
    )
    done = 0
    for candidates in (stale, too_late):
        for application in each(candidates):
            done += attempt(
                expire_application, application, by=None, subject=f"expire #{application.pk}"
            )
    return done


@register("lapse_offers", order=10)
def lapse_offers(now: datetime) -> int:
    """Offers not accepted by their deadline lapse; their commitment is released."""
    expired = Grant.objects.filter(status=GrantStatus.OFFERED, offer_expires_on__lt=local_date(now))
    done = 0
    for grant in each(expired):
        done += attempt(lapse_offer, grant, by=None, subject=f"lapse grant #{grant.pk}")
    return done


@register("end_projects", order=10)
def end_projects(now: datetime) -> int:
    """Accepted grants whose project has ended: the final report is due from now on."""
    ended = Grant.objects.filter(status=GrantStatus.ACCEPTED, project_end__lt=local_date(now))
    done = 0
    for grant in each(ended):
        done += attempt(end_project, grant, by=None, subject=f"end grant #{grant.pk}")
    return done


# --- reminders (after the changes, so that nothing expired or lapsed is reminded) ---------------


@register("remind_replies", order=20)
def remind_replies(now: datetime) -> int:
    """Remind the organisation 7 and 2 days before a change request's reply deadline."""
    today = local_date(now)
    waiting = Application.objects.filter(
        status=ApplicationStatus.CHANGES_REQUESTED,
        reply_deadline__gte=today,
        reply_deadline__lte=today + timedelta(days=max(REPLY_REMINDER_DAYS)),
    ).select_related("organisation")
    done = 0
    for application in each(waiting):
        assert application.reply_deadline is not None  # by the query
        days = due_threshold((application.reply_deadline - today).days, REPLY_REMINDER_DAYS)
        if days is not None:
            done += attempt(
                _remind,
                reminders.reply_reminder,
                application,
                days,
                subject=f"reply reminder for application #{application.pk}",
            )
    return done


@register("remind_offers", order=20)
def remind_offers(now: datetime) -> int:
    """Remind the grantee 7 and 2 days before an offer lapses."""
    today = local_date(now)
    open_offers = Grant.objects.filter(
        status=GrantStatus.OFFERED,
        offer_expires_on__gte=today,
        offer_expires_on__lte=today + timedelta(days=max(OFFER_REMINDER_DAYS)),
    ).select_related("application__organisation", "programme")
    done = 0
    for grant in each(open_offers):
        days = due_threshold((grant.offer_expires_on - today).days, OFFER_REMINDER_DAYS)
        if days is not None:
            done += attempt(
                _remind,
                emails.offer_reminder,
                grant,
                days,
                subject=f"offer reminder for grant #{grant.pk}",
            )
    return done


@register("remind_reports", order=20)
def remind_reports(now: datetime) -> int:
    """Remind the grantee 14 and 3 days before the final report is due, and once after."""
    today = local_date(now)
    due = Grant.objects.filter(
        status=GrantStatus.REPORT_DUE,
        report_due_on__gte=today - timedelta(days=OVERDUE_NOTICE_DAYS),
        report_due_on__lte=today + timedelta(days=max(REPORT_REMINDER_DAYS)),
    ).select_related("application__organisation", "programme")
    done = 0
    for grant in each(due):
        assert grant.report_due_on is not None  # by the query
        days_left = (grant.report_due_on - today).days
        if days_left < 0:
            done += attempt(
                _remind,
                emails.report_overdue,
                grant,
                subject=f"report overdue notice for grant #{grant.pk}",
            )
            continue
        days = due_threshold(days_left, REPORT_REMINDER_DAYS)
        if days is not None:
            done += attempt(
                _remind,
                emails.report_due,
                grant,
                days,
                subject=f"report reminder for grant #{grant.pk}",
            )
    return done

"""The events of a user's feed, computed at each request from the records' own dates, so an
event moves when its date moves (a new reply date, a later offer deadline, a claim taken again).

Each event has a UID made of its record and its kind, never of its date: a calendar app that
fetches the feed again updates the event instead of adding a second one.

Who sees what is the rule set's: every query starts from `visible_to(user)`, and applicants'
events are narrowed to their own organisations (a member of an organisation who is also staff
does not get the fund's whole caseload as deadlines).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus
from grants.models import Call, Grant, GrantStatus
from interim.models import InterimReport, InterimStatus
from organisations.rules import memberships_of
from reviews.models import ReviewTask, TaskStatus
from reviews.rules import may_manage_tasks
from workflows import clock
from workflows.roles import STAFF_ROLES, has_role, is_active_user

# Calls closed longer ago than this are history, not deadlines.
CALLS_CLOSED_SINCE = timedelta(days=30)
# A claim is a timed event: its expiry, shown as a short slot.
CLAIM_SLOT = timedelta(minutes=30)
# A feed is read by a machine every few minutes: keep it bounded whatever the caseload.
MAX_EVENTS_PER_KIND = 500


@dataclass(frozen=True)
class Event:
    uid: str
    summary: str
    description: str
    path: str
    day: date | None = None  # an all-day event (a deadline date) ...
    at: datetime | None = None  # ... or a moment (a claim's expiry)


def events_for(user: Any) -> list[Event]:
    """Every event of `user`'s feed, in the active language, by date."""
    if not is_active_user(user):
        return []
    events = [*applicant_events(user)]
    if has_role(user, *STAFF_ROLES):
        events += call_events()
        events += claim_events(user)
    return sorted(events, key=_moment)


def _moment(event: Event) -> tuple[date, str]:
    when = event.day if event.day is not None else event.at.date()  # type: ignore[union-attr]
    return when, event.uid


def _label(application: Application) -> str:
    return f"{application.reference or _('draft')} {application.title}"


# --- applicants: their organisations' applications and grants ---------------------------------


def applicant_events(user: Any) -> list[Event]:
    """Reply-by, accept-by, report-due and interim-report dates of the user's organisations."""
    organisations = memberships_of(user).values("organisation_id")
    return [
        *_reply_events(user, organisations),
        *_grant_events(user, organisations),
    ]


def _reply_events(user: Any, organisations: Any) -> list[Event]:
    waiting = (
        Application.objects.visible_to(user)
        .filter(
            organisation__in=organisations,
            status=ApplicationStatus.CHANGES_REQUESTED,
            reply_deadline__isnull=False,
        )
        .order_by("reply_deadline", "pk")
    )[:MAX_EVENTS_PER_KIND]
    return [
        Event(
            uid=f"application-{application.pk}-reply",
            summary=_("Reply to the request for changes: %(application)s")
            % {"application": _label(application)},
            description=_(
                "The fund asked for changes to the application. Send it again by this date, "
                "or it expires."
            ),
            path=reverse("applications:detail", args=[application.pk]),
            day=application.reply_deadline,
        )
        for application in waiting
    ]


def _grant_events(user: Any, organisations: Any) -> list[Event]:
    grants = list(
        Grant.objects.visible_to(user)
        .filter(application__organisation__in=organisations)
        .filter(
            Q(status=GrantStatus.OFFERED)
            | Q(status=GrantStatus.REPORT_DUE, report_due_on__isnull=False)
            | Q(status=GrantStatus.ACCEPTED, interim_report_due_on__isnull=False)
        )
        .select_related("application")
        .order_by("pk")[: 3 * MAX_EVENTS_PER_KIND]
    )
    interim_ids = [g.pk for g in grants if g.status == GrantStatus.ACCEPTED]
    reports = (
        {
            report.grant_id: report
            for report in InterimReport.objects.visible_to(user).filter(grant__in=interim_ids)
        }
        if interim_ids
        else {}
    )
    events: list[Event] = []
    for grant in grants:
        application = grant.application
        if grant.status == GrantStatus.OFFERED:
            events.append(
                Event(
                    uid=f"grant-{grant.pk}-accept",
                    summary=_("Accept or decline the grant offer: %(application)s")
                    % {"application": _label(application)},
                    description=_("The offer lapses if it is not accepted by this date."),
                    path=reverse("applications:grant", args=[application.pk]),
                    day=grant.offer_expires_on,
                )
            )
        elif grant.status == GrantStatus.REPORT_DUE:
            events.append(
                Event(
                    uid=f"grant-{grant.pk}-report",
                    summary=_("Final report due: %(application)s")
                    % {"application": _label(application)},
                    description=_("Send the final report with the actual budget and receipts."),
                    path=reverse("applications:report", args=[application.pk]),
                    day=grant.report_due_on,
                )
            )
        else:
            event = _interim_event(grant, reports.get(grant.pk))
            if event is not None:
                events.append(event)
    return events


def _interim_event(grant: Grant, report: InterimReport | None) -> Event | None:
    """The interim report's deadline while it is owed: the grant's due date, or the reply date
    of a request for changes (`InterimReport.deadline`); one UID for both, so it moves."""
    if report is None or report.status == InterimStatus.DRAFT:
        day = grant.interim_report_due_on
        summary = _("Interim report due: %(application)s")
    elif report.status == InterimStatus.CHANGES_REQUESTED:
        report.grant = grant  # what `deadline` reads, without a query
        day = report.deadline
        summary = _("Interim report, reply to the request for changes: %(application)s")
    else:
        return None  # sent: nothing is owed
    if day is None:
        return None
    return Event(
        uid=f"grant-{grant.pk}-interim",
        summary=summary % {"application": _label(grant.application)},
        description=_("Tell the fund how the project is going and what has been spent so far."),
        path=reverse("interim:report", args=[grant.application_id]),
        day=day,
    )


# --- staff: calls and claims ---------------------------------------------------------------------


def call_events() -> list[Event]:
    """The closing dates of the calls (public dates of the fund): open and coming ones, and
    those closed in the last 30 days."""
    since = clock.today() - CALLS_CLOSED_SINCE
    calls = (
        Call.objects.filter(closes_on__gte=since)
        .select_related("programme")
        .order_by("closes_on", "pk")[:MAX_EVENTS_PER_KIND]
    )
    return [
        Event(
            uid=f"call-{call.pk}-closes",
            summary=_("Call closes: %(call)s") % {"call": call.title},
            description=_("Programme: %(programme)s. Open from %(opens)s.")
            % {"programme": call.programme, "opens": call.opens_on.isoformat()},
            path=reverse("reviews:overview"),
            day=call.closes_on,
        )
        for call in calls
    ]


def claim_events(user: Any) -> list[Event]:
    """When claims go back to their queue: a reviewer's own; managers and administrators every
    claim they see (tasks_visible_to)."""
    claims = ReviewTask.objects.visible_to(user).filter(
        status=TaskStatus.CLAIMED, claim_expires_at__isnull=False
    )
    if not may_manage_tasks(user):
        claims = claims.filter(assignee=user)
    claims = claims.select_related("application", "assignee").order_by("claim_expires_at", "pk")
    events = []
    for task in claims[:MAX_EVENTS_PER_KIND]:
        holder = task.assignee.get_full_name() or task.assignee.get_username()  # type: ignore[union-attr]
        events.append(
            Event(
                uid=f"review-task-{task.pk}-claim",
                summary=_("Claim expires: %(task)s, %(application)s")
                % {"task": task.get_kind_display(), "application": _label(task.application)},
                description=_(
                    "Held by %(holder)s. Unless it is done, the task goes back to its queue."
                )
                % {"holder": holder},
                path=reverse("reviews:task", args=[task.pk]),
                at=task.claim_expires_at,
            )
        )
    return events

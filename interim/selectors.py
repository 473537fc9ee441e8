"""Reads of interim reports that depend on the reader: the grant page's panel, the history rows
of the application's timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _

from grants.models import Grant, Payment, PaymentTrigger
from interim import rules, services
from interim.models import InterimReport, InterimStatus
from workflows.models import TransitionLog

# How each step of the report reads in the grantee's history.
TIMELINE_LABELS = {
    "submit": _("Interim report sent"),
    "resubmit": _("Changed interim report sent again"),
    "request_changes": _("The fund asked for changes to the interim report"),
    "accept": _("Interim report accepted"),
    "close": _("Interim report closed with the settlement"),
}


def timeline_rows(grant: Grant) -> list[tuple[TransitionLog, Any]]:
    """The audit rows of the grant's interim report, each with its words (a draft has none)."""
    pk = InterimReport.objects.filter(grant=grant).values_list("pk", flat=True).first()
    if pk is None:
        return []
    rows = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(InterimReport), object_id=str(pk)
    ).order_by("id")
    return [(row, TIMELINE_LABELS.get(row.transition, row.transition)) for row in rows]


@dataclass(frozen=True)
class Panel:
    """What the grant page says of the interim report, for one reader."""

    due_on: date | None  # when it is owed (the reply date after a request for changes)
    report: InterimReport | None  # None: not started, or a draft the reader may not see
    may_edit: bool
    may_read: bool
    payment: Payment | None  # the instalment its acceptance released
    waits_for_tranche: bool  # the payment plan has a tranche that waits for it

    @property
    def status_label(self) -> Any:
        if self.report is None:
            return _("not sent yet")
        return self.report.get_status_display()


def panel_for(grant: Grant, user: Any) -> Panel | None:
    """None when the grant owes no interim report (no policy, or a project too short for one),
    or when `user` may not read it."""
    if grant.interim_report_due_on is None:
        return None  # none is owed (a report sent keeps its due date)
    if not rules.may_read(grant, user):
        return None
    report = InterimReport.objects.filter(grant=grant).first()
    if report is not None:
        report.grant = grant
        if not rules.sees_draft(report, user):
            report = None
    payment = (
        Payment.objects.visible_to(user)
        .filter(grant=grant, trigger=PaymentTrigger.INTERIM_REPORT_ACCEPTED)
        .order_by("sequence")
        .first()
    )
    due_on = report.deadline if report is not None else grant.interim_report_due_on
    return Panel(
        due_on=due_on,
        report=report,
        may_edit=services.may_edit(grant, user),
        may_read=report is not None and report.status != InterimStatus.DRAFT,
        payment=payment,
        waits_for_tranche=bool(grant.programme.tranches(PaymentTrigger.INTERIM_REPORT_ACCEPTED)),
    )

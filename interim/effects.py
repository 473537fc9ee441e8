"""What follows the steps of an interim report and of its grant, whoever takes them (the review
workspace, the admin, the scheduler): side effects (`workflows.effects`), each its own row run
after the commit, idempotent.

- the grantee hears of the check's outcome by e-mail;
- a grant settled, revoked or cancelled closes its interim report if it was not accepted (the
  settlement counts what was paid, so nothing is left for the report to release).
"""

from __future__ import annotations

from typing import Any

from interim import emails, services
from interim.models import OPEN_STATES, InterimReport
from workflows import effects

INTERIM_REPORT = "interim.interimreport"
GRANT = "grants.grant"


@effects.register(INTERIM_REPORT, "accept")
@effects.register(INTERIM_REPORT, "request_changes")
def mail_interim_report_decided(log: Any) -> None:
    report = InterimReport.objects.select_related(
        "grant__application__organisation", "grant__programme"
    ).get(pk=log.object_id)
    emails.interim_report_decided(report, log)


@effects.register(GRANT, "accept_report")
@effects.register(GRANT, "revoke")
@effects.register(GRANT, "cancel")
def close_open_interim_report(log: Any) -> None:
    report = InterimReport.objects.filter(
        grant_id=int(log.object_id), status__in=OPEN_STATES
    ).first()
    if report is not None:
        services.close_interim_report(report)

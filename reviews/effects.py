"""Review tasks follow the transitions, whoever makes them (portal, admin, API, scheduler).

Registered as side effects (`workflows.effects`): they run after the transition commits, are
idempotent, and `manage.py sync_review_tasks` repairs anything a failed run left undone.
"""

from __future__ import annotations

from typing import Any

from applications.models import Application
from grants.models import Grant
from interim.models import InterimReport
from reviews import services
from reviews.models import TaskKind
from reviews.report_checks import ACCEPTED, CHANGES_REQUESTED
from workflows import effects

APPLICATION = "applications.application"
GRANT = "grants.grant"
INTERIM_REPORT = "interim.interimreport"


def _application(log: Any) -> Application:
    return Application.objects.get(pk=log.object_id)


@effects.register(APPLICATION, "submit")
@effects.register(APPLICATION, "resubmit")
def open_formal_check(log: Any) -> None:
    services.open_formal_check(_application(log), log_id=log.pk)


@effects.register(APPLICATION, "pass_formal_check")
def open_assessments(log: Any) -> None:
    application = _application(log)
    services.cancel_open_tasks(
        application, kinds=(TaskKind.FORMAL_CHECK,), done_by=log.actor, outcome="passed"
    )
    services.open_assessments(application)


@effects.register(APPLICATION, "request_changes")
def close_formal_checks(log: Any) -> None:
    services.cancel_open_tasks(
        _application(log),
        kinds=(TaskKind.FORMAL_CHECK,),
        done_by=log.actor,
        outcome="changes_requested",
    )


@effects.register(APPLICATION, "complete_review")
def close_assessments(log: Any) -> None:
    services.cancel_open_tasks(_application(log), kinds=(TaskKind.ASSESSMENT,))


@effects.register(APPLICATION, "reject")
@effects.register(APPLICATION, "withdraw")
@effects.register(APPLICATION, "expire")
def close_all(log: Any) -> None:
    services.cancel_open_tasks(_application(log))


@effects.register(GRANT, "submit_report")
def open_report_check(log: Any) -> None:
    services.open_report_check(Grant.objects.get(pk=log.object_id), log_id=log.pk)


@effects.register(GRANT, "accept_report")
@effects.register(GRANT, "request_report_changes")
def close_report_checks(log: Any) -> None:
    grant = Grant.objects.get(pk=log.object_id)
    outcome = ACCEPTED if log.transition == "accept_report" else CHANGES_REQUESTED
    services.cancel_open_tasks(
        grant.application, kinds=(TaskKind.REPORT_CHECK,), done_by=log.actor, outcome=outcome
    )


@effects.register(INTERIM_REPORT, "submit")
@effects.register(INTERIM_REPORT, "resubmit")
def open_interim_check(log: Any) -> None:
    report = InterimReport.objects.select_related("grant").get(pk=log.object_id)
    services.open_interim_check(report, log_id=log.pk)


@effects.register(INTERIM_REPORT, "accept")
@effects.register(INTERIM_REPORT, "request_changes")
@effects.register(INTERIM_REPORT, "close")
def close_interim_checks(log: Any) -> None:
    report = InterimReport.objects.select_related("grant__application").get(pk=log.object_id)
    outcome = {"accept": ACCEPTED, "request_changes": CHANGES_REQUESTED}.get(log.transition, "")
    services.cancel_open_tasks(
        report.grant.application,
        kinds=(TaskKind.INTERIM_CHECK,),
        done_by=log.actor if outcome else None,
        outcome=outcome,
    )

"""`manage.py sync_review_tasks`: make the review tasks match the applications' states.

Tasks are opened by side effects after each transition; if one of those runs failed (a worker
died), this repairs it. Idempotent and safe to run at any time, e.g. nightly from cron. Stale tasks are cancelled by the
system through `perform()`, each with its audit row.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from applications.models import Application, ApplicationStatus
from grants.models import Grant, GrantStatus
from interim.models import InterimReport, InterimStatus
from reviews import services
from reviews.models import ACTIVE_TASK_STATES, ReviewTask, TaskKind


class Command(BaseCommand):
    help = "Open missing review tasks and close those whose application has moved on."

    def handle(self, *args: Any, **options: Any) -> None:
        before = ReviewTask.objects.count()
        for application in Application.objects.filter(status=ApplicationStatus.SUBMITTED).exclude(
            review_tasks__kind=TaskKind.FORMAL_CHECK, review_tasks__status__in=ACTIVE_TASK_STATES
        ):
            services.open_formal_check(application)
        for application in Application.objects.filter(status=ApplicationStatus.IN_REVIEW):
            services.open_assessments(application)
        for grant in Grant.objects.filter(status=GrantStatus.REPORT_SUBMITTED).exclude(
            application__review_tasks__kind=TaskKind.REPORT_CHECK,
            application__review_tasks__status__in=ACTIVE_TASK_STATES,
        ):
            services.open_report_check(grant)
        for report in InterimReport.objects.filter(status=InterimStatus.SUBMITTED).exclude(
            grant__application__review_tasks__kind=TaskKind.INTERIM_CHECK,
            grant__application__review_tasks__status__in=ACTIVE_TASK_STATES,
        ):
            services.open_interim_check(report)
        closed = services.close_stale_tasks()
        self.stdout.write(
            f"Opened {ReviewTask.objects.count() - before} review tasks, closed {closed} stale ones."
        )

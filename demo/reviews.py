"""Demo histories with the review work done the way staff do it: tasks claimed, formal checks
with their checklist, assessments scored against the rubric, reports checked.

`ReviewSteps` plugs into `demo.builders.drive`. It opens the tasks a step needs right away
(the side effects would open them after the commit, which inside one seeding transaction comes
too late) — the same idempotent services, so the side effects find them and do nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from applications.formal_check import CHECKLIST_CODES
from applications.models import Application
from demo import builders as demo
from grants.models import Grant
from reviews import checks, report_checks, services
from reviews.models import Recommendation, ReviewerProfile, ReviewTask, TaskKind, TaskStatus

# Scores of a good application: a weighted score of about 72 with the fund's rubric weights.
DEMO_SCORES = {
    "accessibility": 7, "reach": 7, "franco_german_relevance": 8, "partnership_quality": 7,
    "networking": 7, "intercultural_learning": 8, "diversity": 7, "gender_equity": 7,
    "visibility": 6, "innovation": 7, "environment": 7,
}  # fmt: skip


def ensure_reviewer_profiles(cast: demo.Cast) -> None:
    """The demo reviewers: both speak German, the first French too."""
    ReviewerProfile.objects.get_or_create(user=cast.reviewer, defaults={"languages": ["de", "fr"]})
    ReviewerProfile.objects.get_or_create(user=cast.reviewer2, defaults={"languages": ["de"]})


class ReviewSteps(demo.StepHooks):
    def __init__(self, cast: demo.Cast) -> None:
        self.cast = cast
        self.reviewers = [cast.reviewer, cast.reviewer2]

    def run(self, obj: Any, step: str, by: Any, data: dict[str, Any]) -> Any | None:
        if isinstance(obj, Application):
            if step == "pass_formal_check":
                task = self._task(obj, TaskKind.FORMAL_CHECK)
                return checks.pass_formal_check(task, by=by, **data)
            if step == "request_changes":
                task = self._task(obj, TaskKind.FORMAL_CHECK)
                checks.request_changes(task, by=by, checklist=CHECKLIST_CODES, **data)
                return Application.objects.get(pk=obj.pk)
            if step == "complete_review":
                return self._assess(obj)
        if isinstance(obj, Grant) and step == "accept_report":
            task = self._task(obj.application, TaskKind.REPORT_CHECK, grant=obj)
            report_checks.accept_report(task, by=by)
            return Grant.objects.get(pk=obj.pk)
        return None

    def after(self, obj: Any, step: str) -> None:
        """What the side effects of reviews.effects do after each step (seeding replays the
        histories with side effects suspended), so the queues look as the staff would leave
        them."""
        if step in ("submit", "resubmit"):
            services.open_formal_check(obj)
        elif step == "pass_formal_check":
            services.cancel_open_tasks(obj, kinds=(TaskKind.FORMAL_CHECK,))
            services.open_assessments(obj)
        elif step == "complete_review":
            services.cancel_open_tasks(obj, kinds=(TaskKind.ASSESSMENT,))
        elif step in ("reject", "withdraw", "expire"):
            services.cancel_open_tasks(obj)
        elif step == "submit_report":
            services.open_report_check(obj)

    def _task(self, application: Application, kind: str, *, grant: Grant | None = None) -> ReviewTask:  # fmt: skip
        if kind == TaskKind.FORMAL_CHECK:
            services.open_formal_check(application)
        elif kind == TaskKind.REPORT_CHECK and grant is not None:
            services.open_report_check(grant)
        return (
            ReviewTask.objects.filter(
                application=application, kind=kind, status__in=(TaskStatus.OPEN, TaskStatus.CLAIMED)
            )
            .order_by("-round", "slot")
            .first()
        ) or ReviewTask.objects.filter(application=application, kind=kind).latest("round")

    def _assess(self, application: Application) -> Application:
        """Every required review, by the demo reviewers in turn; the last completes the review."""
        for task, reviewer in zip(services.open_assessments(application), self.reviewers * 3, strict=False):  # fmt: skip
            if task.status == TaskStatus.DONE:
                continue
            checks.submit_review(
                task,
                by=reviewer,
                scores=DEMO_SCORES,
                recommendation=Recommendation.APPROVE,
                comment_internal="Solide Planung, gute Partnerschaft.",
                comment_for_applicant="Vielen Dank für den klaren Finanzierungsplan.",
            )
        return Application.objects.get(pk=application.pk)


def weighted_demo_score() -> Decimal:
    """What DEMO_SCORES give with the demo rubric (for tests and the seed summary)."""
    rubric = [(str(c["code"]), Decimal(str(c["weight"]))) for c in demo.RUBRIC]
    return checks.weighted_score(DEMO_SCORES, rubric)

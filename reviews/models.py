"""Review work: tasks in queues (formal check, assessment, report check, interim report check),
reviews with their
rubric scores, reviewers' languages and scope, and conflicts of interest.

A task is one piece of work on one application (or its grant's report) for one reviewer. Tasks
are rows so that claims can be locked, expired, released and reassigned; the application's own
state machine stays the record of where the application is. A task's status is a small machine
of its own: every claim, release, reassignment, expiry, completion and cancellation goes through
`workflows.perform()` and leaves its audit row (who, when).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from grants.money import money_field
from reviews import rules
from workflows import clock
from workflows.fields import CleanTextField
from workflows.guards import guard


class TaskKind(models.TextChoices):
    FORMAL_CHECK = "formal_check", _("formal check")
    ASSESSMENT = "assessment", _("assessment")
    REPORT_CHECK = "report_check", _("report check")
    INTERIM_CHECK = "interim_check", _("interim report check")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLAIMED = "claimed", _("claimed")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


# Tasks somebody still has to do.
ACTIVE_TASK_STATES = (TaskStatus.OPEN, TaskStatus.CLAIMED)


def claim_hours() -> int:
    """How long a claim lasts before the scheduler gives the task back to its queue."""
    return int(getattr(settings, "MICROGRANTS_CLAIM_HOURS", 72))


class ReviewerProfile(models.Model):
    """What assignment needs to know of a reviewer: languages, programmes, capacity."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_('e.g. ["de", "fr"]')
    )
    programmes = models.ManyToManyField(
        "grants.Programme",
        blank=True,
        related_name="reviewers",
        help_text=_("Leave empty for every programme."),
    )
    max_open_tasks = models.PositiveSmallIntegerField(_("most tasks at a time"), default=20)

    class Meta:
        verbose_name = _("reviewer profile")
        verbose_name_plural = _("reviewer profiles")

    def __str__(self) -> str:
        return str(self.user)


class ReviewTaskQuerySet(models.QuerySet["ReviewTask"]):
    def visible_to(self, user: Any) -> models.QuerySet[ReviewTask]:
        return rules.tasks_visible_to(self, user)


@guard("claim_not_expired", _("The claim on this task has not expired yet."))
def _claim_expired(task: ReviewTask) -> bool:
    return task.claim_expires_at is not None and task.claim_expires_at < clock.now()


class ReviewTask(ConcurrentTransitionMixin, models.Model):
    """One piece of review work. Its status changes only through `perform()`, each change with
    its audit row: who claimed, released, reassigned, completed it, or that the system did."""

    kind = models.CharField(_("kind"), max_length=16, choices=TaskKind)
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="review_tasks"
    )
    grant = models.ForeignKey(
        "grants.Grant", null=True, blank=True, on_delete=models.CASCADE, related_name="review_tasks"
    )
    # Copies of the application's fields the queues filter and sort by (set when the task is
    # made; an application's content no longer changes once it is submitted).
    programme = models.ForeignKey(
        "grants.Programme", null=True, on_delete=models.PROTECT, related_name="review_tasks"
    )
    language = models.CharField(_("language"), max_length=2, blank=True)
    applicant_country = models.CharField(_("applicant country"), max_length=2, blank=True)
    project_start = models.DateField(_("project start"), null=True, blank=True)
    # A resubmitted application is checked again in a new round; assessments have one slot per
    # review the programme requires.
    round = models.PositiveSmallIntegerField(default=1)
    slot = models.PositiveSmallIntegerField(default=1)
    status = FSMField(
        _("status"), max_length=16, choices=TaskStatus, default=TaskStatus.OPEN, protected=True
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="review_tasks",
    )
    created_at = models.DateTimeField(default=clock.now)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    checklist = models.JSONField(_("checklist"), default=dict, blank=True)

    objects = ReviewTaskQuerySet.as_manager()
    # What perform() loads with the locked row: the rules read the application and its
    # organisation (conflicts); the check pages its programme (the rubric).
    rules_select_related = ("application__organisation", "application__programme")

    class Meta:
        verbose_name = _("review task")
        verbose_name_plural = _("review tasks")
        ordering = ["project_start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "round", "slot"], name="one_task_per_slot"
            ),
            # Open tasks belong to nobody; claimed ones to somebody.
            models.CheckConstraint(
                condition=Q(status="open", assignee__isnull=True)
                | Q(status="claimed", assignee__isnull=False)
                | Q(status__in=["done", "cancelled"]),
                name="task_assignee_consistent",
            ),
        ]
        indexes = [
            # The queue: active tasks of one kind, most urgent first.
            models.Index(fields=["kind", "status", "project_start", "id"], name="task_queue"),
            models.Index(fields=["kind", "status", "created_at", "id"], name="task_queue_waiting"),
            # The whole queue page (open and claimed together), in the urgency order.
            models.Index(
                fields=["kind", "project_start", "id"],
                condition=Q(status__in=["open", "claimed"]),
                name="task_active_queue",
            ),
            models.Index(fields=["assignee", "status"], name="task_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id}/{self.round}.{self.slot}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_TASK_STATES

    # --- transitions: they stamp the task's own fields; reviews.services calls them ----------
    def _hold(self, reviewer_id: int) -> None:
        now = clock.now()
        self.assignee_id = reviewer_id
        self.claimed_at = now
        self.claim_expires_at = now + timedelta(hours=claim_hours())

    def _give_back(self) -> None:
        self.assignee = None
        self.claimed_at = self.claim_expires_at = None

    @transition(
        field=status,
        source=TaskStatus.OPEN,
        target=TaskStatus.CLAIMED,
        permission=rules.may_claim,
    )
    def claim(self, *, by: Any) -> None:
        """A reviewer takes the task from the queue."""
        self._hold(by.pk)

    @transition(
        field=status,
        source=TaskStatus.OPEN,
        target=TaskStatus.CLAIMED,
        permission=rules.is_system,
    )
    def assign(self, *, by: Any, to: int) -> None:
        """The system hands a new task to a reviewer (automatic assignment, or a resubmission
        back to the reviewer who asked for the changes); `to` is the reviewer's id."""
        self._hold(to)

    @transition(
        field=status,
        source=[TaskStatus.OPEN, TaskStatus.CLAIMED],
        target=TaskStatus.CLAIMED,
        permission=rules.may_reassign,
    )
    def reassign(self, *, by: Any, to: int) -> None:
        """A manager gives the task to a reviewer (`to`, the reviewer's id; the service checks
        that they may take it)."""
        self._hold(to)

    @transition(
        field=status,
        source=TaskStatus.CLAIMED,
        target=TaskStatus.OPEN,
        permission=rules.may_release,
    )
    def release(self, *, by: Any) -> None:
        """The holder (or a manager) gives the task back to the queue."""
        self._give_back()

    @transition(
        field=status,
        source=TaskStatus.CLAIMED,
        target=TaskStatus.OPEN,
        permission=rules.is_system,
        conditions=[_claim_expired],
    )
    def expire(self, *, by: Any) -> None:
        """The scheduler gives a claim held too long back to the queue."""
        self._give_back()

    @transition(
        field=status,
        source=TaskStatus.CLAIMED,
        target=TaskStatus.DONE,
        permission=rules.may_complete,
    )
    def complete(self, *, by: Any, outcome: str, checklist: dict[str, Any] | None = None) -> None:
        """The work is done (`outcome`: passed, changes_requested, reviewed, accepted...)."""
        self.done_at = clock.now()
        self.outcome = outcome
        if checklist is not None:
            self.checklist = checklist

    @transition(
        field=status,
        source=[TaskStatus.OPEN, TaskStatus.CLAIMED],
        target=TaskStatus.CANCELLED,
        permission=rules.may_cancel,
    )
    def cancel(self, *, by: Any) -> None:
        """The application (or grant) no longer waits for this work."""
        self.done_at = clock.now()


class ConflictQuerySet(models.QuerySet["Conflict"]):
    def visible_to(self, user: Any) -> models.QuerySet[Conflict]:
        return rules.conflicts_visible_to(self, user)


class Conflict(models.Model):
    """A reviewer who must not see or judge an application: declared or found automatically."""

    class Reason(models.TextChoices):
        DECLARED = "declared", _("declared by the reviewer")
        MEMBER = "member", _("member of the applying organisation")
        PARTNER = "partner", _("linked to a partner organisation")
        EMAIL_DOMAIN = "email_domain", _("same e-mail domain as the applicant")

    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_conflicts"
    )
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="review_conflicts"
    )
    reason = models.CharField(max_length=16, choices=Reason)
    note = CleanTextField(_("note"), blank=True)
    created_at = models.DateTimeField(default=clock.now)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(fields=["reviewer", "application"], name="one_conflict_row")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} / {self.application_id}: {self.reason}"


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("approve")
    APPROVE_LOWER = "approve_lower", _("approve a lower amount")
    REJECT = "reject", _("reject")


class ReviewQuerySet(models.QuerySet["Review"]):
    def visible_to(self, user: Any) -> models.QuerySet[Review]:
        return rules.reviews_visible_to(self, user)


class Review(models.Model):
    """An assessment against the programme's rubric (criteria 0-10 with weights)."""

    task = models.OneToOneField(ReviewTask, on_delete=models.PROTECT, related_name="review")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    scores = models.JSONField(_("scores"), default=dict, help_text=_("criterion -> 0..10"))
    weighted_score = models.DecimalField(
        _("weighted score"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    recommendation = models.CharField(max_length=16, choices=Recommendation)
    proposed_amount = money_field(verbose_name=_("proposed amount"), null=True, blank=True)
    comment_internal = CleanTextField(_("internal comment"), blank=True)
    comment_for_applicant = CleanTextField(_("comment for the applicant"), blank=True)
    submitted_at = models.DateTimeField(default=clock.now)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer"], name="one_review_per_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.application_id}: {self.weighted_score}"


class IneligibilityReason(models.TextChoices):
    """Reason codes of a formal rejection (the text beside them explains the case)."""

    APPLICANT = "applicant", _("the applicant is not eligible")
    LATE = "late", _("submitted too late before the project start")
    BUDGET = "budget", _("the budget plan breaks the funding rules")
    INCOMPLETE = "incomplete", _("documents or information missing after a request")
    PURPOSE = "purpose", _("the project is outside the fund's purpose")
    DOUBLE_FUNDING = "double_funding", _("the same costs are funded elsewhere")
    OTHER = "other", _("other reason")

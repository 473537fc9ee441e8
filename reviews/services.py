"""Writes of the review work: tasks opened and closed, claimed, released, reassigned, assigned;
conflicts declared. The formal check, assessment, decision and report check pages call the
services of `reviews.checks`, `reviews.decisions` and `reviews.report_checks`, which use these.

Every change of a task's status goes through `workflows.perform()` (the task's transitions in
`reviews.models`), so each has its audit row. Where several tasks change in one transaction
(closing an application's tasks), their rows are locked first, then changed one by one: the
transaction never waits for a task's lock while it holds the audit chain's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationStatus
from grants.models import Grant, GrantStatus
from interim.models import InterimReport, InterimStatus
from reviews import rules
from reviews.models import (
    ACTIVE_TASK_STATES,
    Conflict,
    ReviewerProfile,
    ReviewTask,
    ReviewTaskQuerySet,
    TaskKind,
    TaskStatus,
)
from workflows import clock, perform
from workflows.deadlines import attempt, each
from workflows.errors import (
    TransitionConflict,
    TransitionForbidden,
    TransitionNotAllowed,
    WorkflowError,
)
from workflows.models import TransitionLog
from workflows.roles import Role, has_role

# The state the application (or its grant) is in while a task of each kind is to be done.
WAITING_STATE = {
    TaskKind.FORMAL_CHECK: ("application__status", ApplicationStatus.SUBMITTED),
    TaskKind.ASSESSMENT: ("application__status", ApplicationStatus.IN_REVIEW),
    TaskKind.REPORT_CHECK: ("grant__status", GrantStatus.REPORT_SUBMITTED),
    TaskKind.INTERIM_CHECK: ("grant__interim_report__status", InterimStatus.SUBMITTED),
}
# Days a reviewer has for a task once it exists (shown as its due date).
TASK_DAYS = {
    TaskKind.FORMAL_CHECK: 7,
    TaskKind.ASSESSMENT: 14,
    TaskKind.REPORT_CHECK: 14,
    TaskKind.INTERIM_CHECK: 14,
}


class NothingToClaim(WorkflowError):
    code = "nothing_to_claim"
    http_status = 404

    def default_message(self) -> object:
        return _("There is no task in this queue that you can take right now.")


# --- opening and closing tasks (idempotent: safe to run twice) -----------------------------------


def _task_fields(application: Application, kind: str) -> dict[str, Any]:
    return {
        "programme_id": application.programme_id,
        "language": application.language,
        "applicant_country": application.organisation.country,
        "project_start": application.start_date,
        "due_on": clock.today() + timedelta(days=TASK_DAYS[TaskKind(kind)]),
    }


def _submissions(application: Application, *, up_to: int | None = None) -> int:
    rows = TransitionLog.objects.for_object(application).filter(
        transition__in=("submit", "resubmit")
    )
    if up_to is not None:
        rows = rows.filter(pk__lte=up_to)
    return rows.count()


@transaction.atomic
def open_formal_check(application: Application, *, log_id: int | None = None) -> ReviewTask:
    """The formal check of the latest submission; a resubmission goes back to the reviewer who
    asked for the changes when they can still take it."""
    application = Application.objects.select_related("organisation").get(pk=application.pk)
    round_ = max(1, _submissions(application, up_to=log_id))
    task, created = _get_or_create(application, TaskKind.FORMAL_CHECK, round_, 1)
    if created and round_ > 1:
        earlier = (
            ReviewTask.objects.filter(
                application=application, kind=TaskKind.FORMAL_CHECK, round=round_ - 1
            )
            .exclude(assignee=None)
            .first()
        )
        if earlier is not None and rules.may_work_on(task, earlier.assignee):
            task = _assign(task, earlier.assignee)
    elif created:
        task = assign_if_automatic(task)
    return task


@transaction.atomic
def open_assessments(application: Application) -> list[ReviewTask]:
    """One assessment task per review the programme requires."""
    application = Application.objects.select_related("organisation", "programme").get(
        pk=application.pk
    )
    wanted = application.programme.reviews_required if application.programme else 1
    tasks = []
    for slot in range(1, max(1, wanted) + 1):
        task, created = _get_or_create(application, TaskKind.ASSESSMENT, 1, slot)
        if created:
            task = assign_if_automatic(task)
        tasks.append(task)
    return tasks


@transaction.atomic
def open_report_check(grant: Grant, *, log_id: int | None = None) -> ReviewTask:
    """The check of the grant's final report (a report sent again is checked again)."""
    rows = TransitionLog.objects.for_object(grant).filter(transition="submit_report")
    if log_id is not None:
        rows = rows.filter(pk__lte=log_id)
    application = Application.objects.select_related("organisation").get(pk=grant.application_id)
    task, created = _get_or_create(
        application, TaskKind.REPORT_CHECK, max(1, rows.count()), 1, grant=grant
    )
    if created:
        task = assign_if_automatic(task)
    return task


@transaction.atomic
def open_interim_check(report: InterimReport, *, log_id: int | None = None) -> ReviewTask:
    """The check of the grant's interim report (a report sent again is checked again, in a new
    round)."""
    rows = TransitionLog.objects.for_object(report).filter(transition__in=("submit", "resubmit"))
    if log_id is not None:
        rows = rows.filter(pk__lte=log_id)
    grant = report.grant
    application = Application.objects.select_related("organisation").get(pk=grant.application_id)
    task, created = _get_or_create(
        application, TaskKind.INTERIM_CHECK, max(1, rows.count()), 1, grant=grant
    )
    if created:
        task = assign_if_automatic(task)
    return task


def _get_or_create(
    application: Application, kind: str, round_: int, slot: int, *, grant: Grant | None = None
) -> tuple[ReviewTask, bool]:
    key = {"application": application, "kind": kind, "round": round_, "slot": slot}
    found = ReviewTask.objects.filter(**key).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            task = ReviewTask.objects.create(**key, grant=grant, **_task_fields(application, kind))
    except IntegrityError:  # opened at the same moment by another worker
        return ReviewTask.objects.get(**key), False
    return task, True


@transaction.atomic
def cancel_open_tasks(
    application: Application,
    *,
    kinds: tuple[str, ...] | None = None,
    done_by: Any = None,
    outcome: str = "",
) -> int:
    """The application left the state the tasks were waiting for (withdrawn, rejected...): its
    active tasks are cancelled by the system, each with its audit row; returns how many closed.

    With `done_by`, the task that person holds is the work that moved the application on
    (through the admin or the API, not the task's page): it is completed by them with `outcome`."""
    tasks = ReviewTask.objects.filter(application=application, status__in=ACTIVE_TASK_STATES)
    if kinds:
        tasks = tasks.filter(kind__in=kinds)
    closed = 0
    for task in list(tasks.select_for_update().order_by("pk")):  # all locked before any change
        if done_by is not None and rules.holds(task, done_by):
            perform(task, "complete", by=done_by, outcome=outcome)
        else:
            perform(task, "cancel", by=None)
        closed += 1
    return closed


@transaction.atomic
def close_stale_tasks() -> int:
    """Cancel the active tasks whose application (or grant) no longer waits for their kind of
    work (a side effect that failed to close them); returns how many."""
    closed = 0
    for kind in TaskKind.values:
        field, state = WAITING_STATE[TaskKind(kind)]
        stale = ReviewTask.objects.filter(kind=kind, status__in=ACTIVE_TASK_STATES).exclude(
            **{field: state}
        )
        for task in list(stale.select_for_update(of=("self",)).order_by("pk")):
            perform(task, "cancel", by=None)
            closed += 1
    return closed


def complete_task(task: ReviewTask, *, by: Any, outcome: str, checklist: dict | None = None) -> ReviewTask:  # type: ignore[type-arg]  # fmt: skip
    """Mark the caller's task done (inside the transaction of the work it records), with its
    audit row. An open task is claimed by the caller first."""
    data: dict[str, Any] = {"outcome": outcome}
    if checklist is not None:
        data["checklist"] = checklist
    try:
        return perform(task, "complete", by=by, **data)
    except TransitionForbidden:
        raise TransitionForbidden(_("This task is claimed by someone else.")) from None
    except TransitionNotAllowed:
        if not ReviewTask.objects.filter(pk=task.pk, status=TaskStatus.OPEN).exists():
            raise WorkflowError(_("This task has already been completed."), code="task_done") from None  # fmt: skip
    # Still open: the caller takes it first (two rows, the claim and the completion, both theirs).
    return perform(claim(task, by=by), "complete", by=by, **data)


# --- the queues and claiming ---------------------------------------------------------------------


def waiting_tasks(kind: str, *, status: str | None = None) -> ReviewTaskQuerySet:
    """Active tasks of one kind (or those of one status) whose application or grant still waits
    for that work."""
    field, state = WAITING_STATE[TaskKind(kind)]
    # One plain status condition when given: the database then walks the queue index in order.
    statuses = {"status": status} if status else {"status__in": ACTIVE_TASK_STATES}
    return ReviewTask.objects.filter(kind=kind, **statuses, **{field: state})


def claimable_by(
    reviewer: Any, kind: str, *, scope: list[int] | None = None
) -> QuerySet[ReviewTask]:
    """Open tasks `reviewer` may take: in scope, no conflict, not a second slot of the same
    application. `scope` (the reviewer's programmes; empty: all) is looked up unless given."""
    tasks = waiting_tasks(kind, status=TaskStatus.OPEN).exclude(
        rules.conflicting_applications(reviewer)
    )
    if scope is None:
        scope = _profile_of(reviewer).scope
    if scope:
        tasks = tasks.filter(programme__in=scope)
    mine = ReviewTask.objects.filter(assignee=reviewer, kind=kind).values("application_id")
    return tasks.exclude(application__in=mine)


@dataclass(frozen=True)
class _Profile:
    capacity: int | None
    scope: list[int]


def _profile_of(reviewer: Any) -> _Profile:
    """Capacity and programmes of a reviewer in one query (no profile: no limits)."""
    rows = list(
        ReviewerProfile.objects.filter(user=reviewer).values_list("max_open_tasks", "programmes")
    )
    if not rows:
        return _Profile(None, [])
    return _Profile(rows[0][0], [programme for _cap, programme in rows if programme is not None])


def claim_next(reviewer: Any, kind: str, *, filters: Q | None = None) -> ReviewTask:
    """The most urgent open task the reviewer may take (earliest project start first), claimed
    atomically: two reviewers never get the same task.

    PostgreSQL skips rows another transaction holds (`FOR UPDATE SKIP LOCKED`), so claims run
    side by side; SQLite admits one writing transaction at a time (IMMEDIATE), which serialises
    them, and the conditional update double-checks.
    """
    if not has_role(reviewer, Role.REVIEWER):
        raise TransitionForbidden()
    profile = _profile_of(reviewer)
    _check_capacity(reviewer, profile)
    for _attempt in range(5):
        with transaction.atomic():
            candidates = claimable_by(reviewer, kind, scope=profile.scope)
            if filters is not None:
                candidates = candidates.filter(filters)
            # The order of the queue index: the database walks it and stops at the first row.
            candidates = candidates.order_by("project_start", "id")
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            task = candidates.first()
            if task is None:
                raise NothingToClaim()
            try:
                return _perform_claim(task, reviewer)
            except (TransitionNotAllowed, TransitionConflict):
                continue  # taken in the meantime: the next one
    raise NothingToClaim()


def _perform_claim(task: ReviewTask, reviewer: Any) -> ReviewTask:
    """The claim through the one door; a refusal because of the claim limit says so."""
    try:
        return perform(task, "claim", by=reviewer)
    except TransitionForbidden:
        _check_capacity(reviewer)
        raise


def _check_capacity(reviewer: Any, profile: _Profile | None = None) -> None:
    profile = profile or _profile_of(reviewer)
    if profile.capacity is None:
        return
    held = ReviewTask.objects.filter(assignee=reviewer, status=TaskStatus.CLAIMED).count()
    if held >= profile.capacity:
        raise WorkflowError(
            _("You already hold %(count)s tasks; please finish or release some first.")
            % {"count": held},
            code="too_many_tasks",
        )


@transaction.atomic
def claim(task: ReviewTask, *, by: Any) -> ReviewTask:
    """Take one particular open task from the queue (its audit row names the reviewer). Of two
    reviewers taking it at once, the second is told that someone else has just taken it."""
    try:
        return _perform_claim(task, by)
    except TransitionNotAllowed:
        raise WorkflowError(_("Someone else has just taken this task."), code="task_taken") from None  # fmt: skip


@transaction.atomic
def release(task: ReviewTask, *, by: Any) -> ReviewTask:
    """Give a claimed task back to the queue (its holder or a manager), with its audit row."""
    try:
        return perform(task, "release", by=by)
    except TransitionNotAllowed:
        raise WorkflowError(_("This task is not claimed."), code="not_claimed") from None


@transaction.atomic
def reassign(task: ReviewTask, *, to: Any, by: Any) -> ReviewTask:
    """A manager gives a task to a reviewer who may take it; the audit row names both."""
    if not rules.may_manage_tasks(by):
        raise TransitionForbidden()
    locked = ReviewTask.objects.select_for_update().select_related("application__organisation").get(pk=task.pk)  # fmt: skip
    if locked.status not in ACTIVE_TASK_STATES:
        raise WorkflowError(_("This task has already been completed."), code="task_done")
    if not rules.may_work_on(locked, to):
        raise WorkflowError(
            _("%(name)s cannot take this task (not a reviewer of this programme, or in conflict).")
            % {"name": to.get_full_name() or to.get_username()},
            code="cannot_take",
        )
    return perform(locked, "reassign", by=by, to=to.pk)


def expire_claims() -> int:
    """Claims held longer than the configured hours go back to the queue, each expired by the
    system with its audit row, in its own transaction as the scheduler's other steps; returns
    how many. A claim its holder completes or releases meanwhile is left alone."""
    due = ReviewTask.objects.filter(status=TaskStatus.CLAIMED, claim_expires_at__lt=clock.now())
    expired = 0
    for task in each(due):
        expired += attempt(perform, task, "expire", by=None, subject=f"expire claim #{task.pk}")
    return expired


# --- automatic assignment ------------------------------------------------------------------------


def assign_if_automatic(task: ReviewTask) -> ReviewTask:
    """For programmes with automatic assignment: the reviewer with the least open work who
    speaks the application's language, in scope and without a conflict."""
    if task.programme is None or not task.programme.auto_assign:
        return task
    chosen = pick_reviewer(task)
    return task if chosen is None else _assign(task, chosen)


def _assign(task: ReviewTask, reviewer: Any) -> ReviewTask:
    """The system hands the new task to `reviewer` (the audit row names them)."""
    return perform(task, "assign", by=None, to=reviewer.pk)


def pick_reviewer(task: ReviewTask) -> Any | None:
    user_model = get_user_model()
    candidates = (
        user_model.objects.filter(is_active=True, groups__name=Role.REVIEWER.value)
        .exclude(
            pk__in=ReviewTask.objects.filter(application=task.application_id, kind=task.kind)
            .exclude(assignee=None)
            .values("assignee_id")
        )
        .annotate(load=Count("review_tasks", filter=Q(review_tasks__status=TaskStatus.CLAIMED)))
        .select_related("reviewer_profile")
        .order_by("load", "pk")
    )
    fallback = None
    for user in candidates:
        if not rules.may_work_on(task, user):
            continue
        profile = getattr(user, "reviewer_profile", None)
        if profile is not None and user.load >= profile.max_open_tasks:  # type: ignore[attr-defined]
            continue
        languages = profile.languages if profile is not None else []
        if task.language and task.language in languages:
            return user
        fallback = fallback or user
    return fallback


# --- conflicts -----------------------------------------------------------------------------------


@transaction.atomic
def declare_conflict(application: Application, *, by: Any, note: str = "") -> Conflict:
    """The reviewer keeps out of this application: their tasks on it go back to the queue."""
    if not has_role(by, Role.REVIEWER, Role.MANAGER):
        raise TransitionForbidden()
    conflict, _created = Conflict.objects.get_or_create(
        reviewer=by,
        application=application,
        defaults={"reason": Conflict.Reason.DECLARED, "note": note},
    )
    held = ReviewTask.objects.filter(
        application=application, assignee=by, status=TaskStatus.CLAIMED
    )
    for task in list(held.select_for_update().order_by("pk")):
        perform(task, "release", by=by)
    return conflict

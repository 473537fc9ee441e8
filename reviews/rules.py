"""Who may see and work on review tasks, reviews and conflicts.

A reviewer may take a task of a programme in their scope, on an application they may review
(no conflict: declared, member of the applying organisation, or sharing its e-mail domain or a
partner's; public mail providers such as gmx.de or orange.fr do not count). Only the holder of a
claimed task works on it; a manager may release or reassign it. The application's rules
(`applications.rules`) decide conflicts and programmes; this module applies them to the tasks.

The task's transitions carry these predicates as `permission=` (django-fsm's (obj, user) order);
`user=None` is the system: the scheduler expiring claims, the side effects that hand out, close
and complete tasks after an application's transition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q

from applications.rules import (
    PUBLIC_MAIL_DOMAINS,
    conflict_filter,
    conflict_reasons,
    email_domain,
    in_reviewer_scope,
    may_review,
    reviewer_programmes,
)
from grants.rules import is_manager, is_reviewer, is_system, limit_filter, within_limit
from workflows.roles import Role, has_role, is_active_user
from workflows.roles import is_system as system_actor

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from grants.models import Call
    from reviews.models import Conflict, Review, ReviewTask

__all__ = [
    "PUBLIC_MAIL_DOMAINS",
    "conflict_reasons",
    "email_domain",
    "in_scope",
    "is_manager",
    "is_reviewer",
    "is_system",
]


def conflicting_applications(user: Any) -> Q:
    """A filter on rows with an `application` (tasks, reviews) that selects conflicts."""
    return conflict_filter(user, "application__")


def in_scope(user: Any, programme_id: int | None) -> bool:
    """The programme is one the reviewer works for (an empty scope means every programme)."""
    return in_reviewer_scope(user, programme_id)


def may_work_on(task: ReviewTask, user: Any) -> bool:
    """A reviewer who may review the task's application (programmes, no conflict)."""
    return may_review(task.application, user)


def may_manage_tasks(user: Any) -> bool:
    """Programme managers (and administrators) reassign and see every queue."""
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def holds(task: Any, user: Any) -> bool:
    """The user is the task's assignee (an active account)."""
    return is_active_user(user) and task.assignee_id == user.pk


def below_claim_limit(user: Any) -> bool:
    """The reviewer holds fewer claimed tasks than their profile allows (no profile: no limit).
    One query, through the user's own relations: has the count of claimed tasks reached the
    profile's limit?"""
    reached = (
        user._meta.model._default_manager.filter(pk=user.pk)
        .annotate(held=Count("review_tasks", filter=Q(review_tasks__status="claimed")))
        .filter(reviewer_profile__max_open_tasks__lte=F("held"))
    )
    return not reached.exists()


# --- the task's transitions (`permission=`) --------------------------------------------------------


def may_claim(task: Any, user: Any) -> bool:
    """Take an open task: a reviewer who may work on it (every kind of task is reviewers' work:
    programme, no conflict) and holds fewer tasks than their limit."""
    return may_work_on(task, user) and below_claim_limit(user)


def may_release(task: Any, user: Any) -> bool:
    """Give a claimed task back: its holder, a manager or an administrator."""
    return holds(task, user) or may_manage_tasks(user)


def may_reassign(task: Any, user: Any) -> bool:
    """Give a task to a reviewer: a manager or an administrator (the service checks that the
    reviewer may take it)."""
    return may_manage_tasks(user)


def may_complete(task: Any, user: Any) -> bool:
    """Mark a task done: its holder, whose work it records, or the system."""
    return system_actor(user) or holds(task, user)


def may_cancel(task: Any, user: Any) -> bool:
    """Close a task the application no longer waits for: the system (after the application's
    transition, `sync_review_tasks`), a manager or an administrator."""
    return system_actor(user) or may_manage_tasks(user)


def sees_review_work(user: Any) -> bool:
    return has_role(user, Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR)


# --- what each may see ------------------------------------------------------------------------


def tasks_visible_to(queryset: QuerySet[ReviewTask], user: Any) -> QuerySet[ReviewTask]:
    """Administrators see every task, managers those without a conflict, reviewers those of
    their programmes without a conflict; nobody else any."""
    if not is_active_user(user):
        return queryset.none()
    limited = queryset.filter(limit_filter(user, "programme"))
    if has_role(user, Role.ADMINISTRATOR):
        return limited
    if has_role(user, Role.MANAGER):
        return limited.exclude(conflicting_applications(user))
    if not has_role(user, Role.REVIEWER):
        return queryset.none()
    visible = limited.exclude(conflicting_applications(user))
    scope = reviewer_programmes(user)
    return visible.filter(programme__in=sorted(scope)) if scope else visible


def reviews_visible_to(queryset: QuerySet[Review], user: Any) -> QuerySet[Review]:
    """Managers and administrators read the reviews (managers none of an application they are
    in conflict with); a reviewer reads their own only: reviewers judge independently."""
    if not is_active_user(user):
        return queryset.none()
    limited = queryset.filter(limit_filter(user, "application__programme"))
    if has_role(user, Role.ADMINISTRATOR):
        return limited
    if has_role(user, Role.MANAGER):
        return limited.filter(Q(reviewer=user) | ~conflicting_applications(user))
    return limited.filter(reviewer=user)


def conflicts_visible_to(queryset: QuerySet[Conflict], user: Any) -> QuerySet[Conflict]:
    """Managers and administrators see every declared conflict; anybody their own."""
    if may_manage_tasks(user):
        return queryset
    if not is_active_user(user):
        return queryset.none()
    return queryset.filter(reviewer=user)


# --- the committee's ranking of a call -------------------------------------------------------------


def may_rank(user: Any) -> bool:
    """Who may open the committee's rankings: those who read the assessments and decide, i.e.
    programme managers and administrators (reviewers read their own reviews only)."""
    return is_active_user(user) and has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def may_see_ranking(call: Any, user: Any) -> bool:
    """The ranking of `call`: a manager or administrator within the programmes of the request.
    Its rows are the applications they see (`Application.objects.visible_to`: no conflict) and
    its scores the reviews they read (`Review.objects.visible_to`)."""
    return may_rank(user) and within_limit(call.programme_id, user)


def ranked_calls_visible_to(queryset: QuerySet[Call], user: Any) -> QuerySet[Call]:
    """The calls whose ranking `user` may see (`may_see_ranking` as a filter)."""
    if not may_rank(user):
        return queryset.none()
    return queryset.filter(limit_filter(user, "programme"))

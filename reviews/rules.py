"""Who may see and work on review tasks, reviews and conflicts.

A reviewer may take a task of a programme in their scope, on an application they may review
(no conflict: declared, member of the applying organisation, or sharing its e-mail domain or a
partner's; public mail providers such as gmx.de or orange.fr do not count). Only the holder of a
claimed task works on it; a manager may release or reassign it. The application's rules
(`applications.rules`) decide conflicts and programmes; this module applies them to the tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from applications.rules import (
    PUBLIC_MAIL_DOMAINS,
    conflict_filter,
    conflict_reasons,
    email_domain,
    in_reviewer_scope,
    may_review,
    reviewer_programmes,
)
from grants.rules import is_manager, is_reviewer, limit_filter
from workflows.roles import Role, has_role, is_active_user

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from reviews.models import Conflict, Review, ReviewTask

__all__ = [
    "PUBLIC_MAIL_DOMAINS",
    "conflict_reasons",
    "email_domain",
    "in_scope",
    "is_manager",
    "is_reviewer",
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

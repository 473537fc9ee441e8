"""Who may see and do what on the applicant side.

Predicates take (obj, user) in django-fsm's order; `user=None` is the system (scheduler).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from grants.rules import is_manager, is_reviewer, is_system
from workflows.roles import Role, has_role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from applications.models import Application, Organisation

__all__ = ["is_manager", "is_reviewer", "is_system"]

# Transitions that make someone a reviewer of an application (four-eyes: they may not decide it).
REVIEWING_TRANSITIONS = ("pass_formal_check", "request_changes", "complete_review")


def is_applicant(application: Any, user: Any) -> bool:
    """An active member of the applying organisation."""
    return user is not None and application.organisation.has_member(user)


def can_reject(application: Any, user: Any) -> bool:
    """Formal rejection by a reviewer from `submitted`, content rejection by a manager later."""
    if application.status == "submitted":
        return has_role(user, Role.REVIEWER)
    return has_role(user, Role.MANAGER) and not has_reviewed(application, user)


def can_decide(application: Any, user: Any) -> bool:
    """A programme manager who has not reviewed this application (four-eyes principle)."""
    return has_role(user, Role.MANAGER) and not has_reviewed(application, user)


def can_reopen(application: Any, user: Any) -> bool:
    return user is None or has_role(user, Role.MANAGER)


def has_reviewed(application: Any, user: Any) -> bool:
    """Four-eyes: the user checked or assessed this application (a reviewing transition, a
    formal rejection, a `Review` written or a review task completed). One query.

    The review models are looked up by name: imports flow reviews -> applications, never back.
    """
    from django.apps import apps

    from workflows.models import TransitionLog

    if user is None or not getattr(user, "pk", None) or application.pk is None:
        return False
    logged = (
        TransitionLog.objects.for_object(application)
        .filter(actor=user)
        .filter(
            Q(transition__in=REVIEWING_TRANSITIONS) | Q(transition="reject", source="submitted")
        )
    )
    reviews = apps.get_model("reviews", "Review").objects.filter(
        application_id=application.pk, reviewer=user
    )
    tasks = apps.get_model("reviews", "ReviewTask").objects.filter(
        application_id=application.pk, assignee=user, status="done"
    )
    return (
        type(application)
        ._default_manager.filter(pk=application.pk)
        .filter(Exists(logged) | Exists(reviews) | Exists(tasks))
        .exists()
    )


def sees_all_applications(user: Any) -> bool:
    return has_role(
        user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.FUNDER, Role.ADMINISTRATOR
    )


def applications_visible_to(queryset: QuerySet[Application], user: Any) -> QuerySet[Application]:
    """Applicants see their organisations' applications; staff and funders see all but drafts.

    A subquery on the memberships instead of a join: no duplicate rows, so no DISTINCT, and the
    database can walk an index in the order a list asks for.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if sees_all_applications(user):
        # The status first, the memberships as a correlated EXISTS: PostgreSQL then drops the
        # whole condition when a status filter implies it and walks the (status, order) index.
        # As `IN (memberships)` the planner chose the order index and tested every row it
        # skipped (a funder's list filtered by status at 100,000 applications: 7.5 ms in the
        # server; now under 1 ms).
        own = Exists(_organisations_of(user).filter(organisation_id=OuterRef("organisation_id")))
        return queryset.filter(~Q(status="draft") | own)
    return queryset.filter(organisation__in=_organisations_of(user))


def _organisations_of(user: Any) -> QuerySet[Any]:
    from applications.models import Membership

    return Membership.objects.filter(user=user, is_active=True).values("organisation_id")


def organisations_visible_to(queryset: QuerySet[Organisation], user: Any) -> QuerySet[Organisation]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queryset.none()
    if sees_all_applications(user):
        return queryset
    return queryset.filter(memberships__user=user, memberships__is_active=True).distinct()


def can_edit_organisation(organisation: Organisation, user: Any) -> bool:
    return organisation.has_member(user) or has_role(user, Role.ADMINISTRATOR)


def may_read_attachments(application: Any, user: Any) -> bool:
    """Files may hold personal data: the applicants and the staff who handle them, not funders."""
    return is_applicant(application, user) or has_role(
        user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR
    )


def may_read_documents(application: Any, user: Any) -> bool:
    """The fund's letters name people, amounts and bank details: the same readers as files."""
    return is_applicant(application, user) or has_role(
        user, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR
    )

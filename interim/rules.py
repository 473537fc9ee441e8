"""Who may see and do what with interim reports. One rule set for the grantee's page, the
review workspace, the admin, the scheduler and the transitions (`permission=`).

- Seeing an interim report: the readers of the grant's final report (the grantee's members and
  the staff who see the application, never funders: it lists what was spent), except a draft,
  which is its organisation's alone (as a draft application is).
- Writing and sending it: members of the grantee organisation, nobody else.
- Checking it (ask for changes): a reviewer who may review the application (programmes, no
  conflict), unless another reviewer holds its interim check; accepting it also needs someone
  who has not recorded a payment of the grant (four-eyes with the payer, as for the final
  report), since acceptance releases money.
- Closing it when the grant is settled: the system.

Imports flow interim -> applications -> grants; this module imports no model of its own app
(interim.models imports it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q

from applications import rules as application_rules
from grants import rules as grant_rules
from organisations.rules import memberships_of
from workflows.roles import is_system as system_actor

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from interim.models import InterimReport

DRAFT = "draft"
# The review task of an interim report (reviews.models.TaskKind.INTERIM_CHECK).
INTERIM_CHECK = "interim_check"


def interim_reports_visible_to(
    queryset: QuerySet[InterimReport], user: Any
) -> QuerySet[InterimReport]:
    """The interim reports of the grants whose final report `user` may read; drafts only to the
    grantee's members."""
    seen = application_rules.visibility(user, prefix="grant__application__", include_funders=False)
    if seen is None:
        return queryset.none()
    members = Exists(
        memberships_of(user).filter(organisation_id=OuterRef("grant__application__organisation_id"))
    )
    return queryset.filter(seen & (~Q(status=DRAFT) | Q(members)))


def may_read(grant: Any, user: Any) -> bool:
    """The grant's interim report page: the readers of its final report."""
    return application_rules.may_read_report(grant.application, user)


def may_write(grant: Any, user: Any) -> bool:
    """Start, write and send the grant's interim report: a member of the grantee organisation."""
    return grant_rules.can_act_for_grantee(grant, user)


def is_grantee(report: Any, user: Any) -> bool:
    return may_write(report.grant, user)


def sees_draft(report: Any, user: Any) -> bool:
    """A draft's text is its organisation's alone; what was sent, every reader's."""
    return report.status != DRAFT or is_grantee(report, user)


def can_check(report: Any, user: Any) -> bool:
    """Ask for changes: a reviewer who may review the application, unless another reviewer
    holds its interim check."""
    application = report.grant.application
    return application_rules.may_review(
        application, user
    ) and not application_rules.claimed_by_other(application, user, INTERIM_CHECK)


def recorded_a_payment(report: Any, user: Any) -> bool:
    return user is not None and report.grant.payments.filter(recorded_paid_by=user).exists()


def can_accept(report: Any, user: Any) -> bool:
    """Accept (and so release a tranche): as `can_check`, by someone who has not recorded a
    payment of the grant (four-eyes with the payer)."""
    return can_check(report, user) and not recorded_a_payment(report, user)


def is_system(report: Any, user: Any) -> bool:
    return system_actor(user)

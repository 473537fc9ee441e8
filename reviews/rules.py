"""Who may work on which review task; conflicts of interest.

A reviewer may take a task of a programme in their scope, on an application they are not in
conflict with. Conflicts are declared (a `Conflict` row) or found: the reviewer belongs to the
applying organisation, or shares its e-mail domain or a partner's (public mail providers such as
gmx.de or orange.fr do not count: sharing them says nothing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from applications.models import Membership, Partner
from grants.rules import is_manager, is_reviewer
from workflows.roles import Role, has_role

if TYPE_CHECKING:
    from reviews.models import ReviewTask

__all__ = ["is_manager", "is_reviewer"]

PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "gmx.de", "gmx.net", "gmx.fr", "web.de", "t-online.de",
        "freenet.de", "posteo.de", "mailbox.org", "yahoo.com", "yahoo.de", "yahoo.fr",
        "hotmail.com", "hotmail.de", "hotmail.fr", "outlook.com", "outlook.de", "outlook.fr",
        "live.com", "live.de", "live.fr", "icloud.com", "me.com", "aol.com", "orange.fr",
        "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "neuf.fr", "bbox.fr", "proton.me",
        "protonmail.com", "example.org", "example.com",
    }
)  # fmt: skip


def email_domain(user: Any) -> str:
    """The reviewer's e-mail domain if it identifies an organisation, else ""."""
    email = (getattr(user, "email", "") or "").strip().lower()
    domain = email.rpartition("@")[2]
    return "" if not domain or domain in PUBLIC_MAIL_DOMAINS else domain


def conflicting_applications(user: Any) -> Q:
    """A filter on applications (`application__...` from a task) that selects conflicts."""
    from reviews.models import Conflict

    found = Q(application__in=Conflict.objects.filter(reviewer=user).values("application_id"))
    found |= Q(
        application__organisation__in=Membership.objects.filter(user=user).values("organisation_id")
    )
    domain = email_domain(user)
    if domain:
        found |= Q(application__organisation__email__iendswith=f"@{domain}")
        found |= Q(
            application__in=Partner.objects.filter(contact_email__iendswith=f"@{domain}").values(
                "application_id"
            )
        )
    return found


def conflict_reasons(user: Any, application: Any) -> list[str]:
    """Why `user` must keep out of `application` (reason codes of `Conflict.Reason`)."""
    from reviews.models import Conflict

    reasons = list(
        Conflict.objects.filter(reviewer=user, application=application).values_list(
            "reason", flat=True
        )
    )
    if application.organisation.memberships.filter(user=user).exists():
        reasons.append(Conflict.Reason.MEMBER)
    domain = email_domain(user)
    if domain:
        if (application.organisation.email or "").lower().endswith(f"@{domain}"):
            reasons.append(Conflict.Reason.EMAIL_DOMAIN)
        if application.partners.filter(contact_email__iendswith=f"@{domain}").exists():
            reasons.append(Conflict.Reason.PARTNER)
    return reasons


def in_scope(user: Any, programme_id: int | None) -> bool:
    """The programme is one the reviewer works for (an empty scope means every programme)."""
    profile = getattr(user, "reviewer_profile", None)
    if profile is None or programme_id is None:
        return True
    scope = set(profile.programmes.values_list("pk", flat=True))
    return not scope or programme_id in scope


def may_work_on(task: ReviewTask, user: Any) -> bool:
    """A reviewer in scope and without a conflict."""
    return (
        has_role(user, Role.REVIEWER)
        and in_scope(user, task.programme_id)
        and not conflict_reasons(user, task.application)
    )


def may_manage_tasks(user: Any) -> bool:
    """Programme managers (and administrators) reassign and see every queue."""
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def sees_review_work(user: Any) -> bool:
    return has_role(user, Role.REVIEWER, Role.MANAGER, Role.ADMINISTRATOR)

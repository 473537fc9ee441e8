"""Who may see and do what on the funder side: grants, payments, batches, repayment claims, the
API. One rule set for pages, API, admin, documents, exports, transitions and the scheduler.

Predicates take (obj, user) in django-fsm's order; `user=None` is the system (scheduler).

What a grant's staff may do also depends on its application (conflicts of interest, the
reviewer's programmes, claims on review tasks). Those rules belong to the applicant side, which
sits above this app: they are asked through the application object the grant points to
(`grant.application.reviewable_by(user)`), never imported. Memberships and legal forms sit
below, in `organisations`, and are imported from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.db.models import Exists, F, Q

from organisations.choices import LegalForm
from organisations.rules import memberships_of
from workflows.roles import STAFF_ROLES, Role, has_role, is_active_user
from workflows.roles import is_system as system_actor

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from grants.models import BudgetAllocation, Grant, Payment, PaymentBatch, RepaymentClaim

# Set on the user by the API's token authentication: the token the request carries.
TOKEN_ATTRIBUTE = "_microgrants_api_token"  # noqa: S105 - an attribute name, no secret
_LIMIT_ATTRIBUTE = "_microgrants_programme_limit"
_NOT_READ = object()


# --- roles ----------------------------------------------------------------------------------------


def is_reviewer(obj: Any, user: Any) -> bool:
    return has_role(user, Role.REVIEWER)


def is_manager(obj: Any, user: Any) -> bool:
    return has_role(user, Role.MANAGER)


def is_finance(obj: Any, user: Any) -> bool:
    return has_role(user, Role.FINANCE, Role.ADMINISTRATOR)


def is_system(obj: Any, user: Any) -> bool:
    """Only the scheduler or an automatic completion (`by=None`)."""
    return system_actor(user)


def is_funder_only(user: Any) -> bool:
    """A funder's account without any staff role."""
    return has_role(user, Role.FUNDER) and not has_role(user, *STAFF_ROLES)


# --- the programmes a request may reach -----------------------------------------------------------


def api_token(user: Any) -> Any | None:
    """The API token the request authenticated with, if any."""
    return getattr(user, TOKEN_ATTRIBUTE, None)


def programme_limit(user: Any) -> frozenset[int] | None:
    """The programmes whatever `user` does in this request may touch; None for every programme.

    An API token limits everything reached through it to its programmes (a staff token too).
    Read once per request (cached on the user object, which lives as long as the request).
    """
    cached = getattr(user, _LIMIT_ATTRIBUTE, _NOT_READ)
    if cached is not _NOT_READ:
        return cast("frozenset[int] | None", cached)
    token = api_token(user)
    limit: frozenset[int] | None = None
    if token is not None and not token.all_programmes:
        limit = frozenset(token.programmes.values_list("pk", flat=True))
    if user is not None:
        setattr(user, _LIMIT_ATTRIBUTE, limit)
    return limit


def token_programmes(user: Any) -> Q:
    """The programmes `user`'s usable API tokens read, as a condition on programmes: all of them
    when one token is for all programmes, else those the tokens name (none without a token).

    A funder signed in on the website reads within this scope (the dashboards): the union of
    what their tokens read through the API, by the same rule as `programme_limit`.
    """
    if not is_active_user(user):
        return Q(pk__in=[])
    usable = user.api_tokens.usable()
    return Q(Exists(usable.filter(all_programmes=True))) | Q(pk__in=usable.values("programmes"))


def reads_as_funder(user: Any) -> bool:
    """A funder reading through an API token. A funder's scope lives in their tokens: signed in
    on the website, without one, a funder sees no application, grant or payment."""
    return has_role(user, Role.FUNDER) and api_token(user) is not None


def within_limit(programme_id: int | None, user: Any) -> bool:
    limit = programme_limit(user)
    return limit is None or programme_id in limit


def limit_filter(user: Any, field: str = "programme") -> Q:
    """Rows of the programmes `user` may reach (`field` names the programme from the rows)."""
    limit = programme_limit(user)
    return Q() if limit is None else Q(**{f"{field}__in": sorted(limit)})


# --- grants ---------------------------------------------------------------------------------------


def _application_model(model: type[Model]) -> Any:
    """The application model a grant points to (the applicant side, above this app)."""
    return model._meta.get_field("application").related_model


def grants_visible_to(queryset: QuerySet[Grant], user: Any) -> QuerySet[Grant]:
    """A grant is seen by whoever sees its application (members of the grantee organisation,
    staff in their scope and without a conflict, funders in their token's programmes)."""
    condition = _application_model(queryset.model).visibility(user, prefix="application__")
    return queryset.none() if condition is None else queryset.filter(condition)


def can_act_for_grantee(grant: Any, user: Any) -> bool:
    """A member of the grantee organisation (never anyone else, not even staff)."""
    return user is not None and grant.application.organisation.has_member(user)


def can_check_report(grant: Any, user: Any) -> bool:
    """A reviewer who may review the application (programmes, no conflict), unless another
    reviewer holds the report check."""
    application = grant.application
    return application.reviewable_by(user) and not application.claimed_by_other(
        user, "report_check"
    )


def can_accept_report(grant: Any, user: Any) -> bool:
    """A reviewer who may check the report and has not handled this grant's money (four-eyes
    with the payer)."""
    return (
        can_check_report(grant, user) and not grant.payments.filter(recorded_paid_by=user).exists()
    )


def can_revoke_grant(grant: Any, user: Any) -> bool:
    """A programme manager without a conflict with the application."""
    return grant.application.manageable_by(user)


def can_cancel_grant(grant: Any, user: Any) -> bool:
    return can_act_for_grantee(grant, user) or grant.application.manageable_by(user)


def can_close_grant(grant: Any, user: Any) -> bool:
    """The scheduler, or finance officers and administrators (within the request's programmes)."""
    return user is None or (handles_money(user) and within_limit(grant.programme_id, user))


# --- money: payments, batches, repayment claims ---------------------------------------------------


def handles_money(user: Any) -> bool:
    """Finance officers and administrators: every payment, batch and repayment claim."""
    return is_finance(None, user)


def may_approve_payment(payment: Any, user: Any) -> bool:
    """Finance officers and administrators, never whoever accepted the final report that
    triggered the payment (four-eyes)."""
    return is_finance(payment, user) and not payment.triggered_by_report_of(user)


def may_cancel_payment(payment: Any, user: Any) -> bool:
    """Unsent payments go with the grant's settlement: the scheduler, finance, or whoever
    settled the grant (the reviewer accepting its report, the manager revoking it, the grantee
    or manager cancelling it)."""
    if user is None or handles_money(user):
        return True
    grant = payment.grant
    return can_cancel_grant(grant, user) or can_check_report(grant, user)


def may_replan_payments(payment: Any, user: Any) -> bool:
    """An amendment changed the grant's amount: who decided it (a programme manager who may
    decide the application: no conflict, not a reviewer of it) replaces the unsent payments."""
    return user is None or payment.grant.application.decidable_by(user)


def _money_visible_to(queryset: QuerySet[Any], user: Any, grant_path: str) -> QuerySet[Any]:
    """Money rows of a grant (bank details, amounts, dates): finance officers and administrators
    see them all (within the request's programmes), the grantee's members their own; other
    staff read a grant's paid and repaid sums, not its payments; funders nothing."""
    if not is_active_user(user):
        return queryset.none()
    if handles_money(user):
        return queryset.filter(limit_filter(user, f"{grant_path}__programme"))
    own = memberships_of(user).values("organisation_id")
    return queryset.filter(**{f"{grant_path}__application__organisation__in": own})


def payments_visible_to(queryset: QuerySet[Payment], user: Any) -> QuerySet[Payment]:
    return _money_visible_to(queryset, user, "grant")


def repayment_claims_visible_to(
    queryset: QuerySet[RepaymentClaim], user: Any
) -> QuerySet[RepaymentClaim]:
    return _money_visible_to(queryset, user, "grant")


def batches_visible_to(queryset: QuerySet[PaymentBatch], user: Any) -> QuerySet[PaymentBatch]:
    """Batches mix programmes and carry bank data: finance officers and administrators only."""
    return queryset if handles_money(user) else queryset.none()


# --- names of informal groups ----------------------------------------------------------------------
# One rule for every reader outside the fund's staff (the funder API, its search, the open data):
# an informal group's name is read only when its application carries the group's consent. The
# code is applications.models.Declaration.GROUP_NAME (grants may not import applications; a test
# holds them equal).
GROUP_NAME_CONSENT = "group_name"


def name_is_public(legal_form: str, declarations: Any) -> bool:
    """Whether an applicant's name may be read outside the fund's staff: any organisation's,
    an informal group's only with its consent (a declaration of the application)."""
    if legal_form != LegalForm.INFORMAL_GROUP:
        return True
    return isinstance(declarations, list) and GROUP_NAME_CONSENT in declarations


def public_name_condition(prefix: str = "") -> Q:
    """`name_is_public` as a condition on applications reached by `prefix` (e.g. "application__"),
    for a search that must not find a name its reader cannot read."""
    from grants.lookups import ListHolds

    consented = ListHolds(F(f"{prefix}declarations"), GROUP_NAME_CONSENT)
    return ~Q(**{f"{prefix}organisation__legal_form": LegalForm.INFORMAL_GROUP}) | Q(consented)


# --- policy: funds, programmes, calls, budgets ----------------------------------------------------


def sees_policy(user: Any) -> bool:
    """Staff read the fund's policy and budgets (administrators change them)."""
    return has_role(user, *STAFF_ROLES)


def may_change_policy(user: Any) -> bool:
    """Administrators change the fund's policy: programmes, budgets and their co-funders."""
    return has_role(user, Role.ADMINISTRATOR)


def sees_ledger(user: Any) -> bool:
    """Budgets with their ledger, also per funder: those who decide, pay and administer."""
    return has_role(user, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR)


def allocations_visible_to(queryset: QuerySet[BudgetAllocation], user: Any) -> QuerySet[BudgetAllocation]:  # fmt: skip
    """The budgets `user` may read with their ledger figures: managers, finance officers and
    administrators, within the request's programmes (an API token's); nobody else."""
    if not sees_ledger(user):
        return queryset.none()
    return queryset.filter(limit_filter(user))


# --- the REST API ---------------------------------------------------------------------------------


def may_use_api_token(user: Any) -> bool:
    """A token reads the API for funders and staff; an applicant's account has no API."""
    return has_role(user, Role.FUNDER, *STAFF_ROLES)


def may_use_api_session(user: Any) -> bool:
    """Signed-in staff may read the API in the browser. Funders use their token: its programmes
    are the limit of what they read, and a session has none."""
    return has_role(user, *STAFF_ROLES)


def sees_internal_api_fields(user: Any) -> bool:
    """Staff see the working fields (addresses, notes, scores); funders the public ones."""
    return has_role(user, *STAFF_ROLES)


def may_read_payments(user: Any) -> bool:
    """The payments endpoint: finance officers and administrators (applicants have no API)."""
    return handles_money(user)

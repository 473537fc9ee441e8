"""The README's "Security: who may see and do what", as predicates over the test world.

Written from the README, not from the code: each function cites the row it encodes. They answer
for the roles of `tests.security.world` (role names, not users), so the expected answers can be
read without knowing how the application decides.

Readings where the README leaves room (the report names them too):
- "submitted" in the record table means "not a draft" (a draft is never seen outside its
  organisation; everything later than a draft was submitted once);
- administrators are not listed for deciding or checking: the rows that include them say so
  ("finance officers (administrators too)", "a manager or an administrator");
- the cast's reviewer and the two reviewers in conflict have no programme limit (no programme
  listed in their profile: all programmes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.security.world import World

MEMBER_OF = {"applicant_a": "A", "applicant_b": "B"}
REVIEWER_ROLES = frozenset(
    {"reviewer", "reviewer_declared", "reviewer_domain", "reviewer_elsewhere"}
)
STAFF_ROLES = REVIEWER_ROLES | {"manager", "finance", "admin"}
MONEY_ROLES = frozenset({"finance", "admin"})


# --- who the role is to an application ---------------------------------------------------------


def is_member(role: str, application: Any, world: World) -> bool:
    """Applicants are active members of an organisation."""
    return MEMBER_OF.get(role) == world.org_of(application)


def in_conflict(role: str, application: Any, world: World) -> bool:
    """README: "A reviewer or manager is in conflict with an application when they declared it,
    belong to the applying organisation, or share a non-public e-mail domain with the
    organisation or a partner"."""
    if role == "reviewer_declared":
        return any(c.application_id == application.pk for c in world.conflicts.values())
    if role == "reviewer_domain":
        return world.org_of(application) == "A"
    return False


def in_reviewer_programmes(role: str, application: Any, world: World) -> bool:
    """README: "reviewers the submitted ones of their programmes (their profile; none listed:
    all)". reviewer_elsewhere's profile lists "lighthouse" only, where the world has nothing."""
    return role != "reviewer_elsewhere"


# --- may see ------------------------------------------------------------------------------------


def sees_application(role: str, application: Any, world: World) -> bool:
    """The "application" row of the record table. `funder` is a funder signed in on the website
    ("see ... no application, grant or payment"); `funder_token` reads through its token."""
    if role == "anonymous":
        return False
    if is_member(role, application, world):
        return True
    if application.status == "draft":
        return False  # "A draft is never seen outside its organisation."
    if role in ("admin", "finance"):
        return True  # "Administrators and finance officers keep seeing it"
    if role == "manager":
        return not in_conflict(role, application, world)
    if role in REVIEWER_ROLES:
        return in_reviewer_programmes(role, application, world) and not in_conflict(
            role, application, world
        )
    if role == "funder_token":
        return application.programme_id == world.programme_x.pk
    return False


def sees_grant(role: str, grant: Any, world: World) -> bool:
    """README: "grant: whoever sees its application"."""
    return sees_application(role, grant.application, world)


def sees_payment(role: str, payment: Any, world: World) -> bool:
    """README: "payment, repayment claim: finance officers and administrators; the grantee's members
    their own. Other staff see a grant's paid and repaid sums, funders nothing"."""
    return role in MONEY_ROLES or is_member(role, payment.grant.application, world)


def sees_ledger(role: str) -> bool:
    """README: "budgets and their ledger (commitments, payments and repayments booked, with their
    references): managers, finance officers and administrators"."""
    return role in ("manager", "finance", "admin")


def sees_batch(role: str) -> bool:
    """README: "payment batch: finance officers and administrators"."""
    return role in MONEY_ROLES


def sees_files(role: str, application: Any, world: World) -> bool:
    """README: "attachment, document, final report and receipts: the organisation's members and the
    staff who see the application; never funders"."""
    if role in ("funder", "funder_token"):
        return False
    return is_member(role, application, world) or (
        role in STAFF_ROLES and sees_application(role, application, world)
    )


def sees_conversation(role: str, application: Any, world: World) -> bool:
    """README: "conversation (messages and their files): the organisation's members and the staff
    who see the application, from its submission; never funders"."""
    return application.status != "draft" and sees_files(role, application, world)


def sees_message(role: str, message: Any, world: World) -> bool:
    """README: "... internal notes: those staff only, never a member of the organisation"."""
    application = world.fresh(message.conversation.application)
    if not sees_conversation(role, application, world):
        return False
    return not message.internal or (role in STAFF_ROLES and not is_member(role, application, world))


def may_request_changes_from(role: str, message: Any, world: World) -> bool:
    """README: "a message or note of the fund becomes the formal request for changes through the
    application's request_changes": whoever may check the application formally."""
    application = world.fresh(message.conversation.application)
    return (
        sees_message(role, message, world)
        and message.from_fund
        and application.status == "submitted"
        and may_check_formally(role, application, world)
    )


def sees_task(role: str, task: Any, world: World) -> bool:
    """README: "review task: administrators; managers without a conflict; reviewers those of their
    programmes without a conflict"."""
    application = task.application
    if role == "admin":
        return True
    if role == "manager":
        return not in_conflict(role, application, world)
    if role in REVIEWER_ROLES:
        return in_reviewer_programmes(role, application, world) and not in_conflict(
            role, application, world
        )
    return False


def sees_review(role: str, review: Any, world: World) -> bool:
    """README: "review: administrators; managers without a conflict; a reviewer only their own"."""
    if role == "admin":
        return True
    if role == "manager":
        return not in_conflict(role, review.application, world)
    return role in REVIEWER_ROLES and world.users[role].pk == review.reviewer_id


def sees_conflict(role: str, conflict: Any, world: World) -> bool:
    """README: "conflict: administrators and managers; a reviewer their own"."""
    if role in ("admin", "manager"):
        return True
    return role in REVIEWER_ROLES and world.users[role].pk == conflict.reviewer_id


def sees_organisation(role: str, organisation: Any, world: World) -> bool:
    """README: "organisation: its members; administrators, finance officers and managers;
    reviewers those with an application they see". (Funders: only the public part with an
    application, in the API; never on their own.)"""
    org = "A" if organisation.pk == world.organisations["A"].pk else "B"
    if MEMBER_OF.get(role) == org:
        return True
    if role in ("admin", "finance", "manager"):
        return True
    if role in REVIEWER_ROLES:
        return any(
            world.org_of(a) == org and sees_application(role, a, world) for a in world.apps.values()
        )
    return False


def sees_members(role: str, organisation: Any, world: World) -> bool:
    """README: "membership, invitation: the organisation's members; administrators"."""
    org = "A" if organisation.pk == world.organisations["A"].pk else "B"
    return MEMBER_OF.get(role) == org or role == "admin"


def sees_audit_log(role: str) -> bool:
    """README: "audit log: administrators and managers (admin)"."""
    return role in ("admin", "manager")


def administrators_only(role: str) -> bool:
    """README: "e-mail outbox, API tokens, idempotency keys, job queue dashboard, task results:
    administrators"."""
    return role == "admin"


# --- may do -------------------------------------------------------------------------------------


def may_review(role: str, application: Any, world: World) -> bool:
    """README: "a reviewer who may review the application (its programme, no conflict)"."""
    return (
        role in REVIEWER_ROLES
        and application.status != "draft"
        and in_reviewer_programmes(role, application, world)
        and not in_conflict(role, application, world)
    )


def holds(role: str, task: Any, world: World) -> bool:
    return (
        role in world.users
        and task.status == "claimed"
        and task.assignee_id == world.users[role].pk
    )


def claimed_by_other(role: str, application: Any, kind: str, world: World) -> bool:
    tasks = [
        t for t in world.tasks.values() if t.application_id == application.pk and t.kind == kind
    ]
    return any(t.status == "claimed" and not holds(role, t, world) for t in tasks)


def may_check_formally(role: str, application: Any, world: World) -> bool:
    """README: "formal check (pass, request changes, reject as ineligible): a reviewer who may
    review the application ..., unless another reviewer holds its formal-check task"."""
    return may_review(role, application, world) and not claimed_by_other(
        role, application, "formal_check", world
    )


def may_assess(role: str, task: Any, world: World) -> bool:
    """README: "assessment: a reviewer who may review the application and holds, or takes, an
    assessment task"."""
    return may_review(role, task.application, world) and (
        task.status == "open" or holds(role, task, world)
    )


def may_check_report(role: str, grant: Any, world: World) -> bool:
    """README: "report check (accept, request changes): as the formal check, with the report-check
    task"."""
    return may_review(role, grant.application, world) and not claimed_by_other(
        role, grant.application, "report_check", world
    )


def recorded_a_payment(role: str, grant: Any, world: World) -> bool:
    user = world.users.get(role)
    return user is not None and grant.payments.filter(recorded_paid_by=user).exists()


def may_accept_report(role: str, grant: Any, world: World) -> bool:
    """README: "... accepting also needs someone who has not recorded a payment of the grant"."""
    return may_check_report(role, grant, world) and not recorded_a_payment(role, grant, world)


def may_manage(role: str, application: Any, world: World) -> bool:
    """README: "a manager without a conflict"."""
    return (
        role == "manager"
        and application.status != "draft"
        and not in_conflict(role, application, world)
    )


def may_decide(role: str, application: Any, world: World) -> bool:
    """README: "approve, waitlist, reject after the formal check: a manager without a conflict
    who did not check or assess the application (four-eyes)". The world's manager never
    reviews."""
    return may_manage(role, application, world)


def may_claim(role: str, task: Any, world: World) -> bool:
    """README: "claim a task: a reviewer who may review its application" (an open one)."""
    return task.status == "open" and may_review(role, task.application, world)


def may_release(role: str, task: Any, world: World) -> bool:
    """README: "release: the holder, a manager or an administrator"."""
    return task.status == "claimed" and (holds(role, task, world) or role in ("manager", "admin"))


def may_reassign(role: str, task: Any, to_role: str, world: World) -> bool:
    """README: "reassign: a manager or an administrator, to a reviewer who may review it"."""
    return (
        role in ("manager", "admin")
        and task.status in ("open", "claimed")
        and may_review(to_role, task.application, world)
    )


def handles_money(role: str) -> bool:
    """README: "approve payments, build and export batches, record paid or failed, record
    repayments, close a settled grant: finance officers (administrators too)"."""
    return role in MONEY_ROLES


APPLICATION_TRANSITIONS_BY_MEMBERS = frozenset({"submit", "resubmit", "withdraw"})
GRANT_TRANSITIONS_BY_MEMBERS = frozenset({"accept", "decline", "submit_report"})
# "expire, lapse, end a project, complete a review: the scheduler or the system only".
SYSTEM_ONLY = frozenset({"expire", "lapse", "end_project", "complete_review"})


def may_transition(role: str, record: Any, name: str, world: World) -> bool:
    """May `role` run transition `name` on `record` (an Application or a Grant) in its status?
    The action table of the README; None (the system) is not a role here."""
    from applications.models import Application

    if name in SYSTEM_ONLY:
        return False
    if isinstance(record, Application):
        application = record
        if name in APPLICATION_TRANSITIONS_BY_MEMBERS:
            return is_member(role, application, world)
        if name in ("request_changes", "pass_formal_check"):
            return may_check_formally(role, application, world)
        if name == "reject":
            if application.status == "submitted":
                return may_check_formally(role, application, world)
            return may_decide(role, application, world)
        if name in ("approve", "waitlist"):
            return may_decide(role, application, world)
        if name == "reopen":
            return may_manage(role, application, world)
        return False
    grant, application = record, record.application
    if name in GRANT_TRANSITIONS_BY_MEMBERS:
        return is_member(role, application, world)
    if name == "request_report_changes":
        return may_check_report(role, grant, world)
    if name == "accept_report":
        return may_accept_report(role, grant, world)
    if name == "revoke":
        return may_manage(role, application, world)
    if name == "cancel":
        return is_member(role, application, world) or may_manage(role, application, world)
    if name == "close":
        return handles_money(role)
    return False


# --- requests for change after the award (amendments) ---------------------------------------------


def sees_amendment(role: str, amendment: Any, world: World) -> bool:
    """README: "amendment: whoever sees its grant; a draft only its organisation's members"."""
    application = amendment.grant.application
    if amendment.status == "draft":
        return is_member(role, application, world)
    return sees_grant(role, amendment.grant, world)


def asks_for_amendment(role: str, amendment: Any, world: World) -> bool:
    """README: "ask for a change, write, send or withdraw it: members of the grantee
    organisation"."""
    return is_member(role, amendment.grant.application, world)


def edits_amendment(role: str, amendment: Any, world: World) -> bool:
    """Only a draft is changed, by the grantee's members."""
    return amendment.status == "draft" and asks_for_amendment(role, amendment, world)


def may_decide_amendment(role: str, amendment: Any, world: World) -> bool:
    """README: "approve or reject a change: a manager without a conflict who did not review the
    application nor ask for the change" (the world's manager never reviews nor asks), while it
    waits for a decision."""
    return amendment.status == "submitted" and may_decide(role, amendment.grant.application, world)


AMENDMENT_STEPS_BY_MEMBERS = frozenset({"submit", "withdraw"})
AMENDMENT_STEPS_BY_DECIDERS = frozenset({"approve", "reject"})


def may_step_amendment(role: str, model: Any, pk: int, transition: str, world: World) -> bool:
    """A step of a request for change, by the README's action table (`source` is the status
    the step started from)."""
    row = model._default_manager.select_related("grant__application").get(pk=pk)
    if transition in AMENDMENT_STEPS_BY_MEMBERS:
        return asks_for_amendment(role, row, world)
    if transition in AMENDMENT_STEPS_BY_DECIDERS:
        return may_decide(role, row.grant.application, world)
    return False


# --- interim reports ----------------------------------------------------------------------------


def sees_interim_report(role: str, report: Any, world: World) -> bool:
    """README: "interim report: as the final report; a draft only its organisation's members"."""
    application = report.grant.application
    if report.status == "draft":
        return is_member(role, application, world)
    return sees_files(role, application, world)


def writes_interim_report(role: str, report: Any, world: World) -> bool:
    """README: "write and send the interim report (while the project runs): members" (a draft,
    or one sent back for changes)."""
    return (
        is_member(role, report.grant.application, world)
        and report.status in ("draft", "changes_requested")
        and report.grant.status == "accepted"
    )


def may_check_interim(role: str, grant: Any, world: World) -> bool:
    """README: "interim report check: as the report check, with the interim-check task"."""
    return may_review(role, grant.application, world) and not claimed_by_other(
        role, grant.application, "interim_check", world
    )


def may_accept_interim(role: str, grant: Any, world: World) -> bool:
    """README: "... accepting releases a tranche: not by whoever recorded a payment"."""
    return may_check_interim(role, grant, world) and not recorded_a_payment(role, grant, world)


INTERIM_STEPS_BY_MEMBERS = frozenset({"submit", "resubmit"})


def may_step_interim(role: str, model: Any, pk: int, transition: str, world: World) -> bool:
    """A step of an interim report, by the README's action table."""
    row = model._default_manager.select_related("grant__application").get(pk=pk)
    if transition in INTERIM_STEPS_BY_MEMBERS:
        return is_member(role, row.grant.application, world)
    if transition == "request_changes":
        return may_check_interim(role, row.grant, world)
    if transition == "accept":
        return may_accept_interim(role, row.grant, world)
    return False  # "close": the system only


# --- the partner exchange -----------------------------------------------------------------------


def partner_org(post: Any, world: World) -> str:
    return "A" if post.organisation_id == world.organisations["A"].pk else "B"


def is_poster(role: str, post: Any, world: World) -> bool:
    """Edit, renew and close a post: the members of the posting organisation."""
    return MEMBER_OF.get(role) == partner_org(post, world)


def sees_partner_post(role: str, post: Any, world: World) -> bool:
    """A live post (open, not expired) is public; its organisation's members and
    administrators also see it closed, hidden or expired."""
    live = post.status == "open" and post.expires_on >= world.today
    return live or is_poster(role, post, world) or role == "admin"


def sees_partner_message(role: str, message: Any, world: World) -> bool:
    """Its sender and the members of the organisation written to; administrators (admin)."""
    sender = role == "applicant_b" and message.sender_id == world.users["applicant_b"].pk
    return sender or is_poster(role, message.post, world) or role == "admin"


PARTNER_STEPS_BY_POSTERS = frozenset({"close"})
PARTNER_STEPS_BY_ADMINISTRATORS = frozenset({"hide", "show", "act", "dismiss"})


def may_step_partner(role: str, model: Any, pk: int, transition: str, world: World) -> bool:
    """Closing a post: the members of its organisation; hiding and showing posts and messages
    and deciding on reports: administrators only."""
    if transition in PARTNER_STEPS_BY_ADMINISTRATORS:
        return role == "admin"
    if transition not in PARTNER_STEPS_BY_POSTERS:
        return False
    return is_poster(role, model._default_manager.get(pk=pk), world)


# --- the showcase of funded projects --------------------------------------------------------------

SHOWCASE_STEPS_BY_MEMBERS = frozenset(
    {"consent", "submit", "revise", "withdraw_consent", "consent_again"}
)
SHOWCASE_STEPS_BY_MODERATORS = frozenset({"publish", "request_changes", "hide", "approve"})


def may_step_showcase(role: str, model: Any, pk: int, transition: str, world: World) -> bool:
    """Consent and the grantee's steps: members of the grantee organisation (never staff);
    moderation: programme managers and administrators."""
    if transition in SHOWCASE_STEPS_BY_MODERATORS:
        return role in ("manager", "admin")
    if transition not in SHOWCASE_STEPS_BY_MEMBERS:
        return False
    row = model._default_manager.select_related("grant__application").get(pk=pk)
    return is_member(role, row.grant.application, world)


def sees_webhook_subscription(role: str, subscription: Any, world: Any) -> bool:
    """README: "webhook subscriptions and their delivery logs: administrators; a subscription's
    owner (funder or staff) their own"."""
    return role == "admin" or subscription.owner_id == world.users[role].pk

"""The words the table (`table.py`) is written in: what a role gets, as sets of outcome tokens
of `probe`, built from the README's predicates (`spec`). How to read them:

- `see(spec.sees_x)`: a record; whoever may see it gets the page, anybody else 404;
- `act(may, sees)`: an action on a record; whoever may do it gets it done, whoever sees the
  record but may not act is refused (403, or a message that changes nothing, on a POST; 403 on
  a GET of the action's page), anybody else 404;
- `workspace(access, rule)`: the review, decision and finance workspaces answer 403 to roles
  without access before anything else (access `None`: the README does not say);
- `wrong_method(rule)`: a method the URL does not take: 405 (or the refusal the role gets for
  the right method, since nothing is learnt from either);
- signed-out visitors always go to the sign-in page (pages) or get 401 (API).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.security import spec
from tests.security.probe import (
    DONE,
    FORBIDDEN,
    GONE,
    HIDDEN,
    INVALID,
    LOGIN,
    METHOD,
    OK,
    READ,
    REDIRECT,
    REFUSED,
    UNAUTHORIZED,
    UNAVAILABLE,
)
from tests.security.world import PAGE_ROLES, World

Expect = frozenset[str]
Rule = Callable[[str, "Target", World], Expect]


def E(*tokens: str) -> Expect:
    return frozenset(tokens)


SEEN = E(OK)
REFUSED_ACTION = E(FORBIDDEN, REFUSED)
NOT_THERE = E(HIDDEN)


@dataclass(frozen=True)
class Target:
    """One way to fill a pattern's arguments: the URL's kwargs, the record the rules ask about,
    the roles that try it (None: every role) and the body of the POST."""

    label: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    record: Any = None
    roles: tuple[str, ...] | None = None
    data: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    extra: Any = None


@dataclass(frozen=True)
class Row:
    targets: Callable[[World], list[Target]]
    get: Rule
    post: Rule
    # An accepted POST with this body must change something (the action really happened).
    post_writes: bool = False
    # Checks of a 200 answer beyond its status: (role, target, world, answer) -> problems.
    check: Callable[..., list[str]] | None = None
    # Rows whose POST is walked by test_transitions (API and admin transition endpoints).
    walked_elsewhere: str = ""
    # Kinds of secret (leaks.Secret.kind) this page may show its reader by the README's rules.
    shows: tuple[str, ...] = ()


# --- rule builders ------------------------------------------------------------------------------

# Roles that try objects of organisation B: those for whom B differs from A.
B_ROLES = (
    "applicant_a",
    "applicant_b",
    "reviewer_declared",
    "reviewer_domain",
    "reviewer_elsewhere",
)


def no_target(world: World) -> list[Target]:
    return [Target("-")]


def signed_in(expect: Expect | Callable[[str], Expect]) -> Rule:
    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(LOGIN)
        return expect(role) if callable(expect) else expect

    return rule


def visitors_too(expect: Expect | Callable[[str], Expect]) -> Rule:
    """Open to visitors who are not signed in as well (they read it); the signed-in roles get
    `expect`."""

    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(OK, READ)
        return expect(role) if callable(expect) else expect

    return rule


def public_text(role: str, target: Target, world: World) -> Expect:
    """The fund's published texts are for everyone; a draft is not there for anyone."""
    return E(OK) if target.label == "published" else E(HIDDEN)


def everyone_reads(role: str, target: Target, world: World) -> Expect:
    """robots.txt, the sitemap, the feed, the open figures and open data: the same public
    answer for every role."""
    return E(OK)


def showcase_page(role: str, target: Target, world: World) -> Expect:
    """A project page: published, everyone reads it; published once and taken back (consent
    withdrawn), 410 Gone for everyone; never published, 404."""
    return {"published": E(OK), "withdrawn": E(GONE), "draft": E(HIDDEN)}[target.label]


def showcase_photo(role: str, target: Target, world: World) -> Expect:
    """An approved photo of a published page: everyone. Any other photo: the organisation's
    members and the moderators (the preview); for the rest 404, or 410 where the page is gone."""
    if target.label == "approved":
        return E(OK)
    if spec.MEMBER_OF.get(role) == "A" or role in ("manager", "admin"):
        return E(OK)
    return E(GONE) if target.label == "withdrawn" else E(HIDDEN)


def grantee_only(ok: Expect) -> Rule:
    """The grantee's side of its project page: members of the grantee organisation; anybody
    else (staff included: they moderate in the admin) finds nothing there."""

    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(LOGIN)
        return ok if spec.is_member(role, target.record, world) else E(HIDDEN)

    return rule


def front_door(role: str, target: Target, world: World) -> Expect:
    """The public home: visitors read it; signed-in people are sent on to their start page."""
    return E(OK) if role == "anonymous" else E(REDIRECT)


def see(sees: Callable[[str, Any, World], bool], ok: Expect = SEEN) -> Rule:
    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(LOGIN)
        return ok if sees(role, target.record, world) else E(HIDDEN)

    return rule


def act(
    may: Callable[[str, Any, World], bool],
    sees: Callable[[str, Any, World], bool],
    ok: Expect = DONE,
    refused: Expect = REFUSED_ACTION,
    *,
    owner: Callable[[str, Any, World], bool] | None = None,
    unseen: Expect = NOT_THERE,
) -> Rule:
    """`owner`: who could act on the record in another status (its members): they are refused
    for the status, with a message or 403."""

    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(LOGIN)
        if may(role, target.record, world):
            return ok
        if owner is not None and owner(role, target.record, world):
            return E(FORBIDDEN, REFUSED)
        return refused if sees(role, target.record, world) else unseen

    return rule


def workspace(access: Callable[[str], bool | None], inner: Rule) -> Rule:
    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(LOGIN)
        allowed = access(role)
        if allowed is False:
            return E(FORBIDDEN)
        found = inner(role, target, world)
        return found | E(FORBIDDEN) if allowed is None else found

    return rule


def wrong_method(rule: Rule) -> Rule:
    """A method the URL does not take: 405, or the refusal the role gets anyway; a page that
    answers a POST like a GET (it reads, writes nothing) is no harm either."""

    def wrapped(role: str, target: Target, world: World) -> Expect:
        found = rule(role, target, world)
        harmless = E(READ) if OK in found else E()
        return E(METHOD) | harmless | (found & E(LOGIN, FORBIDDEN, HIDDEN, UNAUTHORIZED))

    return wrapped


# --- who reaches which workspace ----------------------------------------------------------------


def review_access(role: str) -> bool | None:
    """ "Staff work at /review/ (... reviewer, reviewer2 and manager)"; administrators see every
    task. Finance officers: the README does not say."""
    if role in spec.REVIEWER_ROLES or role in ("manager", "admin"):
        return True
    return None if role == "finance" else False


def decision_access(role: str) -> bool | None:
    """ "Decisions (programme managers)"; administrators: not said."""
    if role == "manager":
        return True
    return None if role == "admin" else False


def ranking_access(role: str) -> bool:
    """ "The committee's ranking of a call: programme managers and administrators" (who read
    the assessments; only managers decide from it)."""
    return role in ("manager", "admin")


def a_call(world: World) -> list[Target]:
    return [Target("a lighthouse call", {"pk": getattr(world.call, "pk", 0)}, world.call)]


def finance_access(role: str) -> bool:
    """ "Finance officers (and administrators) work under /finance/; everyone else gets 403"."""
    return role in spec.MONEY_ROLES


# --- records the rules ask about ----------------------------------------------------------------


def app_sees(role: str, application: Any, world: World) -> bool:
    return spec.sees_application(role, application, world)


def files_sees(role: str, application: Any, world: World) -> bool:
    return spec.sees_files(role, application, world)


def member(role: str, application: Any, world: World) -> bool:
    return spec.is_member(role, application, world)


def editable_member(role: str, application: Any, world: World) -> bool:
    """Members edit a draft (and an application sent back for changes)."""
    return member(role, application, world) and application.status in (
        "draft",
        "changes_requested",
    )


def report_writer(role: str, application: Any, world: World) -> bool:
    """ "write and submit the final report: members" (while it is due)."""
    return member(role, application, world) and world.grant_status(application) == "report_due"


def org_member(role: str, organisation: Any, world: World) -> bool:
    org = "A" if organisation.pk == world.organisations["A"].pk else "B"
    return spec.MEMBER_OF.get(role) == org


def org_page_rule(role: str, target: Target, world: World) -> Expect:
    """The organisation's page lists its members and open invitations ("membership,
    invitation: the organisation's members; administrators"). Other staff who see the
    organisation would read its members there: refused (403/404); administrators may or may not
    use the portal's page (the README does not say)."""
    organisation = target.record
    if role == "anonymous":
        return E(LOGIN)
    if org_member(role, organisation, world):
        return E(OK)
    if role == "admin":
        return E(OK, FORBIDDEN, HIDDEN)
    if spec.sees_organisation(role, organisation, world):
        return E(FORBIDDEN, HIDDEN)
    return E(HIDDEN)


def org_action(ok: Expect) -> Rule:
    """Editing the organisation, its bank account and invitations: its members (the README
    gives no other role these actions); the rest are refused, or do not see it."""

    def rule(role: str, target: Target, world: World) -> Expect:
        organisation = target.record
        if role == "anonymous":
            return E(LOGIN)
        if org_member(role, organisation, world):
            return ok
        if spec.sees_organisation(role, organisation, world):
            return E(FORBIDDEN, HIDDEN, REFUSED)
        return E(HIDDEN)

    return rule


def conversation_sees(role: str, application: Any, world: World) -> bool:
    return spec.sees_conversation(role, application, world)


def message_sees(role: str, message: Any, world: World) -> bool:
    return spec.sees_message(role, message, world)


def staff_reader(role: str, message: Any, world: World) -> bool:
    """Reads the message on the fund's side (staff who see behind the application)."""
    return role in spec.STAFF_ROLES and message_sees(role, message, world)


def message_member(role: str, message: Any, world: World) -> bool:
    """A member of the organisation who reads the message (not a note): refused, not 404."""
    application = world.fresh(message.conversation.application)
    return spec.is_member(role, application, world) and message_sees(role, message, world)


def messages(*keys: str, data: dict[str, Any] | None = None) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        return [
            Target(
                key,
                {"pk": world.messages[key].pk},
                world.messages[key],
                B_ROLES if key.startswith("b_") else None,
                data,
            )
            for key in keys
        ]

    return targets


def message_files(*keys: str) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        return [
            Target(
                f"file of {key}",
                {"pk": world.messages[key].files.get().pk},
                world.messages[key],
                B_ROLES if key.startswith("b_") else None,
            )
            for key in keys
        ]

    return targets


def staff_page(ok: Expect) -> Rule:
    """A page for the fund's staff (their e-mail settings); anybody else is refused."""
    return signed_in(lambda role: ok if role in spec.STAFF_ROLES else E(FORBIDDEN))


def message_api_reader(role: str, target: Target, world: World) -> Expect:
    """ "readable by staff through the API": funders' tokens are refused."""
    return E(OK) if role in spec.STAFF_ROLES else E(FORBIDDEN)


def message_api_sees(role: str, target: Target, world: World) -> Expect:
    if role not in spec.STAFF_ROLES:
        return E(FORBIDDEN)
    return E(OK) if message_sees(role, target.record, world) else E(HIDDEN)


def lists_messages_it_sees(role: str, target: Target, world: World, answer: Any) -> list[str]:
    expected = {m.pk for m in world.messages.values() if message_sees(role, m, world)}
    got = listed_ids(answer)
    problems = [f"lists message {pk}, which it may not read" for pk in sorted(got - expected)]
    problems += [f"does not list message {pk}, which it reads" for pk in sorted(expected - got)]
    return problems


def task_sees(role: str, task: Any, world: World) -> bool:
    return spec.sees_task(role, task, world)


def grant_sees(role: str, application: Any, world: World) -> bool:
    return spec.sees_application(role, application, world)


def report_check_may(role: str, task: Any, world: World) -> bool:
    grant = task.grant
    return spec.may_accept_report(role, grant, world) and (
        task.status == "open" or spec.holds(role, task, world)
    )


# --- targets -------------------------------------------------------------------------------------


def apps(
    *keys: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        found = []
        for key in keys:
            application = world.apps[key]
            roles = B_ROLES if key.startswith("b_") else None
            found.append(Target(key, {"pk": application.pk, **kwargs}, application, roles, data))
        return found

    return targets


def tasks(
    *keys: str, data: Callable[[World, Any], dict[str, Any]] | None = None
) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        found = []
        for key in keys:
            task = world.tasks[key]
            roles = B_ROLES if key.startswith("b_") else None
            body = data(world, task) if data else {}
            found.append(Target(key, {"pk": task.pk}, task, roles, body))
        return found

    return targets


def organisations(world: World) -> list[Target]:
    return [
        Target("A", {"pk": world.organisations["A"].pk}, world.organisations["A"]),
        Target("B", {"pk": world.organisations["B"].pk}, world.organisations["B"], B_ROLES),
    ]


# Which application a file of the world belongs to.
FILE_OF = {
    "a_draft": "a_draft",
    "a_submitted": "a_submitted",
    "a_receipt": "a_report_due",
    "b_draft": "b_draft",
    "b_submitted": "b_submitted",
}


def formal_check_body(world: World, task: Any) -> dict[str, Any]:
    from reviews.forms import FormalCheckForm

    choices = FormalCheckForm.base_fields["checklist"].choices  # type: ignore[attr-defined]
    return {"action": FormalCheckForm.PASS, "checklist": [code for code, _label in choices]}


def assessment_body(world: World, task: Any) -> dict[str, Any]:
    from reviews import checks
    from reviews.forms import AssessmentForm

    form = AssessmentForm(rubric=checks.rubric_of(task.application))
    body: dict[str, Any] = {"recommendation": "approve", "comment_internal": "Gut."}
    for name, form_field in form.fields.items():
        if name.startswith("score_"):
            body[name] = "7"
        elif form_field.required and name not in body:
            body[name] = "Gut."
    return body


def reassign_to(to_role: str) -> Callable[[World, Any], dict[str, Any]]:
    def body(world: World, task: Any) -> dict[str, Any]:
        return {"reviewer": str(world.users[to_role].pk)}

    return body


def reassign_rule(to_role: str) -> Rule:
    def may(role: str, task: Any, world: World) -> bool:
        return spec.may_reassign(role, task, to_role, world)

    # Only managers ever reassign: anybody else is refused (403), whether they see the task or
    # not (nothing is learnt from it).
    return workspace(
        review_access,
        act(may, lambda role, task, world: role != "manager" or task_sees(role, task, world)),
    )


def claim_next_rule(role: str, target: Target, world: World) -> Expect:
    """A reviewer takes the next task they may take (or hears there is none); a manager or an
    administrator is no reviewer."""
    if role == "anonymous":
        return E(LOGIN)
    if review_access(role) is False:
        return E(FORBIDDEN)
    found = DONE if role in spec.REVIEWER_ROLES else E(FORBIDDEN, REFUSED)
    return found | E(FORBIDDEN) if review_access(role) is None else found


def declare_rule(role: str, target: Target, world: World) -> Expect:
    """ "A reviewer or manager is in conflict ... when they declared it": reviewers and managers
    who see the application declare a conflict; administrators: the README does not say."""
    if role == "anonymous":
        return E(LOGIN)
    if not app_sees(role, target.record, world):
        return E(HIDDEN)
    if role in spec.REVIEWER_ROLES or role == "manager":
        return DONE
    if role == "admin":
        return DONE | E(FORBIDDEN, REFUSED)
    return E(FORBIDDEN, REFUSED)


# --- the portal, the workspaces, the accounts ----------------------------------------------------

PUBLIC = E(OK, REDIRECT, INVALID, METHOD, HIDDEN, LOGIN)


def public(role: str, target: Target, world: World) -> Expect:
    """Sign-in, sign-up, password reset, language: open to everyone, nothing to protect."""
    return PUBLIC


def applicant_page(role: str) -> Expect:
    """Pages for applicants (registering, the eligibility check): the README does not say what
    staff and funders get there."""
    return E(OK) if role in spec.MEMBER_OF else E(OK, FORBIDDEN)


def applicant_post(role: str) -> Expect:
    return DONE if role in spec.MEMBER_OF else DONE | E(FORBIDDEN, REFUSED)


def start_a_draft(role: str) -> Expect:
    """Members start drafts for their organisation; someone without one is sent to register
    one (or refused), and nothing is created."""
    return DONE if role in spec.MEMBER_OF else E(FORBIDDEN, REFUSED)


# --- the finance workspace: finance officers and administrators; everyone else 403 -------------


# The finance workspace and the account pages do not depend on organisations, programmes or
# conflicts: the reviewers in conflict or of other programmes are reviewers there like any
# other, and B's applicant an applicant like A's. These roles stand for all.
FINANCE_ROLES = ("anonymous", "applicant_a", "funder", "reviewer", "manager", "finance", "admin")
PUBLIC_ROLES = ("anonymous", "applicant_a", "reviewer", "admin")


def only(
    roles: tuple[str, ...], targets: Callable[[World], list[Target]]
) -> Callable[[World], list[Target]]:
    def restricted(world: World) -> list[Target]:
        return [
            Target(t.label, t.kwargs, t.record, roles, t.data, t.query, t.extra)
            for t in targets(world)
        ]

    return restricted


def finance_row(
    targets: Callable[[World], list[Target]] = no_target,
    *,
    get: bool = True,
    post: bool = False,
    ok: Expect = SEEN,
) -> Row:
    allowed = workspace(finance_access, signed_in(ok))
    done = workspace(finance_access, signed_in(DONE))
    return Row(
        only(FINANCE_ROLES, targets),
        allowed if get else wrong_method(done),
        done if post else wrong_method(allowed),
    )


def exported_batch(world: World) -> list[Target]:
    return [Target("exported batch", {"pk": world.batches["exported"].pk})]


# --- the API: anonymous 401; applicants' and funders' sessions refused; staff and tokens read ---

API_ROLES_WITHOUT_ACCESS = ("applicant_a", "applicant_b", "funder")


def api(inner: Rule) -> Rule:
    """ "Signed-in staff can also use the API with their session; funders must use a token"
    (applicants are given none)."""

    def rule(role: str, target: Target, world: World) -> Expect:
        if role == "anonymous":
            return E(UNAUTHORIZED)
        if role in API_ROLES_WITHOUT_ACCESS:
            return E(FORBIDDEN, UNAUTHORIZED)
        return inner(role, target, world)

    return rule


def api_see(sees: Callable[[str, Any, World], bool], ok: Expect = SEEN) -> Rule:
    return api(lambda role, t, w: ok if sees(role, t.record, w) else E(HIDDEN))


def api_read(role: str, target: Target, world: World) -> Expect:
    return E(OK)


def read_only(rule: Rule) -> Rule:
    """POST to a read endpoint: 405 for whoever may read it, their refusal for the others."""

    def wrapped(role: str, target: Target, world: World) -> Expect:
        found = rule(role, target, world)
        return E(METHOD) | (found - E(OK))

    return wrapped


def in_token_programmes(role: str, record: Any, world: World) -> bool:
    """ "Records outside the token's programmes do not exist for it (404)"."""
    return role != "funder_token" or record.pk == world.programme_x.pk


def call_in_scope(role: str, call: Any, world: World) -> bool:
    return role != "funder_token" or call.programme_id == world.programme_x.pk


def budget_reader(role: str, target: Target, world: World) -> Expect:
    """ "budgets and their ledger: managers, finance officers and administrators" (and through
    the API their per-funder figures)."""
    return E(OK) if spec.sees_ledger(role) else E(FORBIDDEN, HIDDEN)


def payment_reader(role: str, target: Target, world: World) -> Expect:
    """ "payments (finance officers and administrators only)"."""
    return E(OK) if role in spec.MONEY_ROLES else E(FORBIDDEN, HIDDEN)


def app_api_targets(world: World) -> list[Target]:
    return apps(
        "a_draft", "a_submitted", "a_reviewed", "a_accepted", "b_other_programme", "b_submitted"
    )(world)


def grant_api_targets(world: World) -> list[Target]:
    found = []
    for key in ("a_accepted", "a_report_submitted", "b_accepted"):
        grant = world.grant(key)
        found.append(
            Target(key, {"pk": grant.pk}, grant, B_ROLES if key.startswith("b_") else None)
        )
    return found


def grant_sees_api(role: str, grant: Any, world: World) -> bool:
    return spec.sees_grant(role, grant, world)


def _json(answer: Any) -> Any:
    import json

    return json.loads(answer.body or b"null")


def listed_ids(answer: Any) -> set[int]:
    data = _json(answer)
    rows = data.get("results", data) if isinstance(data, dict) else data
    return {row["id"] for row in rows}


def lists_what_it_sees(kind: str) -> Callable[..., list[str]]:
    """A list answers exactly the world's records of `kind` the role sees (one page holds
    them all)."""

    def check(role: str, target: Target, world: World, answer: Any) -> list[str]:
        expected = world_records(kind, role, world)
        got = listed_ids(answer)
        problems = [f"lists {kind} {pk}, which it may not see" for pk in sorted(got - expected)]
        problems += [f"does not list {kind} {pk}, which it sees" for pk in sorted(expected - got)]
        return problems

    return check


def world_records(kind: str, role: str, world: World) -> set[int]:
    from grants.models import Grant, Payment

    if kind == "application":
        return {a.pk for a in world.apps.values() if spec.sees_application(role, a, world)}
    if kind == "grant":
        grants = Grant.objects.select_related("application")
        return {
            g.pk for g in grants if spec.sees_application(role, world.fresh(g.application), world)
        }
    if kind == "amendment":
        # The API lists what was sent (never a draft, not even to its organisation).
        return {
            a.pk
            for a in world.amendments.values()
            if a.status != "draft" and spec.sees_amendment(role, a, world)
        }
    payments = Payment.objects.select_related("grant__application")
    return {p.pk for p in payments if spec.sees_payment(role, p, world)}


def counts_what_it_sees(role: str, target: Target, world: World, answer: Any) -> list[str]:
    """The statistics count only the applications the role may read; grouped by funder, each
    once per funder of its grant's budget (the fund for a budget without co-funders), and
    name no funder of a budget it may not read."""
    from grants.funders import AllocationShare
    from grants.models import Grant

    results = _json(answer)["results"]
    total = sum(row["count"] for row in results)
    seen = world_records("application", role, world)
    expected = len(seen)
    problems = []
    if (target.query or {}).get("group_by") == "funder":
        budgets = dict(Grant.objects.filter(application__in=seen).values_list("application", "allocation"))  # fmt: skip
        shares = AllocationShare.objects.filter(allocation__in=set(budgets.values()))
        funders = {budget: shares.filter(allocation=budget).count() or 1 for budget in set(budgets.values())}  # fmt: skip
        expected = sum(funders[budgets[pk]] if pk in budgets else 1 for pk in seen)
        readable = set(shares.values_list("funder__identifier", flat=True))
        named = {row["funder"] for row in results} - {None}
        problems += [f"names funder {f}, which it may not read" for f in sorted(named - readable) if not f.startswith("360G-microgrants-FUND-")]  # fmt: skip
    if total != expected:
        problems.append(f"counts {total} applications, sees {expected}")
    return problems


def offers_what_it_may(role: str, target: Target, world: World, answer: Any) -> list[str]:
    """The transitions listed for the caller are those the README lets the role run."""
    names = {row["name"] for row in _json(answer)["transitions"]}
    return [
        f"offers {name}, which the README does not let {role} do"
        for name in sorted(names)
        if not spec.may_transition(role, target.record, name, world)
    ]


def few_callers(world: World) -> list[Target]:
    return [Target("-", roles=("anonymous", "funder_token", "admin"))]


# --- the admin ------------------------------------------------------------------------------------

STAFF_PAGE_ROLES = tuple(r for r in PAGE_ROLES if r in spec.STAFF_ROLES)


def admin_rule(staff: Callable[[str, Target, World], Expect]) -> Rule:
    """The admin is for staff: anybody else goes to its sign-in page."""

    def rule(role: str, target: Target, world: World) -> Expect:
        if role not in spec.STAFF_ROLES:
            return E(LOGIN)
        return staff(role, target, world)

    return rule


def rq_page(role: str, target: Target, world: World) -> Expect:
    """ "job queue dashboard ...: administrators". Unknown queues and jobs are 404, an
    unreachable Redis 503."""
    if role == "admin":
        return E(OK, HIDDEN, REDIRECT, UNAVAILABLE, METHOD)
    return E(FORBIDDEN)


# Arguments of the job-queue pages: ids nobody has, so that no real queue is touched (the
# administrator's POSTs are not sent at all: Redis is outside the rolled-back transaction).
RQ_ARGUMENTS = {
    "queue_index": 99,
    "job_id": "no-such-job",
    "result_id": "no-such-result",
    "key": "no-such-worker",
    "scheduler_index": 99,
    "connection_index": 99,
    "scheduler_name": "no-such-scheduler",
    "cron_job_name": "no-such-job",
    "token": "no-such-token",
}

RQ_NAMES = (
    "admin:django_rq_home",
    "admin:django_rq_home_json",
    "admin:django_rq_jobs",
    "admin:django_rq_queue_details",
    "admin:django_rq_finished_jobs",
    "admin:django_rq_failed_jobs",
    "admin:django_rq_delete_failed_jobs",
    "admin:django_rq_scheduled_jobs",
    "admin:django_rq_started_jobs",
    "admin:django_rq_deferred_jobs",
    "admin:django_rq_clear",
    "admin:django_rq_requeue_all",
    "admin:django_rq_job_detail",
    "admin:django_rq_result_detail",
    "admin:django_rq_delete_job",
    "admin:django_rq_requeue_job",
    "admin:django_rq_enqueue_job",
    "admin:django_rq_stop_job",
    "admin:django_rq_confirm_action",
    "admin:django_rq_actions",
    "admin:django_rq_workers",
    "admin:django_rq_worker_details",
    "admin:django_rq_scheduler_jobs",
    "admin:django_rq_cron_scheduler_detail",
    "admin:django_rq_cron_job_detail",
)


def staff_only(expect: Expect) -> Rule:
    return admin_rule(lambda role, t, w: expect)


@dataclass(frozen=True)
class AdminModel:
    """A registered model: the objects whose pages are opened (one of A, one of B where the
    model belongs to an organisation) and who sees a row, from the README's record table
    (`sees` None: the README does not speak of the model). `added_by` may open its add page:
    None when the README does not say; rows written only by services have none."""

    objects: Callable[[World], list[Target]]
    sees: Callable[[str, Any, World], bool] | None
    added_by: frozenset[str] | None = None
    deleted_by: frozenset[str] | None = None
    # A model without a table (the job dashboard): its admin has the list page only.
    list_only: bool = False


def of_a_and_b(
    key_a: str,
    key_b: str,
    pick: Callable[[World, str], Any],
    about: Callable[[Any], Any] | None = None,
) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        found = []
        for key in (key_a, key_b):
            obj = pick(world, key)
            if obj is not None:
                found.append(Target(key, {"object_id": obj.pk}, obj, None))
        return found

    return targets


def one(pick: Callable[[World], Any]) -> Callable[[World], list[Target]]:
    def targets(world: World) -> list[Target]:
        obj = pick(world)
        return [Target(type(obj).__name__, {"object_id": obj.pk}, obj)] if obj is not None else []

    return targets


def first_of(model_path: str) -> Callable[[World], Any]:
    def pick(world: World) -> Any:
        from django.apps import apps as registry

        return registry.get_model(model_path).objects.order_by("pk").first()

    return pick


NOBODY: frozenset[str] = frozenset()
ADMINISTRATORS = frozenset({"admin"})

ADMIN_VIEWS = ("changelist", "add", "change", "history", "delete", "transition", "redirect")


def admin_expectations(model: AdminModel, view: str, method: str) -> Rule:
    """What each role gets from one page of a registered model, from `model.sees`."""

    def staff(role: str, target: Target, world: World) -> Expect:
        sees = model.sees
        if view == "changelist":
            # Rows are checked one by one (see test_admin): the list shows only what the role
            # sees; a role that sees no row may get an empty list or 403.
            return E(OK, FORBIDDEN) if method == "GET" else E(OK, REDIRECT, FORBIDDEN, INVALID)
        if view == "add":
            if model.added_by is None:
                return E(OK, FORBIDDEN) if method == "GET" else E(OK, FORBIDDEN, INVALID)
            if role in model.added_by:
                return E(OK) if method == "GET" else E(OK, INVALID)
            return E(FORBIDDEN)
        if view == "redirect":
            return E(REDIRECT)  # /admin/<app>/<model>/<id>/ only points to the change page
        if sees is None:
            return E(OK, FORBIDDEN, HIDDEN, REDIRECT, INVALID)
        seen = sees(role, target.record, world)
        if not seen:
            return E(HIDDEN, FORBIDDEN)
        if view in ("change", "history"):
            # A change page may be read-only: an empty POST is then refused.
            return E(OK) if method == "GET" else E(OK, FORBIDDEN, INVALID, REFUSED)
        if view == "delete":
            if model.deleted_by is not None and role not in model.deleted_by:
                return E(FORBIDDEN)
            # (A POST may answer with the page that says what protects the row from deletion.)
            return E(OK, FORBIDDEN) if method == "GET" else E(REDIRECT, FORBIDDEN, REFUSED, READ)
        raise AssertionError(view)

    return admin_rule(staff)

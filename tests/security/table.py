"""THE table: for every URL pattern of config.urls, which objects fill its arguments and what each
role must get for GET and for POST, written from the README's security section.

`PAGES` and `API` map a URL name (or, for a pattern without a name, its route) to a `Row` (the
targets that fill its arguments, the rule for GET, the rule for POST); `ADMIN` does the same for
the admin's own pages, and `ADMIN_MODELS` says per registered model who sees its rows, from
which the expectations of its changelist, add, change, history, delete and transition pages
follow (`expect.admin_expectations`). `test_table.py` fails when the resolver has a pattern none
of them names. The rules are read in `expect.py`; the README's predicates are in `spec.py`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.security import spec
from tests.security.expect import (
    ADMINISTRATORS,
    B_ROLES,
    FILE_OF,
    NOBODY,
    PUBLIC_ROLES,
    RQ_ARGUMENTS,
    RQ_NAMES,
    AdminModel,
    E,
    Row,
    Target,
    a_call,
    act,
    admin_rule,
    api,
    api_read,
    api_see,
    app_api_targets,
    app_sees,
    applicant_page,
    applicant_post,
    apps,
    assessment_body,
    budget_reader,
    call_in_scope,
    claim_next_rule,
    conversation_sees,
    counts_what_it_sees,
    decision_access,
    declare_rule,
    editable_member,
    everyone_reads,
    exported_batch,
    few_callers,
    files_sees,
    finance_row,
    first_of,
    formal_check_body,
    front_door,
    grant_api_targets,
    grant_sees,
    grant_sees_api,
    grantee_only,
    in_token_programmes,
    lists_messages_it_sees,
    lists_what_it_sees,
    member,
    message_api_reader,
    message_api_sees,
    message_files,
    message_member,
    message_sees,
    messages,
    no_target,
    of_a_and_b,
    offers_what_it_may,
    one,
    only,
    org_action,
    org_page_rule,
    organisations,
    payment_reader,
    public,
    public_text,
    ranking_access,
    read_only,
    reassign_rule,
    reassign_to,
    report_check_may,
    report_writer,
    review_access,
    rq_page,
    see,
    showcase_page,
    showcase_photo,
    signed_in,
    staff_only,
    staff_page,
    staff_reader,
    start_a_draft,
    task_sees,
    tasks,
    visitors_too,
    workspace,
    wrong_method,
)
from tests.security.probe import (
    DONE,
    FORBIDDEN,
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
from tests.security.world import World, pdf_upload, photo_upload

# "Programme managers, administrators and funders read the dashboard; anybody else gets 403."
DASHBOARD_ROLES = frozenset({"manager", "admin", "funder"})


def dashboard_rule(role: str, target: Target, world: object) -> frozenset[str]:
    if role == "anonymous":
        return E(LOGIN)
    return E(OK) if role in DASHBOARD_ROLES else E(FORBIDDEN)


def dashboard_csv(role: str, target: Target, world: object) -> frozenset[str]:
    found = dashboard_rule(role, target, world)
    if found == E(OK) and target.label == "unknown":
        return E(HIDDEN)
    return found


def lists_funded_projects(role: str, target: Target, world: World, answer: Any) -> list[str]:
    """ "Funders signed in read the funded projects of their API tokens' programmes (public
    fields), managers and administrators those they may see": exactly those, by reference."""
    from grants.models import ApiToken, GrantStatus

    running = {GrantStatus.ACCEPTED, GrantStatus.REPORT_DUE, GrantStatus.REPORT_SUBMITTED}
    running |= {GrantStatus.SETTLED, GrantStatus.CLOSED}
    scope: set[int] | None = None
    if role == "funder":
        tokens = ApiToken.objects.filter(user=world.users[role], revoked_at__isnull=True)
        if not tokens.filter(all_programmes=True).exists():
            scope = set(tokens.values_list("programmes", flat=True))
    html = answer.body.decode()
    problems = []
    for key, application in world.apps.items():
        application.refresh_from_db()
        grant = getattr(application, "grant", None) if application.status == "approved" else None
        funded = grant is not None and grant.status in running
        in_scope = scope is None or application.programme_id in scope
        sees = role == "funder" or spec.sees_application(role, application, world)
        expected = funded and in_scope and sees
        listed = application.reference is not None and f">{application.reference}<" in html
        if listed and not expected:
            problems.append(f"lists {key}, which is not a funded project it may read")
        elif expected and not listed:
            problems.append(f"does not list the funded project {key}")
    return problems


def breakdown_csv(role: str, target: Target, world: object) -> frozenset[str]:
    return E(OK) if target.label != "unknown" else E(HIDDEN)


# --- pages: the portal, the review workspace ---------------------------------------------------

PAGES: dict[str, Row] = {
    # --- the applicant portal ---
    "applications:home": Row(no_target, signed_in(E(OK)), signed_in(E(READ, METHOD))),
    "applications:organisation_create": Row(
        no_target, signed_in(applicant_page), signed_in(applicant_post)
    ),
    "applications:switch_organisation": Row(
        lambda w: [Target("A", data={"organisation": str(w.organisations["A"].pk)})],
        wrong_method(signed_in(DONE)),
        signed_in(E(REDIRECT)),
    ),
    "applications:bank_check": Row(
        lambda w: [Target("-", data={"iban": "DE89370400440532013000"})],
        wrong_method(signed_in(E(OK))),
        signed_in(lambda role: E(OK) if role in spec.MEMBER_OF else E(OK, FORBIDDEN)),
    ),
    "applications:organisation": Row(organisations, org_page_rule, org_page_rule),
    "applications:organisation_edit": Row(organisations, org_action(E(OK)), org_action(DONE)),
    "applications:bank_account": Row(organisations, org_action(E(OK)), org_action(DONE)),
    "applications:invite": Row(
        lambda w: [
            Target(t.label, t.kwargs, t.record, t.roles, {"email": "someone.new@example.org"})
            for t in organisations(w)
        ],
        wrong_method(org_action(DONE)),
        org_action(DONE),
        post_writes=True,
    ),
    "applications:revoke_invitation": Row(
        lambda w: (
            [
                Target(
                    f"{org}'s invitation",
                    {
                        "pk": w.organisations[org].pk,
                        "invitation_pk": w.invitations[org.lower()][0].pk,
                    },
                    w.organisations[org],
                    None if org == "A" else B_ROLES,
                )
                for org in ("A", "B")
            ]
            + [
                # B's member names A's invitation under B's organisation: it is not theirs.
                Target(
                    "A's invitation under B",
                    {"pk": w.organisations["B"].pk, "invitation_pk": w.invitations["a"][0].pk},
                    w.organisations["A"],
                    ("applicant_b",),
                )
            ]
        ),
        wrong_method(org_action(DONE)),
        org_action(DONE),
        post_writes=True,
    ),
    "applications:invitation": Row(
        # Nobody of the cast was invited: whoever follows the link is not the invited address
        # ("the link is valid 14 days and only for that address").
        lambda w: [Target("A's invitation", {"token": w.invitations["a"][1]})],
        signed_in(E(OK, FORBIDDEN, HIDDEN)),
        signed_in(E(FORBIDDEN, HIDDEN, REFUSED)),
        # README: "The invitation's link (its secret, sent to the invited address) shows whoever
        # holds it the organisation and that address, so that they sign in with it."
        shows=("invitation",),
    ),
    "applications:eligibility": Row(
        no_target, visitors_too(applicant_page), visitors_too(applicant_post)
    ),
    "applications:draft_start": Row(
        lambda w: [Target("-", data={"title": "Neues Projekt"})],
        wrong_method(signed_in(DONE)),
        signed_in(start_a_draft),
    ),
    "applications:detail": Row(
        apps("a_draft", "a_submitted", "a_offered", "a_report_submitted", "b_submitted"),
        see(app_sees),
        see(app_sees, E(READ, METHOD)),
    ),
    "applications:withdraw": Row(
        apps("a_submitted", "b_submitted", data={"confirm": "on", "reason": "Test"}),
        act(member, app_sees, ok=E(OK), refused=E(FORBIDDEN)),
        act(member, app_sees),
        post_writes=True,
    ),
    "applications:grant": Row(
        apps("a_offered", data={"full_name": "Erika Mustermann", "consent": "on"}),
        see(grant_sees),
        act(member, grant_sees),
        post_writes=True,
    ),
    "applications:draft_edit": Row(
        apps("a_draft", "a_submitted", "b_draft"),
        act(editable_member, app_sees, ok=E(REDIRECT), refused=E(FORBIDDEN), owner=member),
        act(editable_member, app_sees, ok=E(REDIRECT, METHOD), owner=member),
    ),
    "applications:draft_section": Row(
        apps("a_draft", "a_submitted", "b_draft", section="project"),
        act(editable_member, app_sees, ok=E(OK), refused=E(FORBIDDEN), owner=member),
        act(editable_member, app_sees, owner=member),
    ),
    "applications:draft_autosave": Row(
        apps("a_draft", "b_draft", section="project", data={"title": "Zwischenstand"}),
        wrong_method(act(editable_member, app_sees)),
        act(editable_member, app_sees, ok=E(OK)),
    ),
    "applications:draft_review": Row(
        apps("a_draft", "a_submitted", "b_draft"),
        act(editable_member, app_sees, ok=E(OK), refused=E(FORBIDDEN), owner=member),
        act(editable_member, app_sees, ok=E(OK, METHOD), owner=member),
    ),
    "applications:draft_submit": Row(
        apps("a_draft", "b_draft"),
        wrong_method(act(editable_member, app_sees)),
        act(editable_member, app_sees),
        post_writes=True,
    ),
    "applications:document_download": Row(
        lambda w: [
            Target("A's summary", {"pk": w.documents["a"].pk}, w.apps["a_submitted"]),
            Target("B's summary", {"pk": w.documents["b"].pk}, w.apps["b_submitted"], B_ROLES),
        ],
        see(files_sees),
        wrong_method(see(files_sees)),
    ),
    "applications:attachment_upload": Row(
        lambda w: [
            Target(
                t.label,
                t.kwargs,
                t.record,
                t.roles,
                {"purpose": "application", "file": pdf_upload()},
            )
            for t in apps("a_draft", "a_submitted", "b_draft")(w)
        ],
        wrong_method(act(editable_member, files_sees, owner=member)),
        act(editable_member, files_sees, owner=member),
        post_writes=True,
    ),
    "applications:attachment_download": Row(
        lambda w: [
            Target(
                f"file of {key}",
                {"pk": w.attachments[key].pk},
                w.apps[FILE_OF[key]],
                B_ROLES if key.startswith("b_") else None,
            )
            for key in ("a_draft", "a_submitted", "a_receipt", "b_submitted")
        ],
        see(files_sees),
        wrong_method(see(files_sees)),
    ),
    "applications:attachment_delete": Row(
        lambda w: [
            Target(
                f"file of {key}",
                {"pk": w.attachments[key].pk},
                w.apps[FILE_OF[key]],
                B_ROLES if key.startswith("b_") else None,
                {"confirmed": "1"},
            )
            for key in ("a_draft", "a_submitted", "b_draft")
        ],
        act(editable_member, files_sees, ok=E(OK), refused=E(FORBIDDEN), owner=member),
        act(editable_member, files_sees, owner=member),
        post_writes=True,
    ),
    "applications:report": Row(
        apps("a_report_due", "a_report_submitted", "b_report_submitted"),
        see(files_sees),
        act(report_writer, files_sees, owner=member),
    ),
    "applications:report_totals": Row(
        apps("a_report_due", "b_report_submitted"),
        wrong_method(act(report_writer, files_sees, owner=member)),
        act(report_writer, files_sees, ok=E(OK), owner=member),
    ),
    "applications:report_submit": Row(
        apps("a_report_due", "a_report_submitted", "b_report_submitted"),
        act(report_writer, files_sees, ok=E(OK), refused=E(FORBIDDEN), owner=member),
        act(report_writer, files_sees, owner=member),
    ),
    # --- the conversations (README: "conversation (messages and their files)") ---
    "conversations:conversation": Row(
        apps("a_draft", "a_submitted", "a_offered", "b_submitted", data={"body": "Eine Frage"}),
        see(conversation_sees),
        see(conversation_sees, DONE),
        post_writes=True,
    ),
    "conversations:inbox": Row(no_target, signed_in(E(OK)), wrong_method(signed_in(E(OK)))),
    "conversations:settings": Row(
        lambda w: [Target("-", data={"delivery": "hourly", "language": "fr"})],
        staff_page(E(OK)),
        staff_page(DONE),
        post_writes=True,
    ),
    "conversations:file": Row(
        message_files("a_said", "a_note", "b_said"),
        see(message_sees),
        wrong_method(see(message_sees)),
    ),
    "conversations:request_changes": Row(
        messages(
            "a_said",
            "a_note",
            "b_said",
            data={"message": "Bitte ergänzen.", "reply_by": str(date.today() + timedelta(days=20))},
        ),
        act(
            spec.may_request_changes_from,
            staff_reader,
            ok=E(OK),
            refused=E(REFUSED, FORBIDDEN),
            owner=message_member,
            unseen=E(HIDDEN),
        ),
        act(spec.may_request_changes_from, message_sees, owner=message_member),
        post_writes=True,
    ),
    # --- the review workspace ---
    "reviews:overview": Row(
        no_target,
        workspace(review_access, signed_in(E(OK))),
        workspace(review_access, signed_in(E(READ, METHOD))),
    ),
    "reviews:queue": Row(
        lambda w: [
            Target(kind, {"kind": kind}) for kind in ("formal_check", "assessment", "report_check")
        ],
        workspace(review_access, signed_in(E(OK))),
        workspace(review_access, signed_in(E(READ, METHOD))),
    ),
    "reviews:claim_next": Row(
        lambda w: [Target("formal_check", {"kind": "formal_check"})],
        wrong_method(claim_next_rule),
        claim_next_rule,
    ),
    "reviews:task": Row(
        tasks(
            "a_formal_check", "a_assessment", "a_second_slot", "a_report_check", "b_formal_check"
        ),
        workspace(review_access, see(task_sees, E(REDIRECT))),
        workspace(review_access, see(task_sees, E(REDIRECT, METHOD))),
    ),
    "reviews:claim": Row(
        tasks("a_formal_check", "a_assessment", "b_formal_check"),
        wrong_method(workspace(review_access, act(spec.may_claim, task_sees))),
        workspace(review_access, act(spec.may_claim, task_sees)),
        post_writes=True,
    ),
    "reviews:release": Row(
        tasks("a_assessment"),
        wrong_method(workspace(review_access, act(spec.may_release, task_sees))),
        workspace(review_access, act(spec.may_release, task_sees)),
        post_writes=True,
    ),
    "reviews:reassign": Row(
        lambda w: [
            # To a reviewer in conflict with A: nobody may.
            *[
                Target(
                    f"{t.label} to reviewer_domain",
                    t.kwargs,
                    t.record,
                    t.roles,
                    t.data,
                    extra="reviewer_domain",
                )
                for t in tasks("a_assessment", data=reassign_to("reviewer_domain"))(w)
            ],
            # B's open assessment to the same reviewer: a manager may.
            *[
                Target(
                    f"{t.label} to reviewer_domain",
                    t.kwargs,
                    t.record,
                    None,
                    t.data,
                    extra="reviewer_domain",
                )
                for t in tasks("b_assessment", data=reassign_to("reviewer_domain"))(w)
            ],
        ],
        wrong_method(reassign_rule("reviewer_domain")),
        reassign_rule("reviewer_domain"),
        post_writes=True,
    ),
    "reviews:declare_conflict": Row(
        apps("a_submitted", "b_submitted", data={"note": "Bekannt"}),
        wrong_method(workspace(review_access, declare_rule)),
        workspace(review_access, declare_rule),
    ),
    "reviews:search": Row(
        # The search's results are checked in test_search; here who may open it.
        lambda w: [Target("q", query={"q": "Projekt"})],
        workspace(review_access, signed_in(E(OK))),
        workspace(review_access, signed_in(E(READ, METHOD))),
    ),
    "reviews:formal_check": Row(
        tasks("a_formal_check", "b_formal_check", data=formal_check_body),
        workspace(review_access, see(task_sees)),
        workspace(
            review_access,
            act(lambda role, t, w: spec.may_check_formally(role, t.application, w), task_sees),
        ),
        post_writes=True,
    ),
    "reviews:assessment": Row(
        tasks("a_assessment", "a_second_slot", "b_assessment", data=assessment_body),
        workspace(review_access, see(task_sees)),
        workspace(review_access, act(spec.may_assess, task_sees)),
        post_writes=True,
    ),
    "reviews:decisions": Row(
        no_target,
        workspace(decision_access, signed_in(E(OK))),
        workspace(decision_access, signed_in(E(READ, METHOD))),
    ),
    "reviews:decide_many": Row(
        lambda w: [
            Target(
                "approve A's reviewed",
                record=w.apps["a_reviewed"],
                data={
                    "decision": "approve",
                    "amount_rule": "requested",
                    "application": [str(w.apps["a_reviewed"].pk)],
                },
            )
        ],
        wrong_method(workspace(decision_access, signed_in(DONE))),
        # Each application's refusal is listed on the decisions list the POST redirects to.
        workspace(
            decision_access,
            act(spec.may_decide, app_sees, refused=E(FORBIDDEN, REFUSED, REDIRECT)),
        ),
        post_writes=True,
    ),
    "reviews:rankings": Row(
        no_target,
        workspace(ranking_access, signed_in(E(OK))),
        wrong_method(workspace(ranking_access, signed_in(E(OK)))),
    ),
    "reviews:ranking": Row(
        a_call,
        workspace(ranking_access, signed_in(E(OK))),
        wrong_method(workspace(ranking_access, signed_in(E(OK)))),
    ),
    "reviews:ranking_pdf": Row(
        a_call,
        workspace(ranking_access, signed_in(E(OK))),
        wrong_method(workspace(ranking_access, signed_in(E(OK)))),
    ),
    "reviews:ranking_xlsx": Row(
        a_call,
        workspace(ranking_access, signed_in(E(OK))),
        wrong_method(workspace(ranking_access, signed_in(E(OK)))),
    ),
    "reviews:decide_from_ranking": Row(
        # A's reviewed application is not in the lighthouse call: nothing is decided, and the
        # ranking the POST redirects to says why (administrators: only managers decide).
        lambda w: [
            Target(
                "approve A's reviewed from the lighthouse call",
                {"pk": getattr(w.call, "pk", 0)},
                w.call,
                data={"decision": "approve", "application": [str(w.apps["a_reviewed"].pk)]},
            )
        ],
        wrong_method(workspace(ranking_access, signed_in(DONE))),
        workspace(ranking_access, signed_in(E(REFUSED))),
    ),
    "reviews:reopen_waiting_list": Row(
        lambda w: [
            Target(
                "A's waiting list",
                record=w.apps["a_waitlisted"],
                data={"programme": str(w.apps["a_waitlisted"].programme_id)},
            )
        ],
        wrong_method(workspace(decision_access, signed_in(DONE))),
        # Reopened as far as the budget reaches, or a message that it does not: a redirect.
        workspace(decision_access, signed_in(DONE | E(REFUSED))),
    ),
    "reviews:decision": Row(
        apps("a_reviewed", "b_reviewed", data={"decision": "approve", "approve-amount": "4000.00"}),
        workspace(decision_access, see(app_sees)),
        workspace(decision_access, act(spec.may_decide, app_sees)),
        post_writes=True,
    ),
    "reviews:report_check": Row(
        tasks(
            "a_report_check",
            "b_report_check",
            data=lambda w, t: {"action": "accept", "accept-confirm": "on"},
        ),
        workspace(review_access, see(task_sees)),
        workspace(review_access, act(report_check_may, task_sees)),
        post_writes=True,
    ),
}


# --- calendars (a feed per person at a secret address) and saved filters of staff lists --------


def _feed_targets(world: World) -> list[Target]:
    live = world.feed_secret
    tampered = live[:-1] + ("A" if live[-1] != "A" else "B")
    return [
        # The address is the key: whoever holds it reads A's applicant's deadlines (no session
        # needed); only A's applicant tries it here, since for anyone else the matrix would
        # count A's dates in it as a leak.
        Target("A's live address", {"token": live}, roles=("applicant_a",)),
        Target("A's address tampered with", {"token": tampered}),
        Target("B's revoked address", {"token": world.revoked_feed_secret}),
        Target("no address at all", {"token": "mgc_00000000_" + "x" * 43}),
    ]


def _feed_rule(role: str, target: Target, world: World) -> frozenset[str]:
    return E(OK) if target.label == "A's live address" else E(HIDDEN)


def _calendar_page_post(role: str, target: Target, world: World) -> frozenset[str]:
    if role == "anonymous":
        return E(LOGIN)
    # A new address is shown on the answer itself (200); revoking goes back to the page.
    return E(OK) if target.label == "make an address" else E(REDIRECT)


def _save_filter_rule(role: str, target: Target, world: World) -> frozenset[str]:
    if role == "anonymous":
        return E(LOGIN)
    if role not in ("manager", "admin"):
        return E(FORBIDDEN)  # the decisions list is theirs alone (reviews.decisions.may_decide)
    # An unknown field: a message, nothing saved.
    return E(REFUSED) if target.label == "an unknown field" else E(REDIRECT)


def _delete_filter_rule(role: str, target: Target, world: World) -> frozenset[str]:
    if role == "anonymous":
        return E(LOGIN)
    return E(REDIRECT) if role == "manager" else E(HIDDEN)


PAGES.update(
    {
        "calendars:page": Row(
            lambda w: [
                Target("make an address", data={"action": "create", "language": "en"}),
                Target("revoke the address", data={"action": "revoke"}),
            ],
            signed_in(E(OK)),
            _calendar_page_post,
        ),
        "calendars:feed": Row(_feed_targets, _feed_rule, wrong_method(_feed_rule)),
        "accounts:save_filter": Row(
            lambda w: [
                Target(
                    "the decisions of German applicants",
                    data={"path": "/review/decisions/", "query": "country=DE", "name": "DE"},
                ),
                Target(
                    "an unknown field",
                    data={"path": "/review/decisions/", "query": "colour=blue", "name": "Bunt"},
                ),
            ],
            wrong_method(_save_filter_rule),
            _save_filter_rule,
        ),
        "accounts:delete_filter": Row(
            lambda w: [Target("the manager's filter", {"pk": w.saved_filter.pk})],
            wrong_method(_delete_filter_rule),
            _delete_filter_rule,
            post_writes=True,
        ),
    }
)


# --- the finance workspace (finance officers and administrators; everyone else 403), accounts ---

PAGES.update(
    {
        "finance:payments": finance_row(),
        "finance:approve": finance_row(
            lambda w: [
                Target("A's balance", data={"payment": [str(w.payments["a_scheduled"].pk)]})
            ],
            get=False,
            post=True,
        ),
        "finance:batches": finance_row(),
        "finance:create_batch": finance_row(
            lambda w: [
                Target(
                    "-",
                    data={
                        "payment": [str(w.payments["a_scheduled"].pk)],
                        "execution_date": str(w.today + timedelta(days=3)),
                    },
                )
            ],
            get=False,
            post=True,
        ),
        "finance:batch": finance_row(exported_batch),
        "finance:export": finance_row(exported_batch, get=False, post=True),
        "finance:mark_paid": finance_row(exported_batch, get=False, post=True),
        "finance:download": finance_row(
            lambda w: [
                Target(f"{kind} file", {"pk": w.batches["exported"].pk, "kind": kind})
                for kind in ("xml", "csv")
            ]
        ),
        "finance:payment_failed": finance_row(
            lambda w: [
                Target(
                    "B's exported advance",
                    {"pk": w.payments["b_exported"].pk},
                    data={"reason": "Konto erloschen"},
                )
            ],
            get=False,
            post=True,
        ),
        "finance:repayments": finance_row(),
        "finance:repayment_received": finance_row(
            lambda w: [Target("A's claim", {"pk": w.claims["a"].pk})], get=False, post=True
        ),
        "finance:exports": finance_row(),
        "finance:approvals_csv": finance_row(),
        "finance:approvals_xlsx": finance_row(),
        "finance:ledger": finance_row(),
        "finance:ledger_csv": finance_row(
            lambda w: [Target("programme X", {"pk": w.allocation.pk})]  # type: ignore[union-attr]
        ),
        # --- the dashboards: managers, administrators, funders (their tokens' programmes) ---
        "dashboards:overview": Row(no_target, dashboard_rule, wrong_method(dashboard_rule)),
        "dashboards:csv": Row(
            lambda w: [
                Target("pipeline", {"slug": "pipeline"}),
                Target("unknown", {"slug": "colour"}),
            ],
            dashboard_csv,
            wrong_method(dashboard_csv),
        ),
        "dashboards:projects": Row(
            no_target,
            dashboard_rule,
            wrong_method(dashboard_rule),
            check=lists_funded_projects,
            shows=("title", "published"),
        ),
        "dashboards:tokens": Row(no_target, dashboard_rule, wrong_method(dashboard_rule)),
        # --- accounts and language: open to everyone ---
        "login": Row(only(PUBLIC_ROLES, no_target), public, public),
        "logout": Row(only(PUBLIC_ROLES, no_target), public, public),
        "password_reset": Row(only(PUBLIC_ROLES, no_target), public, public),
        "password_reset_done": Row(only(PUBLIC_ROLES, no_target), public, public),
        "password_reset_confirm": Row(
            lambda w: [Target("-", {"uidb64": "MQ", "token": "set-password"}, roles=PUBLIC_ROLES)],
            public,
            public,
        ),
        "password_reset_complete": Row(only(PUBLIC_ROLES, no_target), public, public),
        "accounts:signup": Row(only(PUBLIC_ROLES, no_target), public, public),
        "accounts:check_inbox": Row(only(PUBLIC_ROLES, no_target), public, public),
        "accounts:resend_confirmation": Row(only(PUBLIC_ROLES, no_target), public, public),
        "accounts:confirm": Row(
            lambda w: [Target("-", {"token": "no-such-token"})], public, public
        ),
        "set_language": Row(lambda w: [Target("-", data={"language": "de"})], public, public),
        # --- the fund's public face ---
        "public:home": Row(no_target, front_door, wrong_method(front_door)),
        "public:page": Row(
            lambda w: [Target("published", {"kind": "imprint"}), Target("draft", {"kind": "faq"})],
            public_text,
            wrong_method(public_text),
        ),
        "public:robots": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "public:sitemap": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "public:feed": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        # The open figures: aggregates for everyone, signed in or not; a CSV per breakdown (an
        # unknown one is not there); the 360Giving files of the grants published by consent.
        "public:figures": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "public:figures_csv": Row(
            lambda w: [
                Target("by region", {"breakdown": "region"}),
                Target("unknown", {"breakdown": "colour"}),
            ],
            breakdown_csv,
            wrong_method(breakdown_csv),
        ),
        "public:open_data_json": Row(
            no_target, everyone_reads, wrong_method(everyone_reads), shows=("published",)
        ),
        "public:open_data_csv": Row(
            no_target, everyone_reads, wrong_method(everyone_reads), shows=("published",)
        ),
        # --- the showcase: public list, map, pages, photos; the grantee's side ---
        "public:projects": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "public:project_map": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "public:project": Row(
            lambda w: [Target(k, {"slug": s.slug}, s) for k, s in w.showcases.items()],
            showcase_page,
            wrong_method(showcase_page),
        ),
        "public:project_photo": Row(
            lambda w: [
                Target(k, {"slug": p.showcase.slug, "photo": p.pk}, p) for k, p in w.photos.items()
            ],
            showcase_photo,
            wrong_method(showcase_photo),
        ),
        "public:showcase_manage": Row(
            apps("a_accepted", "b_accepted", data={"action": "consent", "confirm": "on"}),
            grantee_only(E(OK)),
            grantee_only(DONE),
            post_writes=True,
        ),
        "public:showcase_photo_upload": Row(
            lambda w: [
                Target(
                    t.label,
                    t.kwargs,
                    t.record,
                    t.roles,
                    {"image": photo_upload(), "alt_text": "Fest", "rights_confirmed": "on"},
                )
                for t in apps("a_settled")(w)
            ],
            wrong_method(grantee_only(E(METHOD))),
            grantee_only(DONE),
            post_writes=True,
        ),
        "public:showcase_photo_delete": Row(
            lambda w: apps("a_settled", photo=w.photos["pending"].pk)(w),
            wrong_method(grantee_only(E(METHOD))),
            grantee_only(DONE),
            post_writes=True,
        ),
        "public:showcase_preview": Row(
            apps("a_settled"), grantee_only(E(OK)), wrong_method(grantee_only(E(OK)))
        ),
    }
)


# --- interim reports: the grantee writes and sends; reviewers check in the workspace -------------


def interim_reports(*keys: str, data: dict[str, str] | None = None) -> Any:
    def targets(world: World) -> list[Target]:
        return [
            Target(
                key,
                {"pk": world.apps[key].pk},
                world.interim_reports[key],
                B_ROLES if key.startswith("b_") else None,
                data,
            )
            for key in keys
        ]

    return targets


def reads_interim_page(role: str, report: Any, world: World) -> bool:
    """The page of a grant's interim report: the readers of its final report (a draft's text
    stays its organisation's: the leak check holds the page to that)."""
    return spec.sees_files(role, report.grant.application, world)


def member_of_grantee(role: str, report: Any, world: World) -> bool:
    return spec.is_member(role, report.grant.application, world)


def interim_check_may(role: str, task: Any, world: World) -> bool:
    return spec.may_accept_interim(role, task.grant, world) and (
        task.status == "open" or spec.holds(role, task, world)
    )


# What the grantee types: the progress and the plan's one expense category (travel).
INTERIM_FORM = {
    "progress": "Zweites Treffen geplant.",
    "spending-TOTAL_FORMS": "1",
    "spending-INITIAL_FORMS": "1",
    "spending-MIN_NUM_FORMS": "0",
    "spending-MAX_NUM_FORMS": "6",
    "spending-0-category": "travel",
    "spending-0-amount": "1000",
    "action": "save",
}

PAGES.update(
    {
        "interim:report": Row(
            interim_reports(
                "a_interim_draft", "a_interim_sent", "b_interim_sent", data=INTERIM_FORM
            ),
            see(reads_interim_page),
            act(spec.writes_interim_report, reads_interim_page, owner=member_of_grantee),
            post_writes=True,
        ),
        "reviews:interim_check": Row(
            tasks(
                "a_interim_check",
                "b_interim_check",
                data=lambda w, t: {"action": "accept", "accept-confirm": "on"},
            ),
            workspace(review_access, see(task_sees)),
            workspace(review_access, act(interim_check_may, task_sees)),
            post_writes=True,
        ),
    }
)


# --- requests for change after the award: the grantee asks and writes; managers decide ----------


def amendments(*keys: str, data: dict[str, str] | None = None) -> Any:
    def targets(world: World) -> list[Target]:
        return [
            Target(
                key,
                {"pk": world.amendments[key].pk},
                world.amendments[key],
                B_ROLES if key.startswith("b_") else None,
                data,
            )
            for key in keys
        ]

    return targets


def sees_amendment(role: str, amendment: Any, world: World) -> bool:
    return spec.sees_amendment(role, amendment, world)


PAGES.update(
    {
        # Every grant of the world that runs has its request open already: the grantee is
        # sent to it (nothing written); whoever else sees the grant is refused.
        "amendments:start": Row(
            apps("a_accepted", "b_accepted"),
            wrong_method(act(member, grant_sees)),
            act(member, grant_sees),
        ),
        "amendments:detail": Row(
            amendments("a_submitted", "a_draft", "b_submitted"),
            see(sees_amendment),
            # An empty form: the draft's editor is told what is missing (400), nothing written.
            act(spec.edits_amendment, sees_amendment, owner=spec.asks_for_amendment),
        ),
        "amendments:withdraw": Row(
            amendments("a_submitted", "a_draft", "b_submitted", data={"reason": "Doch nicht"}),
            act(spec.asks_for_amendment, sees_amendment, ok=E(OK), refused=E(FORBIDDEN)),
            act(spec.asks_for_amendment, sees_amendment),
            post_writes=True,
        ),
        "amendments:queue": Row(
            no_target,
            workspace(decision_access, signed_in(E(OK))),
            workspace(decision_access, signed_in(E(READ, METHOD))),
        ),
        "amendments:decision": Row(
            amendments("a_submitted", "a_draft", "b_submitted", data={"decision": "approve"}),
            workspace(decision_access, see(sees_amendment)),
            workspace(decision_access, act(spec.may_decide_amendment, sees_amendment)),
            post_writes=True,
        ),
    }
)


# --- the partner exchange: live posts are public; posters change their own; contact signed in ---


def partner_posts(*keys: str, data: dict[str, str] | None = None) -> Any:
    def targets(world: World) -> list[Target]:
        return [
            Target(key, {"pk": world.partner_posts[key].pk}, world.partner_posts[key], data=data)
            for key in keys
        ]

    return targets


def sees_post(role: str, target: Target, world: World) -> Any:
    return E(OK) if spec.sees_partner_post(role, target.record, world) else E(HIDDEN)


def poster_action(ok: Any) -> Any:
    """Edit, renew, close: the posting organisation's members; whoever else sees the post is
    refused (403), the others do not see it."""

    def rule(role: str, target: Target, world: World) -> Any:
        if role == "anonymous":
            return E(LOGIN)
        if spec.is_poster(role, target.record, world):
            return ok
        return E(FORBIDDEN) if spec.sees_partner_post(role, target.record, world) else E(HIDDEN)

    return rule


def close_rule(role: str, target: Target, world: World) -> Any:
    """Closing is the posters' step of the post's machine; a post the fund hid stays hidden,
    and the poster is told why."""
    if spec.is_poster(role, target.record, world) and target.record.status == "hidden":
        return E(REFUSED)
    return poster_action(DONE)(role, target, world)


def contact_rule(role: str, target: Target, world: World) -> Any:
    """Anyone signed in writes to the organisation of a live post; its own members are told
    it is their post; a post that is not live takes no message."""
    post = target.record
    if role == "anonymous":
        return E(LOGIN)
    if not spec.sees_partner_post(role, post, world):
        return E(HIDDEN)
    if spec.is_poster(role, post, world) or post.status == "hidden":
        return E(REFUSED, FORBIDDEN)
    return DONE


def apply_rule(role: str, target: Target, world: World) -> Any:
    """Members of another organisation start a draft with the poster as partner; the poster
    and whoever has no organisation are told why not."""
    if role == "anonymous":
        return E(LOGIN)
    if role in spec.MEMBER_OF and not spec.is_poster(role, target.record, world):
        return DONE
    return E(REFUSED, FORBIDDEN)


def own_organisation_post(role: str) -> Any:
    """Posting: members of an organisation; anyone else is sent to register one first."""
    return DONE if role in spec.MEMBER_OF else E(REFUSED, FORBIDDEN)


def partner_message(world: World) -> list[Target]:
    message = world.partner_messages["b_to_a"]
    return [Target("B's message to A", {"pk": message.pk}, message, data={"body": "Gerne!"})]


def sees_message(ok: Any) -> Any:
    def rule(role: str, target: Target, world: World) -> Any:
        if role == "anonymous":
            return E(LOGIN)
        return ok if spec.sees_partner_message(role, target.record, world) else E(HIDDEN)

    return rule


def reply_rule(role: str, target: Target, world: World) -> Any:
    """The members of the organisation written to reply; the sender and administrators, who
    see the message, may not."""
    if role == "anonymous":
        return E(LOGIN)
    if spec.is_poster(role, target.record.post, world):
        return DONE
    return E(FORBIDDEN) if spec.sees_partner_message(role, target.record, world) else E(HIDDEN)


POST_BODY = {"title": "Neues Gesuch", "country": "FR", "text": "Wir suchen.", "language": "de"}


PAGES.update(
    {
        "partners:list": Row(no_target, everyone_reads, wrong_method(everyone_reads)),
        "partners:detail": Row(
            partner_posts("a_live", "b_live", "a_hidden", "a_expired"),
            sees_post,
            wrong_method(sees_post),
        ),
        "partners:create": Row(
            lambda w: [Target("-", data=POST_BODY)],
            signed_in(lambda role: E(OK) if role in spec.MEMBER_OF else E(REFUSED, FORBIDDEN)),
            signed_in(own_organisation_post),
        ),
        "partners:edit": Row(
            partner_posts("a_live", "b_live", "a_hidden", "a_expired", data=POST_BODY),
            poster_action(E(OK)),
            poster_action(DONE),
        ),
        "partners:renew": Row(
            partner_posts("a_live", "b_live", "a_hidden", "a_expired"),
            poster_action(E(OK)),
            poster_action(DONE),
        ),
        "partners:close": Row(
            partner_posts("a_live", "b_live", "a_hidden"),
            wrong_method(poster_action(DONE)),
            close_rule,
        ),
        "partners:contact": Row(
            partner_posts("a_live", "a_hidden", data={"body": "Bonjour !"}),
            wrong_method(contact_rule),
            contact_rule,
        ),
        "partners:report": Row(
            partner_posts("a_live", "a_hidden", data={"reason": "spam"}),
            sees_post,
            lambda role, target, world: (
                DONE if spec.sees_partner_post(role, target.record, world) else E(HIDDEN)
            ),
        ),
        "partners:apply": Row(
            partner_posts("a_live", "b_live"), wrong_method(apply_rule), apply_rule
        ),
        "partners:mine": Row(no_target, signed_in(E(OK)), wrong_method(signed_in(E(OK)))),
        "partners:inbox": Row(no_target, signed_in(E(OK)), wrong_method(signed_in(E(OK)))),
        "partners:message": Row(partner_message, sees_message(E(OK)), reply_rule),
        "partners:message_report": Row(
            lambda w: [
                Target(t.label, t.kwargs, t.record, data={"reason": "offensive"})
                for t in partner_message(w)
            ],
            sees_message(E(OK)),
            sees_message(DONE),
        ),
    }
)


# --- webhooks: the owner's pages (funders and staff may own subscriptions; applicants not) ---

WEBHOOK_OWNERS = (*spec.STAFF_ROLES, "funder")


def webhook_subscriptions(world: World) -> list[Target]:
    return [Target(f"of {owner}", {"pk": s.pk}, s) for owner, s in world.subscriptions.items()]


def webhook_page(role: str) -> frozenset[str]:
    return E(OK) if role in WEBHOOK_OWNERS else E(FORBIDDEN)


def webhook_detail(role: str, target: Target, world: World) -> frozenset[str]:
    if role == "anonymous":
        return E(LOGIN)
    if role not in WEBHOOK_OWNERS:
        return E(FORBIDDEN)
    return E(OK) if spec.sees_webhook_subscription(role, target.record, world) else E(HIDDEN)


PAGES.update(
    {
        "webhooks:list": Row(
            no_target, signed_in(webhook_page), wrong_method(signed_in(webhook_page))
        ),
        "webhooks:detail": Row(webhook_subscriptions, webhook_detail, wrong_method(webhook_detail)),
    }
)


# --- the API: anonymous 401; applicants' and funders' sessions refused; staff and tokens read ---

API: dict[str, Row] = {
    "api:programme-list": Row(no_target, api(api_read), read_only(api(api_read))),
    "api:programme-detail": Row(
        lambda w: [
            Target("X", {"pk": w.programme_x.pk}, w.programme_x),
            Target("cat-2", {"pk": w.programme_other.pk}, w.programme_other),
        ],
        api_see(in_token_programmes),
        read_only(api_see(in_token_programmes)),
    ),
    "api:call-list": Row(no_target, api(api_read), read_only(api(api_read))),
    "api:call-detail": Row(
        lambda w: [Target("a lighthouse call", {"pk": getattr(w.call, "pk", 0)}, w.call)],
        api_see(call_in_scope),
        read_only(api_see(call_in_scope)),
    ),
    "api:application-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(api_read),
        read_only(api(api_read)),
        check=lists_what_it_sees("application"),
    ),
    "api:application-detail": Row(app_api_targets, api_see(app_sees), read_only(api_see(app_sees))),
    "api:application-transitions": Row(
        app_api_targets,
        api_see(app_sees),
        read_only(api_see(app_sees)),
        check=offers_what_it_may,
    ),
    "api:application-transition": Row(
        lambda w: [
            Target(t.label, {**t.kwargs, "name": "reject"}, t.record, t.roles)
            for t in app_api_targets(w)
        ],
        wrong_method(api_see(app_sees)),
        api_see(app_sees),
        walked_elsewhere="test_transitions",
    ),
    "api:grant-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(api_read),
        read_only(api(api_read)),
        check=lists_what_it_sees("grant"),
    ),
    "api:grant-detail": Row(
        grant_api_targets, api_see(grant_sees_api), read_only(api_see(grant_sees_api))
    ),
    "api:grant-transitions": Row(
        grant_api_targets,
        api_see(grant_sees_api),
        read_only(api_see(grant_sees_api)),
        check=offers_what_it_may,
    ),
    "api:grant-transition": Row(
        lambda w: [
            Target(t.label, {**t.kwargs, "name": "cancel"}, t.record, t.roles)
            for t in grant_api_targets(w)
        ],
        wrong_method(api_see(grant_sees_api)),
        api_see(grant_sees_api),
        walked_elsewhere="test_transitions",
    ),
    "api:payment-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(payment_reader),
        read_only(api(payment_reader)),
        check=lists_what_it_sees("payment"),
    ),
    "api:payment-detail": Row(
        lambda w: [Target(key, {"pk": p.pk}, p) for key, p in w.payments.items() if p is not None],
        api(payment_reader),
        read_only(api(payment_reader)),
    ),
    "api:message-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(message_api_reader),
        read_only(api(message_api_reader)),
        check=lists_messages_it_sees,
    ),
    "api:message-detail": Row(
        messages("a_said", "a_note", "a_offered", "b_said", "b_note"),
        api(message_api_sees),
        read_only(api(message_api_sees)),
    ),
    "api:amendment-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(api_read),
        read_only(api(api_read)),
        check=lists_what_it_sees("amendment"),
    ),
    "api:amendment-detail": Row(
        amendments("a_submitted", "a_draft", "b_submitted"),
        # The API shows what was sent; a draft exists for nobody there.
        api_see(lambda role, a, w: a.status != "draft" and spec.sees_amendment(role, a, w)),
        read_only(
            api_see(lambda role, a, w: a.status != "draft" and spec.sees_amendment(role, a, w))
        ),
    ),
    "api:stats": Row(
        lambda w: [Target("-"), Target("by funder", query={"group_by": "funder"})],
        api(api_read),
        read_only(api(api_read)),
        check=counts_what_it_sees,
    ),
    # Budgets with each funder's part: those who read the ledger (the co-funder of the other
    # programme is a "funder" secret for the token of programme X, see leaks.py).
    "api:budget-list": Row(
        lambda w: [Target("-", query={"page_size": 100})],
        api(budget_reader),
        read_only(api(budget_reader)),
    ),
    "api:budget-detail": Row(
        lambda w: [
            Target("X", {"pk": w.allocation.pk}, w.allocation),
            Target("other", {"pk": w.grant("b_other_granted").allocation_id}),
        ],
        api(budget_reader),
        read_only(api(budget_reader)),
    ),
    # Webhook subscriptions: each owner their own (no secret), administrators all.
    "api:webhook-subscription-list": Row(no_target, api(api_read), read_only(api(api_read))),
    "api:webhook-subscription-detail": Row(
        webhook_subscriptions,
        api_see(spec.sees_webhook_subscription),
        read_only(api_see(spec.sees_webhook_subscription)),
    ),
    # Published grants are public: their titles and references are the export's content.
    "api:360giving-json": Row(
        no_target, api(api_read), read_only(api(api_read)), shows=("published",)
    ),
    "api:360giving-csv": Row(
        no_target, api(api_read), read_only(api(api_read)), shows=("published",)
    ),
    # The schema and its documentation: the README names them, not who reads them (only "no
    # 500" is checked, by three kinds of caller: building the schema takes a while).
    "api:schema": Row(
        few_callers,
        lambda r, t, w: E(OK, UNAUTHORIZED, FORBIDDEN),
        lambda r, t, w: E(METHOD, UNAUTHORIZED, FORBIDDEN),
    ),
    "api:docs": Row(
        few_callers,
        lambda r, t, w: E(OK, UNAUTHORIZED, FORBIDDEN),
        lambda r, t, w: E(METHOD, UNAUTHORIZED, FORBIDDEN),
    ),
    # "Any other address below /api/ answers a 404 problem."
    "api/^": Row(
        lambda w: [Target("-", extra="/api/v1/nothing-here/")],
        lambda r, t, w: E(HIDDEN, UNAUTHORIZED),
        lambda r, t, w: E(HIDDEN, UNAUTHORIZED, METHOD),
    ),
}


# --- the admin's own pages and the job queue ------------------------------------------------------

ADMIN: dict[str, Row] = {
    "admin:index": Row(no_target, staff_only(E(OK)), staff_only(E(OK, METHOD))),
    "admin:login": Row(no_target, public, public),
    "admin:logout": Row(
        no_target,
        lambda r, t, w: E(OK, REDIRECT, METHOD, LOGIN),
        lambda r, t, w: E(OK, REDIRECT, LOGIN),
    ),
    "admin:password_change": Row(no_target, staff_only(E(OK)), staff_only(DONE)),
    "admin:password_change_done": Row(no_target, staff_only(E(OK)), staff_only(E(OK, METHOD))),
    "admin:autocomplete": Row(
        no_target,
        staff_only(E(FORBIDDEN, HIDDEN, INVALID)),
        staff_only(E(FORBIDDEN, HIDDEN, INVALID, METHOD)),
    ),
    "admin:jsi18n": Row(no_target, staff_only(E(OK)), staff_only(E(OK, METHOD))),
    "admin:app_list": Row(
        lambda w: [
            Target(label, {"app_label": label})
            for label in ("applications", "grants", "reviews", "workflows")
        ],
        staff_only(E(OK, HIDDEN, FORBIDDEN)),
        staff_only(E(OK, HIDDEN, FORBIDDEN, METHOD)),
    ),
    # Another person's password: the README does not speak of accounts; nobody but an
    # administrator may set it (reading it as the least a fund's staff must expect).
    "admin:auth_user_password_change": Row(
        lambda w: [Target("the manager's", {"id": w.users["manager"].pk})],
        admin_rule(
            lambda role, t, w: E(OK, FORBIDDEN) if role == "admin" else E(FORBIDDEN, HIDDEN)
        ),
        admin_rule(
            lambda role, t, w: (
                E(OK, INVALID, FORBIDDEN) if role == "admin" else E(FORBIDDEN, HIDDEN)
            )
        ),
    ),
    # "/admin/r/<content type>/<id>/ always 404" (the admin's "view on site"), even signed out.
    "admin/r/<int:content_type_id>/<path:object_id>/": Row(
        lambda w: [Target("A's application", extra="application")],
        lambda r, t, w: E(HIDDEN),
        lambda r, t, w: E(HIDDEN),
    ),
    "admin:view_on_site": Row(
        lambda w: [Target("A's application", extra="application")],
        lambda r, t, w: E(HIDDEN),
        lambda r, t, w: E(HIDDEN),
    ),
    # Anything else below /admin/: "not found" (after signing in).
    "admin/(?P<url>.*)$": Row(
        lambda w: [Target("-", extra="/admin/no/such/page/")],
        lambda r, t, w: E(HIDDEN, LOGIN),
        lambda r, t, w: E(HIDDEN, LOGIN),
    ),
}
for _name in RQ_NAMES:
    ADMIN[_name] = Row(
        lambda w: [Target("-", dict(RQ_ARGUMENTS))],
        admin_rule(rq_page),
        # Only the refusals are sent: see RQ_ARGUMENTS.
        admin_rule(
            lambda role, t, w: (
                E(FORBIDDEN) if role != "admin" else E(OK, HIDDEN, REDIRECT, UNAVAILABLE)
            )
        ),
    )


# --- the admin's models: who sees their rows (their pages follow: expect.admin_expectations) -----

ADMIN_MODELS: dict[str, AdminModel] = {
    "applications.application": AdminModel(
        of_a_and_b("a_reviewed", "b_reviewed", lambda w, k: w.apps[k]),
        lambda role, obj, world: spec.sees_application(role, obj, world),
        added_by=NOBODY,  # "applications start in the portal" (members submit them)
        deleted_by=NOBODY,  # every change of an application is an audited transition
    ),
    "organisations.organisation": AdminModel(
        of_a_and_b("A", "B", lambda w, k: w.organisations[k]),
        lambda role, obj, world: spec.sees_organisation(role, obj, world),
    ),
    "organisations.membership": AdminModel(
        of_a_and_b("A", "B", lambda w, k: w.organisations[k].memberships.first()),
        lambda role, obj, world: spec.sees_members(role, obj.organisation, world),
    ),
    "organisations.invitation": AdminModel(
        of_a_and_b("a", "b", lambda w, k: w.invitations[k][0]),
        lambda role, obj, world: spec.sees_members(role, obj.organisation, world),
        added_by=NOBODY,
    ),
    "applications.report": AdminModel(
        of_a_and_b("a", "b", lambda w, k: w.reports[k]),
        lambda role, obj, world: spec.sees_files(role, obj.grant.application, world),
        added_by=NOBODY,
    ),
    "applications.document": AdminModel(
        of_a_and_b("a", "b", lambda w, k: w.documents[k]),
        lambda role, obj, world: spec.sees_files(role, obj.application, world),
        added_by=NOBODY,
    ),
    "grants.grant": AdminModel(
        of_a_and_b("a_accepted", "b_accepted", lambda w, k: w.grant(k)),
        lambda role, obj, world: spec.sees_grant(role, obj, world),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "grants.payment": AdminModel(
        of_a_and_b("a_paid", "b_exported", lambda w, k: w.payments[k]),
        lambda role, obj, world: spec.sees_payment(role, obj, world),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "grants.repaymentclaim": AdminModel(
        one(lambda w: w.claims["a"]),
        lambda role, obj, world: spec.sees_payment(role, obj, world),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "grants.paymentbatch": AdminModel(
        one(lambda w: w.batches["exported"]),
        lambda role, obj, world: spec.sees_batch(role),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    # Requests for change: programme managers and administrators read those they see (never a
    # draft); written by the grantee, decided through the buttons, never added or deleted here.
    "amendments.amendment": AdminModel(
        of_a_and_b("a_submitted", "b_submitted", lambda w, k: w.amendments[k]),
        lambda role, obj, world: (
            role in ("manager", "admin") and spec.sees_amendment(role, obj, world)
        ),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    # Interim reports: the staff who read the final report read them once sent; written by the
    # grantee and checked in the review workspace, never added, changed or deleted here.
    "interim.interimreport": AdminModel(
        of_a_and_b("a_interim_sent", "b_interim_sent", lambda w, k: w.interim_reports[k]),
        lambda role, obj, world: (
            role in spec.STAFF_ROLES and spec.sees_interim_report(role, obj, world)
        ),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "grants.apitoken": AdminModel(
        one(first_of("grants.ApiToken")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=ADMINISTRATORS,  # "An administrator creates a token in the admin"
        deleted_by=NOBODY,  # "Tokens are revoked ... the last use is recorded"
    ),
    # Webhooks: administrators create subscriptions for funders and read every delivery log.
    "webhooks.subscription": AdminModel(
        one(first_of("webhooks.Subscription")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=ADMINISTRATORS,
        deleted_by=NOBODY,  # disabled, not deleted: their delivery log stays
    ),
    "webhooks.delivery": AdminModel(
        one(first_of("webhooks.Delivery")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "reviews.reviewtask": AdminModel(
        of_a_and_b("a_formal_check", "b_formal_check", lambda w, k: w.tasks[k]),
        lambda role, obj, world: spec.sees_task(role, obj, world),
        added_by=NOBODY,
    ),
    "reviews.review": AdminModel(
        of_a_and_b("a_reviewed", "b_reviewed", lambda w, k: w.reviews[k]),
        lambda role, obj, world: spec.sees_review(role, obj, world),
        added_by=NOBODY,
    ),
    "reviews.conflict": AdminModel(
        one(lambda w: w.conflicts["a_submitted"]),
        lambda role, obj, world: spec.sees_conflict(role, obj, world),
    ),
    "workflows.transitionlog": AdminModel(
        one(first_of("workflows.TransitionLog")),
        lambda role, obj, world: spec.sees_audit_log(role),
        added_by=NOBODY,  # append-only
        deleted_by=NOBODY,
    ),
    "workflows.outboxmessage": AdminModel(
        one(first_of("workflows.OutboxMessage")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
    ),
    "workflows.sideeffect": AdminModel(
        one(first_of("workflows.SideEffect")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
    ),
    "workflows.savedfilter": AdminModel(
        one(lambda w: w.saved_filter),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,  # saved on the lists by their owners
        deleted_by=ADMINISTRATORS,
    ),
    "workflows.idempotentrequest": AdminModel(
        one(first_of("workflows.IdempotentRequest")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
    ),
    "django_tasks_database.dbtaskresult": AdminModel(
        one(first_of("django_tasks_database.DBTaskResult")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
    ),
    "django_rq.dashboard": AdminModel(
        lambda w: [],
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
        list_only=True,
    ),
    # The README does not speak of these: policy, budgets, the ledger, reviewer profiles,
    # accounts, sign-in records. Only "no 500, staff only" is checked.
    # The partner exchange: moderated by administrators only (they alone read private messages).
    "partners.partnerpost": AdminModel(
        of_a_and_b("a_live", "b_live", lambda w, k: w.partner_posts[k]),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,  # posts are written by their organisations
        deleted_by=ADMINISTRATORS,
    ),
    "partners.partnermessage": AdminModel(
        one(lambda w: w.partner_messages["b_to_a"]),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
        deleted_by=ADMINISTRATORS,
    ),
    "partners.abusereport": AdminModel(
        one(first_of("partners.AbuseReport")),
        lambda role, obj, world: spec.administrators_only(role),
        added_by=NOBODY,
        deleted_by=ADMINISTRATORS,
    ),
    "grants.fund": AdminModel(one(first_of("grants.Fund")), None),
    "public.page": AdminModel(one(first_of("public.Page")), None),
    # The showcase's moderation: programme managers and administrators; rows come from the
    # grantee's consent and uploads, and are never deleted in the admin.
    "public.projectshowcase": AdminModel(
        one(lambda w: w.showcases["published"]),
        lambda role, obj, world: role in ("manager", "admin"),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "public.showcasephoto": AdminModel(
        one(lambda w: w.photos["approved"]),
        lambda role, obj, world: role in ("manager", "admin"),
        added_by=NOBODY,
        deleted_by=NOBODY,
    ),
    "public.showcasepolicy": AdminModel(one(first_of("public.ShowcasePolicy")), None),
    "grants.programme": AdminModel(one(first_of("grants.Programme")), None),
    "grants.call": AdminModel(one(first_of("grants.Call")), None),
    "grants.budgetallocation": AdminModel(one(first_of("grants.BudgetAllocation")), None),
    "grants.funder": AdminModel(one(first_of("grants.Funder")), None),
    "grants.ledgerentry": AdminModel(one(first_of("grants.LedgerEntry")), None),
    "grants.referencecounter": AdminModel(one(first_of("grants.ReferenceCounter")), None),
    "reviews.reviewerprofile": AdminModel(one(first_of("reviews.ReviewerProfile")), None),
    "auth.user": AdminModel(one(first_of("auth.User")), None),
    "auth.group": AdminModel(one(first_of("auth.Group")), None),
    "axes.accessattempt": AdminModel(lambda w: [], None),
    "axes.accesslog": AdminModel(lambda w: [], None),
    "axes.accessfailurelog": AdminModel(lambda w: [], None),
}

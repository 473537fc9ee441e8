"""The admin for every role: each registered model's changelist (row by row), add page, change
pages of an object of A and of B, history, delete, the transition pages (GET; their POSTs are
walked in test_transitions) and the admin's own pages, against `table.ADMIN` and
`table.ADMIN_MODELS`, written from the README."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.security import spec
from tests.security.expect import (
    B_ROLES,
    RQ_NAMES,
    AdminModel,
    Target,
    admin_expectations,
    admin_rule,
)
from tests.security.patterns import arguments_of
from tests.security.probe import FORBIDDEN, HIDDEN, OK, REFUSED, Answer, report
from tests.security.table import ADMIN, ADMIN_MODELS
from tests.security.walk import Walker, url_of
from tests.security.world import PAGE_ROLES, World

# Models the README is silent about are only opened by these roles (no 500, staff only).
SILENT_ROLES = ("anonymous", "reviewer", "manager", "admin")
# Records of an organisation or an application: every role, since conflicts, programmes and
# membership decide. The others (money in bulk, the audit log, the infrastructure) are the
# same for every reviewer: one of them, and the roles that differ, try them.
OF_AN_ORGANISATION = (
    "applications.application",
    "organisations.organisation",
    "organisations.membership",
    "organisations.invitation",
    "applications.report",
    "applications.document",
    "grants.grant",
    "grants.payment",
    "grants.repaymentclaim",
    "reviews.reviewtask",
    "reviews.review",
    "reviews.conflict",
)
WHOLE_FUND_ROLES = ("anonymous", "applicant_a", "reviewer", "manager", "finance", "admin")
# Who tries to add and delete (everybody else is refused before the admin looks at the row).
WRITERS = ("reviewer_declared", "manager", "finance", "admin")
# Rows the README names: whoever sees the record must find it in the list, too.
COMPLETE_LISTS = (
    "applications.application",
    "grants.grant",
    "reviews.review",
    "reviews.reviewtask",
    "grants.payment",
)


def admin_url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def rows_agree(label: str, entry: AdminModel, role: str, world: World, answer: Answer) -> list[str]:
    """Every row of the changelist is one the role sees (the README's record table); for the
    main records, every such row of the world is there."""
    context = getattr(answer.response, "context", None)
    changelist = context.get("cl") if context is not None else None
    if changelist is None or entry.sees is None:
        return []
    shown = list(changelist.result_list)
    problems = [
        f"{label} changelist shows {obj.pk} ({obj}), which the role may not see"
        for obj in shown
        if not entry.sees(role, obj, world)
    ]
    if label in COMPLETE_LISTS and changelist.result_count == len(shown):
        model = changelist.model
        missing = [
            obj.pk
            for obj in model._default_manager.all()
            if entry.sees(role, _as_built(obj, world), world)
            and obj.pk not in {o.pk for o in shown}
        ]
        problems += [f"{label} changelist lacks {pk}, which the role sees" for pk in missing]
    return problems


def _as_built(obj: Any, world: World) -> Any:
    from applications.models import Application

    return world.fresh(obj) if isinstance(obj, Application) else obj


def walk_model(walker: Walker, label: str, model: Any, entry: AdminModel, world: World) -> None:
    """The model's pages. Visitors without staff status only try the list and a change page
    (the admin sends them to its sign-in page whatever they ask for); the pages of models the
    README does not speak of are opened by fewer roles (no 500, staff only)."""
    if entry.sees is None:
        roles: tuple[str, ...] = SILENT_ROLES
    elif label in OF_AN_ORGANISATION:
        roles = PAGE_ROLES
    else:
        roles = WHOLE_FUND_ROLES
    staff = [role for role in roles if role in spec.STAFF_ROLES]
    targets = entry.objects(world)

    def expect(view: str, method: str, role: str, target: Target) -> frozenset[str]:
        return admin_expectations(entry, view, method)(role, target, world)

    def get(role: str, url: str, view: str, target: Target, **options: Any) -> None:
        quiet = _own_conflicts(label, role)
        walker.request(
            role,
            "GET",
            url,
            expect(view, "GET", role, target),
            skip_secrets=quiet,
            **options,
        )

    def post(role: str, url: str, view: str, target: Target, data: dict[str, Any]) -> None:
        walker.request(role, "POST", url, expect(view, "POST", role, target), data=data)

    nothing = Target("-")
    changelist = admin_url(model, "changelist")
    for role in roles:
        check = lambda answer, r=role: rows_agree(label, entry, r, world, answer)  # noqa: E731
        get(role, changelist, "changelist", nothing, check=check)
    for role in staff if not entry.list_only else ():
        get(role, admin_url(model, "add"), "add", nothing)
        if entry.sees is not None and role in WRITERS:
            post(role, admin_url(model, "add"), "add", nothing, {})
    for index, target in enumerate(targets):
        pk = target.kwargs["object_id"]
        is_b = index > 0
        change = admin_url(model, "change", pk)
        for role in roles:
            if is_b and role not in B_ROLES:
                continue
            get(role, change, "change", target)
            if entry.sees is None or is_b or role not in staff:
                continue
            post(role, change, "change", target, {})
            get(role, admin_url(model, "history", pk), "history", target)
            if role in WRITERS:
                delete = admin_url(model, "delete", pk)
                get(role, delete, "delete", target)
                post(role, delete, "delete", target, {"post": "yes"})
        if not is_b:
            redirect = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk}/"
            for role in ("anonymous", "admin"):
                get(role, redirect, "redirect", target)


def _own_conflicts(label: str, role: str) -> bool:
    """ "conflict: ... a reviewer their own": the row names the application it is about, which
    the declaring reviewer otherwise may not see; its pages are not searched for that title."""
    return label == "reviews.conflict" and role == "reviewer_declared"


def walk_transition_pages(walker: Walker, world: World) -> None:
    """GET of a transition's page: the form for whoever may run it now, a refusal (a message,
    or 403) for whoever sees the record but may not, "does not exist" for the others."""
    from applications.models import Application

    pages = [
        (world.apps["a_reviewed"], "approve"),
        (world.apps["a_submitted"], "pass_formal_check"),
        (world.apps["b_submitted"], "pass_formal_check"),
        (world.grant("a_report_submitted"), "accept_report"),
        (world.grant("a_accepted"), "cancel"),
    ]
    for record, name in pages:
        url = admin_url(type(record), "transition", record.pk, name)
        sees = spec.sees_application if isinstance(record, Application) else spec.sees_grant
        for role in PAGE_ROLES:
            if world.org_of(_application_of(record)) == "B" and role not in B_ROLES:
                continue
            expected = admin_rule(transition_page(record, name, sees))(role, Target(name), world)
            walker.request(role, "GET", url, expected)


def transition_page(record: Any, name: str, sees: Any) -> Any:
    def staff(role: str, target: Target, world: World) -> frozenset[str]:
        if spec.may_transition(role, record, name, world):
            return frozenset({OK})
        if sees(role, record, world):
            return frozenset({REFUSED, FORBIDDEN})
        return frozenset({HIDDEN, FORBIDDEN})

    return staff


def _application_of(record: Any) -> Any:
    return getattr(record, "application", record)


def test_the_admin_answers_every_role_as_the_readme_says(world: World) -> None:
    started = time.perf_counter()
    walker = Walker(world, world.page_client, admin=True)
    for model, _model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        entry = ADMIN_MODELS.get(label)
        if entry is None:
            continue  # test_table fails for it: the table has no entry
        began = time.perf_counter()
        walk_model(walker, label, model, entry, world)
        walker.seconds[label] = time.perf_counter() - began
    walk_transition_pages(walker, world)
    application_type = ContentType.objects.get_for_model(type(world.apps["a_submitted"]))
    for key, row in ADMIN.items():
        roles = (
            PAGE_ROLES
            if key not in RQ_NAMES
            else ("anonymous", "applicant_a", "reviewer", "manager", "finance", "admin")
        )

        def url(key: str, target: Target) -> str:
            if target.extra == "application":
                return f"/admin/r/{application_type.pk}/{world.apps['a_submitted'].pk}/"
            return url_of(key, target)

        if key in RQ_NAMES:
            _walk_rq(walker, key, row, roles, url)
        else:
            walker.walk_row(key, row, roles, url)
    print(walker.summary(started))
    assert not walker.mismatches, report(walker.mismatches)


def _walk_rq(walker: Walker, key: str, row: Any, roles: tuple[str, ...], url: Any) -> None:
    """The job queue's pages: every role GETs them; the POSTs are sent only by those who must
    be refused (an administrator's would reach the real Redis, outside the transaction)."""
    for target in row.targets(walker.world):
        arguments = arguments_of(key)
        address = reverse(key, kwargs={k: v for k, v in target.kwargs.items() if k in arguments})
        for role in roles:
            walker.request(role, "GET", address, row.get(role, target, walker.world))
            if role != "admin":
                walker.request(role, "POST", address, row.post(role, target, walker.world), data={})

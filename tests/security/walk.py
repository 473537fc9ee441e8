"""Walking rows of the table: every target, every role, GET and POST; each answer judged against
the row's expectation, searched for what the role must not read, and (for a POST) the audit rows
and review claims it wrote held against the README's action table before the rollback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from django.urls import reverse
from django.utils.http import urlencode

from tests.security import spec
from tests.security.expect import Row, Target
from tests.security.leaks import Secret, leaks_in, secrets_for
from tests.security.probe import (
    DONE,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    READ,
    REFUSED,
    UNAUTHORIZED,
    Answer,
    Mismatch,
    describe,
    judge,
    send,
)
from tests.security.world import World


@dataclass
class Walker:
    world: World
    client_for: Callable[[str], Any]
    admin: bool = False
    mismatches: list[Mismatch] = field(default_factory=list)
    requests: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    _clients: dict[str, Any] = field(default_factory=dict)
    _secrets: dict[str, list[Secret]] = field(default_factory=dict)

    def client(self, role: str) -> Any:
        if role not in self._clients:
            self._clients[role] = self.client_for(role)
        return self._clients[role]

    def secrets(self, role: str) -> list[Secret]:
        if role not in self._secrets:
            self._secrets[role] = secrets_for(role, self.world)
        return self._secrets[role]

    # --- one request ---

    def request(
        self,
        role: str,
        method: str,
        url: str,
        expected: frozenset[str],
        *,
        data: Any = None,
        must_write: bool = False,
        check: Callable[[Answer], list[str]] | None = None,
        skip_secrets: bool = False,
        ignore: tuple[str, ...] = (),
        inside_check: Callable[[Answer], list[str]] | None = None,
        **extra: Any,
    ) -> Answer:
        client = self.client(role)
        saved = SimpleCookie()
        for name, morsel in client.cookies.items():
            saved[name] = morsel.value

        def inside(answer: Answer) -> list[str]:
            if inside_check is not None and answer.status in (200, 302):
                answer.denials = inside_check(answer)
            return list(self.inside(role, answer))

        try:
            answer = send(
                client, method, url, data, inside=inside if method == "POST" else None, **extra
            )
        finally:
            # Whatever the request did to the client's cookies (messages, a sign-out, the
            # language) does not follow it into the next one.
            client.cookies = saved
        self.requests += 1
        self.judge(role, method, url, expected, answer)
        if answer.status == 200 and not skip_secrets:
            for what in leaks_in(answer.body, self.secrets(role), ignore):
                self.add("CONTENT", role, method, url, "nothing of what the role may not see", what)
        for problem in answer.checks:
            self.add("WRITE", role, method, url, "only what the README allows", problem)
        for problem in answer.denials:
            self.add("DENIED", role, method, url, "the step done", problem)
        may_act = expected & DONE and not expected & {
            FORBIDDEN,
            HIDDEN,
            REFUSED,
            LOGIN,
            UNAUTHORIZED,
        }
        if not expected & (DONE | {READ}) and answer.writes and judge(expected, answer) is None:
            self.add("WRITE", role, method, url, "a refusal that changes nothing", describe(answer))
        if must_write and may_act and answer.status in (200, 302) and not answer.writes:
            self.add(
                "DENIED", role, method, url, "the action done", describe(answer, admin=self.admin)
            )
        if check is not None and answer.status == 200:
            for problem in check(answer):
                self.add("CONTENT", role, method, url, "the README's rows", problem)
        return answer

    def judge(
        self, role: str, method: str, url: str, expected: frozenset[str], answer: Answer
    ) -> None:
        kind = judge(expected, answer, admin=self.admin)
        if kind is not None:
            self.add(
                kind,
                role,
                method,
                url,
                "/".join(sorted(expected)),
                describe(answer, admin=self.admin),
            )

    def add(self, kind: str, role: str, method: str, url: str, expected: str, got: str) -> None:
        self.mismatches.append(Mismatch(kind, role, method, url, expected, got))

    # --- checks inside the request's transaction ---

    def inside(self, role: str, answer: Answer) -> Iterable[str]:
        problems: list[str] = []
        if "workflows_transitionlog" in answer.writes:
            problems += audit_rows_allowed(role, self.world)
        if "reviews_reviewtask" in answer.writes:
            problems += claims_allowed(self.world)
        return problems

    # --- a row of the table ---

    def walk_row(
        self, key: str, row: Row, roles: Iterable[str], url_of: Callable[[str, Target], str]
    ) -> None:
        started = time.perf_counter()
        self._walk_row(key, row, roles, url_of)
        self.seconds[key] = time.perf_counter() - started

    def summary(self, started: float) -> str:
        seconds = time.perf_counter() - started
        return f"{self.requests} requests in {seconds:.1f} s; slowest: {self.slowest()}"

    def slowest(self, count: int = 8) -> str:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:count]
        return ", ".join(f"{key} {seconds:.1f} s" for key, seconds in ranked)

    def row_check(
        self, row: Row, role: str, target: Target
    ) -> Callable[[Answer], list[str]] | None:
        found = row.check
        if found is None:
            return None
        return lambda answer: found(role, target, self.world, answer)

    def _walk_row(
        self, key: str, row: Row, roles: Iterable[str], url_of: Callable[[str, Target], str]
    ) -> None:
        for target in row.targets(self.world):
            url = url_of(key, target)
            if target.query:
                url = f"{url}?{urlencode(target.query, doseq=True)}"
            for role in target.roles or roles:
                if role not in roles:
                    continue
                check = self.row_check(row, role, target)
                self.request(
                    role,
                    "GET",
                    url,
                    row.get(role, target, self.world),
                    check=check,
                    ignore=row.shows,
                )
                if row.walked_elsewhere:
                    continue
                self.request(
                    role,
                    "POST",
                    url,
                    row.post(role, target, self.world),
                    data=_fresh(target.data),
                    must_write=row.post_writes,
                    ignore=row.shows,
                )


def _fresh(data: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of the body with uploaded files rewound (one upload object serves every role)."""
    body = dict(data or {})
    for value in body.values():
        if hasattr(value, "seek"):
            value.seek(0)
    return body


def url_of(key: str, target: Target) -> str:
    if target.extra and str(target.extra).startswith("/"):
        return str(target.extra)
    return reverse(key, kwargs=target.kwargs)


# --- what an accepted request may have written ---------------------------------------------------


def audit_rows_allowed(role: str, world: World, *, after: int | None = None) -> list[str]:
    """Every audit row written by the request: by the role's user, and allowed to that role on
    that record in that status by the README's action table (the system's own rows, which
    follow an allowed step, excepted)."""
    from applications.models import Application
    from grants.models import Grant
    from reviews.models import ReviewTask
    from workflows.models import TransitionLog

    user = world.users.get(role)
    newest = after if after is not None else world.last_log_pk
    problems = []
    holders: dict[str, int | None] = {}  # a task's holder as the request's earlier rows left it
    rows = TransitionLog.objects.filter(pk__gt=newest).select_related("content_type")
    for row in rows.order_by("pk"):
        if row.content_type.model_class() is ReviewTask:
            problem = task_step_problem(role, row, world, holders)
            if problem:
                problems.append(problem)
            continue
        if row.actor_id is None:
            continue
        if user is None or row.actor_id != user.pk:
            problems.append(f"audit row {row.transition} by user {row.actor_id}, not {role}")
            continue
        model = row.content_type.model_class()
        if model is None:
            continue
        record: Any
        if model is Application:
            record = next((a for a in world.apps.values() if str(a.pk) == row.object_id), None)
        elif model is Grant:
            record = Grant._default_manager.select_related("application").get(pk=int(row.object_id))
            record.__dict__["status"] = row.source  # the status the step started from
        elif model._meta.app_label == "partners":
            # The partner exchange: posters close their posts; administrators moderate.
            if not spec.may_step_partner(role, model, int(row.object_id), row.transition, world):
                problems.append(f"{role} did {row.transition} on {model.__name__} {row.object_id}")  # fmt: skip
            continue
        elif model._meta.app_label == "interim":
            # Interim reports: the grantee's members send; reviewers check.
            if not spec.may_step_interim(role, model, int(row.object_id), row.transition, world):
                problems.append(f"{role} did {row.transition} on {model.__name__} {row.object_id}")  # fmt: skip
            continue
        elif model._meta.app_label == "amendments":
            # Requests for change: the grantee's members send and withdraw; managers decide.
            if not spec.may_step_amendment(role, model, int(row.object_id), row.transition, world):
                problems.append(f"{role} did {row.transition} on {model.__name__} {row.object_id}")  # fmt: skip
            continue
        elif row.transition == "supersede":
            # An approved change replaces the grant's unsent payments (by whoever decided it).
            payment = model._default_manager.select_related("grant__application").get(pk=int(row.object_id))  # fmt: skip
            if not spec.may_decide(role, payment.grant.application, world):
                problems.append(f"{role} superseded payment {row.object_id}")
            continue
        elif model._meta.app_label == "public":
            # The showcase: the grantee's members consent, write, submit and withdraw; the
            # moderators publish, ask for changes and hide.
            if not spec.may_step_showcase(role, model, int(row.object_id), row.transition, world):
                problems.append(f"{role} did {row.transition} on {model.__name__} {row.object_id}")  # fmt: skip
            continue
        else:
            # Payments, batches, repayment claims: "finance officers (administrators too)".
            if not spec.handles_money(role):
                problems.append(f"{role} wrote {model.__name__} {row.object_id}: {row.transition}")
            continue
        if record is None:
            continue  # an application made by this very request (a member's new draft)
        if not spec.may_transition(role, record, row.transition, world):
            problems.append(
                f"{role} did {row.transition} on {model.__name__} {row.object_id} ({row.source})"
            )
    return problems


def task_step_problem(role: str, row: Any, world: World, holders: dict[str, int | None]) -> str:
    """A step of a review task, held against the README's action table: claim, release,
    reassign; completing is its holder's (after the work the application's row records). The
    system's own rows (assignments, expiries, closings) follow allowed steps."""
    from types import SimpleNamespace

    task = next((t for t in world.tasks.values() if str(t.pk) == row.object_id), None)
    holder = holders.get(row.object_id, task.assignee_id if task is not None else None)
    holders[row.object_id] = {
        "claim": row.actor_id,
        "assign": row.payload.get("to"),
        "reassign": row.payload.get("to"),
        "release": None,
        "expire": None,
    }.get(row.transition, holder)
    if row.actor_id is None or task is None:
        return ""  # the system's step, or a task opened by this very request
    user = world.users.get(role)
    if user is None or row.actor_id != user.pk:
        return f"audit row {row.transition} by user {row.actor_id}, not {role}"
    before = SimpleNamespace(status=row.source, assignee_id=holder, application=task.application)
    to_role = next((r for r, u in world.users.items() if u.pk == row.payload.get("to")), "")
    allowed = {
        "claim": lambda: spec.may_claim(role, before, world),
        "release": lambda: spec.may_release(role, before, world),
        "reassign": lambda: spec.may_reassign(role, before, to_role, world),
        "complete": lambda: spec.holds(role, before, world),
    }.get(row.transition, lambda: False)
    return "" if allowed() else f"{role} did {row.transition} on ReviewTask {row.object_id} ({row.source})"  # fmt: skip


def claims_allowed(world: World) -> list[str]:
    """No review task is held by a reviewer who may not review its application."""
    from reviews.models import ReviewTask

    problems = []
    by_user = {user.pk: role for role, user in world.users.items()}
    for task in ReviewTask.objects.filter(status__in=("claimed", "done")).exclude(assignee=None):
        role = by_user.get(task.assignee_id)
        if role is None or role not in spec.REVIEWER_ROLES:
            continue
        application = next((a for a in world.apps.values() if a.pk == task.application_id), None)
        if application is not None and not spec.may_review(role, application, world):
            problems.append(f"task {task.pk} ({task.kind}) held by {role}, who may not review it")
    return problems

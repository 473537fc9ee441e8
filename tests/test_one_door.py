"""Nothing sets a state machine's status by hand: outside the transition methods (which
`perform()` calls) and the migrations, no code assigns `.status` or writes `status=` in an
update, create or bulk update. django-fsm's `protected=True` refuses the assignment at run time;
this reads the source for the writes it cannot see (queryset updates)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

APPS = (
    "accounts",
    "organisations",
    "applications",
    "conversations",
    "amendments",
    "interim",
    "grants",
    "reviews",
    "dashboards",
    "partners",
    "public",
    "webhooks",
    "workflows",
    "demo",
    "config",
)
WRITING_CALLS = {"update", "bulk_update", "create", "get_or_create", "update_or_create"}
# Files that write the status of models that are not (yet) state machines, and why.
NOT_MACHINES = {
    "workflows/outbox.py": "OutboxMessage: the delivery state of an e-mail",
    "workflows/effects.py": "SideEffect: the runner's bookkeeping of a side effect",
    "webhooks/services.py": "Delivery: the sender's bookkeeping of a webhook",
}


def status_writes(tree: ast.AST) -> Iterator[int]:
    """Line numbers of assignments to `.status` and of writing calls with a `status` value."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(item, ast.Attribute) and item.attr == "status":
                        yield node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr not in WRITING_CALLS:
                continue
            if any(keyword.arg == "status" for keyword in node.keywords):
                yield node.lineno
            fields = [n.value for n in ast.walk(node) if isinstance(n, ast.Constant)]
            if node.func.attr == "bulk_update" and "status" in fields:
                yield node.lineno
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            names = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
            if node.func.id == "setattr" and names == ["status"]:
                yield node.lineno


def test_no_code_sets_a_status_outside_the_transition_methods() -> None:
    root = Path(settings.BASE_DIR)
    found = []
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if "migrations" in path.parts or name in NOT_MACHINES:
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            for line in status_writes(ast.parse("\n".join(lines))):
                found.append(f"{name}:{line}: {lines[line - 1].strip()}")
    assert found == [], "status set by hand (use a transition through perform()):\n" + "\n".join(found)  # fmt: skip


def test_the_check_sees_the_writes_the_review_tasks_had() -> None:
    """The forms review tasks' statuses were written in before they became a machine."""
    before = """
stale.update(status="cancelled")
tasks.filter(assignee=done_by).update(status=TaskStatus.DONE, done_at=now)
locked.status = TaskStatus.DONE
task.status, task.assignee = TaskStatus.OPEN, None
ReviewTask.objects.bulk_update(tasks, ["status", "assignee"])
setattr(task, "status", "open")
"""
    assert sorted(status_writes(ast.parse(before))) == [2, 3, 4, 5, 6, 7]

"""The shape of the code, read from the source (nothing is imported):

- imports flow one way, `demo -> public -> partners -> dashboards -> reviews -> conversations -> interim -> amendments -> applications -> grants ->
  organisations -> accounts -> workflows`: an app imports its own modules and those of the apps below it, never
  one above (`workflows` no domain app, `accounts` only `workflows`);
- no app imports itself in a circle, counting the imports inside functions (a lazy import hides
  a cycle, it does not remove it);
- a rule module imports no model of its own app (the models import the rules) and looks no model
  up by name (`apps.get_model`, importlib): it reaches other models through the relations of the
  objects and querysets it is given.

Imports under `if TYPE_CHECKING:` are only read by the type checker: they count for the flow
between apps, not for the cycles.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the top to the bottom: each app may import the ones after it.
LAYERS = (
    "demo",
    "webhooks",
    "calendars",
    "public",
    "partners",
    "dashboards",
    "reviews",
    "conversations",
    "interim",
    "amendments",
    "applications",
    "grants",
    "organisations",
    "accounts",
    "workflows",
)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. "grants.rules"
    target: str  # the project module it reaches, e.g. "organisations.models"
    line: int
    for_typing: bool  # inside `if TYPE_CHECKING:`

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line} -> {self.target}"


def app_of(module: str) -> str:
    return module.partition(".")[0]


@cache
def project_modules() -> dict[str, Path]:
    """Every module of the layered apps (migrations aside) by its dotted name."""
    modules = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _project_module(name: str) -> str | None:
    """The project module a dotted name lands in (a name imported from a module: the module)."""
    modules = project_modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _typing_only_nodes(tree: ast.Module) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.body:
                found.update(id(inner) for inner in ast.walk(statement))
    return found


def _imported_names(node: ast.Import | ast.ImportFrom, module: str, path: Path) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:  # relative: from the package the module is in
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        parts = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*parts, base] if base else parts)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        # `from workflows import clock` reaches workflows.clock; `from workflows import perform`
        # the package itself.
        yield submodule if submodule in project_modules() else base


@cache
def project_imports() -> tuple[Import, ...]:
    found = []
    for module, path in project_modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        typing_only = _typing_only_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for name in _imported_names(node, module, path):
                target = _project_module(name)
                if target is not None and target != module:
                    found.append(Import(module, target, node.lineno, id(node) in typing_only))
    return tuple(found)


def runtime_graph() -> dict[str, set[str]]:
    """Module -> the modules of its own app it imports when it runs (at the top or in a function)."""
    graph: dict[str, set[str]] = {module: set() for module in project_modules()}
    for found in project_imports():
        if not found.for_typing and app_of(found.source) == app_of(found.target):
            graph[found.source].add(found.target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def rule_modules() -> list[str]:
    return [f"{app}.rules" for app in LAYERS if f"{app}.rules" in project_modules()]


# --- the checker reads what it should -------------------------------------------------------------


def test_the_checker_sees_imports_at_the_top_in_functions_and_for_typing() -> None:
    edges = {(found.source, found.target, found.for_typing) for found in project_imports()}
    assert ("applications.models", "organisations.models", False) in edges
    assert ("applications.models", "applications.rules", False) in edges
    assert ("workflows", "workflows.engine", False) in edges  # inside a function
    assert ("grants.rules", "grants.models", True) in edges
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# --- the rules --------------------------------------------------------------------------------------


def test_imports_flow_one_way_between_the_apps() -> None:
    rank = {app: position for position, app in enumerate(LAYERS)}
    upward = [
        found.where
        for found in project_imports()
        if rank[app_of(found.target)] < rank[app_of(found.source)]
    ]
    assert upward == [], f"imports of a higher app (the flow is {' -> '.join(LAYERS)})"


def test_no_app_imports_itself_in_a_circle() -> None:
    assert cycles(runtime_graph()) == []


def test_rule_modules_import_no_model_of_their_own_app() -> None:
    own_models = [
        found.where
        for found in project_imports()
        if found.source in rule_modules()
        and not found.for_typing
        and found.target == f"{app_of(found.source)}.models"
    ]
    assert own_models == []


def test_rule_modules_look_no_model_up_by_name() -> None:
    by_name = []
    for module in rule_modules():
        path = project_modules()[module]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"get_model", "import_module"}:
                by_name.append(f"{module}:{node.lineno} {node.attr}")
            elif isinstance(node, ast.Name) and node.id in {"__import__", "import_module"}:
                by_name.append(f"{module}:{node.lineno} {node.id}")
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                names += [alias.name for alias in node.names]
                if any(name.split(".")[0] == "importlib" for name in names):
                    by_name.append(f"{module}:{node.lineno} importlib")
    assert by_name == []

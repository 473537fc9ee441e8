"""The generated diagrams cover both machines and the committed docs file matches the models."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from workflows.engine import transition_table
from workflows.management.commands.graph_transitions import DEFAULT_MODELS

MACHINES = DEFAULT_MODELS


def generate(*args: str) -> str:
    out = StringIO()
    call_command("graph_transitions", *args, "--output", "-", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("label", MACHINES)
def test_generated_text_names_every_transition_of_every_machine(label: str) -> None:
    text = generate()
    model = apps.get_model(label)
    rows = transition_table(model)
    assert rows, f"{label} has no transitions"
    assert f"## {model.__name__} (`{label}.status`)" in text
    for source, name, target in rows:
        assert f"    {source} --> {target} : {name}" in text
        assert f"| `{source}` | `{name}` | `{target}` |" in text


def test_diagrams_are_mermaid_state_diagrams_with_initial_and_final_states() -> None:
    text = generate()
    assert text.count("```mermaid\nstateDiagram-v2\n") == len(DEFAULT_MODELS)
    assert "    [*] --> draft\n" in text
    assert "    open --> received : receive\n" in text
    assert "    draft --> exported : export\n" in text
    assert "    open --> claimed : claim\n    open --> claimed : reassign\n" in text
    assert "    [*] --> offered\n" in text
    assert "    approved --> [*]\n" in text
    assert "    closed --> [*]\n" in text


def test_table_names_permission_predicates_and_guard_codes() -> None:
    text = generate()
    assert "| `reviewed` | `approve` | `approved` | `can_decide` |" in text
    assert "| `offered` | `accept` | `accepted` | `can_act_for_grantee` |" in text
    assert "(`no_valid_iban`)" in text
    assert (
        "| `claimed` | `expire` | `open` | `is_system` | `_claim_expired` (`claim_not_expired`) |"
        in text
    )


def test_one_model_can_be_graphed_alone() -> None:
    text = generate("grants.Grant")
    assert "## Grant" in text
    assert "## Application" not in text


def test_model_without_state_machine_is_refused() -> None:
    with pytest.raises(CommandError, match="no state machine"):
        generate("grants.Fund")


def test_output_is_the_same_on_every_run() -> None:
    assert generate() == generate()


def test_check_passes_against_the_committed_docs_file() -> None:
    out = StringIO()
    call_command("graph_transitions", "--check", stdout=out)
    assert "up to date" in out.getvalue()
    committed = Path(settings.BASE_DIR) / "docs" / "state-machines.md"
    assert committed.read_text(encoding="utf-8") == generate()


def test_check_fails_when_the_file_differs(tmp_path: Path) -> None:
    stale = tmp_path / "state-machines.md"
    stale.write_text(generate().replace(" : approve", " : approve_everything"), encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("graph_transitions", "--check", "--output", str(stale), stderr=StringIO())


def test_check_fails_when_the_file_is_missing(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("graph_transitions", "--check", "--output", str(tmp_path / "missing.md"))


def test_writing_creates_the_file(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "machines.md"
    call_command("graph_transitions", "--output", str(target), stdout=StringIO())
    assert target.read_text(encoding="utf-8") == generate()


def test_readme_embeds_the_generated_diagrams() -> None:
    pattern = re.compile(r"```mermaid\n.*?```", re.S)
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert pattern.findall(readme) == pattern.findall(generate()), (
        "README.md must show the diagrams of docs/state-machines.md: copy its mermaid blocks over"
    )

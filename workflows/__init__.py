"""The generic workflow engine: perform(), the audit log, side effects, roles."""

from typing import Any


def perform(obj: Any, transition: str, *, by: Any, note: str = "", **data: Any) -> Any:
    """The single door for state changes; see workflows.engine.perform."""
    from workflows.engine import perform as _perform

    return _perform(obj, transition, by=by, note=note, **data)

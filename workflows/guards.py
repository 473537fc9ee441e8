"""Named guards: django-fsm conditions that carry a stable code and a readable message."""

from collections.abc import Callable
from typing import Any

from workflows.text import clean_text

Condition = Callable[[Any], bool]


def guard(code: str, message: object) -> Callable[[Condition], Condition]:
    """Mark a condition so that perform() can say why a transition was refused."""

    def decorator(condition: Condition) -> Condition:
        condition.code = code  # type: ignore[attr-defined]
        condition.message = message  # type: ignore[attr-defined]
        return condition

    return decorator


def text_value(value: Any, *, required: object = None, code: str = "text_missing") -> str:
    """Free text without a length limit. Superseded by `workflows.text.clean_text`, which this
    calls; kept for `grants.finance.services` until it calls that itself."""
    return clean_text(value, max_length=None, required=required, code=code)

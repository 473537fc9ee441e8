"""Named guards: django-fsm conditions that carry a stable code and a readable message."""

from collections.abc import Callable
from typing import Any

Condition = Callable[[Any], bool]


def guard(code: str, message: object) -> Callable[[Condition], Condition]:
    """Mark a condition so that perform() can say why a transition was refused."""

    def decorator(condition: Condition) -> Condition:
        condition.code = code  # type: ignore[attr-defined]
        condition.message = message  # type: ignore[attr-defined]
        return condition

    return decorator

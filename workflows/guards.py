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


def text_value(value: Any, *, required: object = None, code: str = "text_missing") -> str:
    """Free text sent with a transition, stripped; refused unless it is a string.

    `required` is the message for an empty value; without it, empty text is allowed.
    """
    from django.utils.translation import gettext_lazy as _

    from workflows.errors import WorkflowError

    if value is None:
        value = ""
    if not isinstance(value, str):
        raise WorkflowError(_("Please enter this as text."), code="invalid_text")
    value = value.strip()
    if required is not None and not value:
        raise WorkflowError(required, code=code)
    return value

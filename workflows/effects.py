"""Side effects of transitions (e-mails, documents, webhooks), run by a task after commit.

Apps register a handler for (model, transition); `perform()` enqueues one task per log row that
has handlers. Handlers take the log row, must be idempotent and must never change state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db import models

Handler = Callable[[Any], None]
_HANDLERS: dict[tuple[str, str], list[Handler]] = defaultdict(list)


def _key(model: type[models.Model] | str, transition: str) -> tuple[str, str]:
    label = model if isinstance(model, str) else model._meta.label_lower
    return (label.lower(), transition)


def register(model: type[models.Model] | str, transition: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        if handler not in _HANDLERS[_key(model, transition)]:
            _HANDLERS[_key(model, transition)].append(handler)
        return handler

    return decorator


def unregister(model: type[models.Model] | str, transition: str, handler: Handler) -> None:
    handlers = _HANDLERS.get(_key(model, transition), [])
    if handler in handlers:
        handlers.remove(handler)


def has_effects(model: type[models.Model], transition: str) -> bool:
    return bool(_HANDLERS.get(_key(model, transition)))


def handlers_for(label: str, transition: str) -> list[Handler]:
    return list(_HANDLERS.get(_key(label, transition), []))


def enqueue(log_id: int) -> None:
    from workflows.tasks import run_transition_effects

    run_transition_effects.enqueue(log_id)

"""Side effects of transitions (e-mails, documents, webhooks), run by a task after commit.

Apps register a handler for (model, transition); `perform()` enqueues one task per log row that
has handlers. Handlers take the log row, must be idempotent and must never change state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models
from django_tasks import task

Handler = Callable[[Any], None]
_suspended: ContextVar[bool] = ContextVar("microgrants_effects_suspended", default=False)
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


def schedule(log_id: int) -> None:
    """Enqueue the side effects of a logged transition, at the right moment for the backend."""
    from workflows.tasks import enqueue_with_change, run_transition_effects

    if _suspended.get():
        return
    enqueue_with_change(run_transition_effects, log_id)


@contextmanager
def suspended() -> Iterator[None]:
    """Record transitions without side effects (no e-mails, no documents), e.g. while demo
    histories are replayed; whoever suspends them does what is needed (see reviews.demo)."""
    token = _suspended.set(True)
    try:
        yield
    finally:
        _suspended.reset(token)


# --- events that are not transitions (a payment recorded as paid) ------------------------------

EventHandler = Callable[..., None]
_EVENT_HANDLERS: dict[str, list[EventHandler]] = defaultdict(list)


def on_event(name: str) -> Callable[[EventHandler], EventHandler]:
    """Register a handler for an event a lower app emits; it gets the event's ids as keywords."""

    def decorator(handler: EventHandler) -> EventHandler:
        if handler not in _EVENT_HANDLERS[name]:
            _EVENT_HANDLERS[name].append(handler)
        return handler

    return decorator


def emit(name: str, **ids: int) -> None:
    """Announce that something happened (inside the transaction that did it); its handlers run in
    the background like the side effects of a transition, and only if the change commits."""
    from workflows.tasks import enqueue_with_change

    if _suspended.get() or not _EVENT_HANDLERS.get(name):
        return
    enqueue_with_change(run_event_handlers, name, ids)


def event_handlers_for(name: str) -> list[EventHandler]:
    return list(_EVENT_HANDLERS.get(name, []))


@task()
def run_event_handlers(name: str, ids: dict[str, int]) -> int:
    """Run every handler of one event; returns how many ran."""
    handlers = event_handlers_for(name)
    for handler in handlers:
        handler(**ids)
    return len(handlers)

"""`perform()`: the single door through which every state change passes."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, FSMFieldMixin, State

from workflows import effects
from workflows.errors import (
    TransitionConflict,
    TransitionForbidden,
    TransitionNotAllowed,
    UnknownTransition,
    WorkflowError,
)
from workflows.models import TransitionLog
from workflows.text import LONG_TEXT, clean_text

M = TypeVar("M", bound=models.Model)


def state_field(model: type[models.Model]) -> FSMFieldMixin:
    for field in model._meta.fields:
        if isinstance(field, FSMFieldMixin):
            return field
    raise TypeError(f"{model.__name__} has no state machine")


def transition_meta(model: type[models.Model], name: object) -> Any:
    """The django-fsm metadata of `model.name`, or UnknownTransition for anything else."""
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise UnknownTransition()
    meta = getattr(getattr(model, name, None), "_django_fsm", None)
    if meta is None:
        raise UnknownTransition(
            _("“%(name)s” is not an action on this record.") % {"name": name[:64]}
        )
    return meta


def perform(obj: M, transition: str, *, by: Any, note: str = "", **data: Any) -> M:
    """Lock, check permission and state, run the transition, save, log; side effects on commit.

    `by=None` is the system (scheduler, automatic completion). Returns the saved object.
    """
    model = type(obj)
    transition_meta(model, transition)  # unknown names are refused before anything else
    note = _clean_note(note, data)
    field = state_field(model)
    with transaction.atomic():
        locked = _locked_copy(model, obj.pk)
        source = field.get_state(locked)
        step = starting_step(locked, transition)
        if not step.has_perm(locked, by):
            raise TransitionForbidden()
        for condition in step.conditions:
            if not condition(locked):
                raise TransitionNotAllowed(
                    getattr(condition, "message", _("A precondition is not met.")),
                    code=getattr(condition, "code", "condition_failed"),
                )
        method = getattr(locked, transition)
        _check_signature(method, by, data)
        before = _column_values(locked)
        method(by=by, **data)
        after = _column_values(locked)
        changed = [name for name, value in after.items() if before[name] != value]
        changed += [f.attname for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]
        try:
            locked.save(update_fields=changed)
        except ConcurrentTransition as exc:
            raise TransitionConflict() from exc
        log = TransitionLog.append(
            obj=locked,
            transition=transition,
            source=source,
            target=field.get_state(locked),
            actor=by,
            note=note or "",
            payload=data,
        )
        if effects.has_effects(model, transition):
            effects.schedule(log)
    return locked


def _locked_copy(model: type[M], pk: Any) -> M:
    """A fresh copy of the row, locked; with the relations the model's rules read (if declared)."""
    queryset = model._default_manager.all()
    related = getattr(model, "rules_select_related", ())
    if related:
        queryset = queryset.select_related(*related).select_for_update(of=("self",))
    else:
        queryset = queryset.select_for_update()
    return queryset.get(pk=pk)


def _column_values(obj: models.Model) -> dict[str, Any]:
    return {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if not f.primary_key
    }


def starting_step(obj: models.Model, transition: str) -> Any:
    """The transition's step from the object's current state, or TransitionNotAllowed."""
    field = state_field(type(obj))
    state = field.get_state(obj)
    step = transition_meta(type(obj), transition).get_transition(state)
    if step is None:
        raise TransitionNotAllowed(
            _("This is not possible while the status is “%(state)s”.")
            % {"state": _state_label(obj, field, state)}
        )
    return step


def _clean_note(note: Any, data: dict[str, Any]) -> str:
    """The note for the log, within the long-text limit; any text of the data storable (no NUL,
    no lone surrogate: refused in words, not a 500 later). The step judges the rest of its data."""
    for name, value in data.items():
        if isinstance(value, str):
            clean_text(value, field=name, max_length=None)
    return clean_text(note, field="note", max_length=LONG_TEXT)


def _check_signature(method: Any, by: Any, data: dict[str, Any]) -> None:
    try:
        inspect.signature(method).bind(by=by, **data)
    except TypeError as exc:
        raise WorkflowError(
            _("The data sent with this action is not what it expects."), code="bad_data"
        ) from exc


def _state_label(obj: models.Model, field: FSMFieldMixin, state: str) -> str:
    return str(dict(field.flatchoices).get(state, state))


def available_transitions(obj: models.Model, user: Any) -> list[str]:
    """Names of the transitions `user` may perform on `obj` right now."""
    field = state_field(type(obj))
    state = field.get_state(obj)
    names = []
    for step in field.get_all_transitions(type(obj)):
        allowed = step.source in (state, "*") and step.has_perm(obj, user)
        if allowed and all(condition(obj) for condition in step.conditions):
            names.append(step.name)
    return sorted(set(names))


def step_targets(step: Any) -> list[str]:
    """The states a step may lead to: its target, or each state a computed target allows
    (django-fsm's GET_STATE / RETURN_VALUE, e.g. "back to the state it was hidden from")."""
    if isinstance(step.target, State):
        return [str(state) for state in step.target.allowed_states]
    return [str(step.target)]


def transition_table(model: type[models.Model]) -> list[tuple[str, str, str]]:
    """(source, transition, target) rows of a machine, for diagrams and tests."""
    field = state_field(model)
    rows = {
        (str(t.source), t.name, target)
        for t in field.get_all_transitions(model)
        for target in step_targets(t)
    }
    return sorted(rows)

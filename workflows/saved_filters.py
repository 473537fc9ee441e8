"""Saved filters of staff lists: which lists take them, which fields each list knows, and the
services that save, list and delete a person's filters.

A list registers itself from its app's `AppConfig.ready()` with its URL name, the names of its
GET parameters (its FilterSet's filters, a sort order) and who may use it (the same predicate
its view asks). A filter is the list's query string: applying it, or sharing it, is following
the list's address with that query. A filter with a field the list does not know is refused
with a message that names the field, never saved; its values are the list's to judge (an
invalid value shows the list's own form errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from workflows.models import SavedFilter

# Positions in a list (a page, a cursor), not filters: dropped from what is saved.
POSITION_PARAMETERS = frozenset({"page", "after"})
MAX_PER_LIST = 30
MAX_QUERY_LENGTH = 1000
MAX_NAME_LENGTH = 80


@dataclass(frozen=True)
class FilterList:
    view_name: str
    fields: frozenset[str]
    may_use: Callable[[Any], bool]


_LISTS: dict[str, FilterList] = {}


def register_list(view_name: str, *, fields: Iterable[str], may_use: Callable[[Any], bool]) -> None:
    """Let the list at URL name `view_name` take saved filters of these GET fields."""
    _LISTS[view_name] = FilterList(view_name, frozenset(fields) - POSITION_PARAMETERS, may_use)


def list_named(view_name: str) -> FilterList | None:
    return _LISTS.get(view_name)


def registered_lists() -> list[FilterList]:
    return sorted(_LISTS.values(), key=lambda entry: entry.view_name)


def list_at(path: str) -> FilterList | None:
    """The registered list at `path` (a path of this site), else None."""
    if not isinstance(path, str) or not path.startswith("/") or len(path) > 200:
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return _LISTS.get(match.view_name)


def clean_query(entry: FilterList, query: str) -> str:
    """The query's filters in a stable order, without positions; ValidationError naming any
    field the list does not know, or when nothing is filtered."""
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(_("This filter is too long to be saved."), code="too_long")
    parsed = QueryDict(query.lstrip("?"))
    unknown = sorted(key for key in parsed if key not in entry.fields | POSITION_PARAMETERS)
    if unknown:
        raise ValidationError(
            _("This list has no filter called %(unknown)s; it filters by %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(sorted(entry.fields))},
            code="unknown_fields",
        )
    kept = QueryDict(mutable=True)
    for key in sorted(parsed):
        if key in POSITION_PARAMETERS:
            continue
        values = [v for v in parsed.getlist(key) if v != ""]
        if values:
            kept.setlist(key, values)
    if not kept:
        raise ValidationError(
            _("Choose at least one filter before saving it."), code="nothing_filtered"
        )
    return kept.urlencode()


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValidationError(_("Give the filter a name."), code="name_missing")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError(
            _("A filter's name has at most %(n)s characters.") % {"n": MAX_NAME_LENGTH},
            code="name_too_long",
        )
    if any(ord(char) < 32 for char in name):
        raise ValidationError(_("Give the filter a name."), code="name_missing")
    return name


def save_filter(user: Any, *, path: str, query: str, name: str) -> SavedFilter:
    """Save (or, under a name already used on this list, replace) the user's filter.

    PermissionDenied when the user may not use the list; ValidationError (with the message to
    show) for a page without saved filters, an unknown field, a missing name, too many filters.
    """
    entry = list_at(path)
    if entry is None:
        raise ValidationError(_("Filters cannot be saved on this page."), code="no_list")
    if not entry.may_use(user):
        raise PermissionDenied
    cleaned_query = clean_query(entry, query)
    cleaned_name = _clean_name(name)
    with transaction.atomic():
        existing = SavedFilter.objects.select_for_update().filter(user=user, path=path)
        same = existing.filter(name=cleaned_name).first()
        if same is not None:
            same.query = cleaned_query
            same.save(update_fields=["query"])
            return same
        if existing.count() >= MAX_PER_LIST:
            raise ValidationError(
                _("You have %(n)s filters on this list; delete one to save another.")
                % {"n": MAX_PER_LIST},
                code="too_many",
            )
        try:
            with transaction.atomic():
                return SavedFilter.objects.create(
                    user=user,
                    view_name=entry.view_name,
                    path=path,
                    name=cleaned_name,
                    query=cleaned_query,
                )
        except IntegrityError:  # the same name saved at the same moment in another tab
            raise ValidationError(
                _("A filter of this name was just saved; please try again."), code="race"
            ) from None


def filters_of(user: Any, path: str) -> list[SavedFilter]:
    """The user's saved filters of the list at `path`, by name."""
    return list(SavedFilter.objects.filter(user=user, path=path).order_by("name", "pk"))


def delete_filter(user: Any, pk: int) -> SavedFilter | None:
    """Delete the user's filter `pk`; None if the user has no such filter (another person's
    filter is not theirs to see or delete)."""
    found = SavedFilter.objects.filter(user=user, pk=pk).first()
    if found is not None:
        found.delete()
    return found

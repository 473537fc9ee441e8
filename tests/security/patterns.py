"""Every URL pattern of config.urls, as the resolver has them: its key in the table (the
namespaced name, or the route of a pattern without one), its route and its arguments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Pattern:
    key: str
    route: str
    arguments: tuple[str, ...]
    module: str
    named: bool


def _route(pattern: URLPattern | URLResolver) -> str:
    return str(pattern.pattern)


def walk(
    patterns: list[URLPattern | URLResolver] | None = None, prefix: str = "", namespace: str = ""
) -> Iterator[Pattern]:
    for found in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(found, URLResolver):
            inner = f"{namespace}{found.namespace}:" if found.namespace else namespace
            yield from walk(found.url_patterns, prefix + _route(found), inner)
            continue
        route = prefix + _route(found)
        key = f"{namespace}{found.name}" if found.name else route
        arguments = tuple(found.pattern.regex.groupindex)
        module = getattr(found.callback, "__module__", "")
        yield Pattern(key, route, arguments, module, bool(found.name))


def arguments_of(key: str) -> tuple[str, ...]:
    """The arguments of the first pattern with this key (the admin's own names may have two)."""
    for pattern in walk():
        if pattern.key == key:
            return pattern.arguments
    raise KeyError(key)

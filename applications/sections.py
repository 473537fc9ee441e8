"""Parts of the application's page and of the grant's page that apps above this one contribute
(the conversation, for one). This app cannot import them; they register a provider from their
`AppConfig.ready()`, as side effects and deadline jobs are registered.

A provider gets the request, the application (already checked: the user sees it) and the page
("detail" or "grant"), and answers a `Section`, or None when it has nothing for this user: the
template to include, its context, and entries for the page's history (merged with the
application's steps by time; an entry with a template of its own is drawn by it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from applications.models import Application

DETAIL = "detail"
GRANT = "grant"


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any]
    # TimelineEntry rows (applications.selectors) for the history of the application's page.
    history: list[Any] = field(default_factory=list)


Provider = Callable[[HttpRequest, Application, str], Section | None]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def sections_for(request: HttpRequest, application: Application, page: str) -> list[Section]:
    """What the registered providers add to `page` for this request, in registration order."""
    found = (provider(request, application, page) for provider in _PROVIDERS)
    return [section for section in found if section is not None]

"""The addresses of a public page in each language, for its canonical link, its hreflang
alternates, its Open Graph URL and the language menu."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from public.language import LANGUAGE_PARAMETER

register = template.Library()

# Open Graph wants a locale, not a language.
OPEN_GRAPH_LOCALES = {"de": "de_DE", "fr": "fr_FR", "en": "en_GB"}


@dataclass(frozen=True)
class LanguageAddress:
    code: str
    name: str
    url: str
    current: bool


def address_in(request: HttpRequest, language: str | None) -> str:
    """This page's absolute address in `language` (None: without a language, for x-default),
    keeping its other parameters (filters, page number) in their order."""
    query = request.GET.copy()
    query.pop(LANGUAGE_PARAMETER, None)
    if language is not None:
        query[LANGUAGE_PARAMETER] = language
    encoded = query.urlencode()
    return request.build_absolute_uri(request.path + (f"?{encoded}" if encoded else ""))


@register.simple_tag(takes_context=True)
def language_addresses(context: dict[str, Any]) -> list[LanguageAddress]:
    request: HttpRequest = context["request"]
    current = get_language()
    return [
        LanguageAddress(code, str(name), address_in(request, code), code == current)
        for code, name in settings.LANGUAGES
    ]


@register.simple_tag(takes_context=True)
def canonical_address(context: dict[str, Any]) -> str:
    return address_in(context["request"], get_language())


@register.simple_tag(takes_context=True)
def default_address(context: dict[str, Any]) -> str:
    return address_in(context["request"], None)


@register.simple_tag
def open_graph_locale() -> str:
    return OPEN_GRAPH_LOCALES.get(get_language() or "", "de_DE")

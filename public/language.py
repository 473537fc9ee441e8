"""Every public page has an address per language: `?lang=fr` shows it in French. Search engines
index each language under its own address (hreflang, sitemap), a shared link opens in the
language it was shared in, and the public pages' language menu is plain links, which cached
pages can carry (a form would need a CSRF token of its own per visitor)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

LANGUAGE_PARAMETER = "lang"
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def asked_language(request: HttpRequest) -> str | None:
    """The language the address asks for, if it names one we have."""
    asked = request.GET.get(LANGUAGE_PARAMETER, "")
    return asked if asked in LANGUAGE_CODES else None


class LanguageFromAddressMiddleware:
    """After Django's LocaleMiddleware: `?lang=xx` wins over the cookie and the browser's
    preference, and is remembered in the language cookie, as the language menu would."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = asked_language(request)
        if asked is None:
            return self.get_response(request)
        translation.activate(asked)
        request.LANGUAGE_CODE = asked
        response = self.get_response(request)
        if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != asked:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                asked,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

"""The error pages (400, 403, 404, 500 and a refused CSRF check) in the site's layout and the
visitor's language, each with a way back. Django calls these only with DEBUG off.

The 500 page is drawn from a template that reads nothing but the language and static files: the
error may be the database itself, so no context processor (the header's organisations, unread
messages) runs for it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from accounts.landing import workspace_url

PAGES = {
    400: (
        _("The request could not be read"),
        _(
            "Your browser sent something this site cannot read. Nothing was saved. "
            "Go back and try once more."
        ),
    ),
    403: (
        _("You may not open this page"),
        _(
            "Your account has no access to this page. If you think it should, ask "
            "the person who invited you or the fund."
        ),
    ),
    404: (
        _("Page not found"),
        _("There is no page at this address. It may have moved, or the link has a typo."),
    ),
}
CSRF_TEXT = (
    _("The form could not be sent"),
    _(
        "The page was open for a long time, or cookies are blocked. Go back, "
        "reload the page and send the form again; what you typed may need to be "
        "typed once more."
    ),
)


def _back_url(request: HttpRequest) -> str:
    """The page the visitor came from, if it is one of this site's (never another site's)."""
    referer = request.META.get("HTTP_REFERER", "")
    try:
        host = request.get_host()
    except DisallowedHost:  # the 400 for a foreign Host header lands here too
        return ""
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={host}, require_https=request.is_secure()
    )
    return referer if referer and same_site and urlsplit(referer).path != request.path else ""


def _page(request: HttpRequest, status: int, title: Any, text: Any) -> HttpResponse:
    user = getattr(request, "user", None)  # none when the error came before the middleware
    signed_in = user is not None and user.is_authenticated
    home = workspace_url(user) if signed_in else reverse("public:home")
    context = {
        "status": status,
        "title": title,
        "text": text,
        "back": _back_url(request),
        "home": home,
        "signed_in": signed_in,
    }
    html = render_to_string("errors/page.html", context, request=request)
    return HttpResponse(html, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 400, *PAGES[400])


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 403, *PAGES[403])


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _page(request, 404, *PAGES[404])


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _page(request, 403, *CSRF_TEXT)


def server_error(request: HttpRequest) -> HttpResponse:
    return HttpResponse(render_to_string("errors/500.html"), status=500)

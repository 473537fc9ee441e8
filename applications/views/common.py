"""Small helpers the portal's views share."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from applications import selectors
from applications.models import Application
from organisations.models import Organisation


def my_organisation_or_404(request: HttpRequest, pk: int) -> Organisation:
    """One of the user's organisations; anybody else's answers 404, so nothing leaks."""
    for organisation in selectors.my_organisations(request):
        if organisation.pk == pk:
            return organisation
    raise Http404


def visible_application_or_404(request: HttpRequest, pk: int) -> Application:
    application = selectors.application_for(request.user, pk)
    if application is None:
        raise Http404
    return application


def safe_next(request: HttpRequest, default: str) -> str:
    """The `next` URL of the request if it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default

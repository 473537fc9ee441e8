"""Saving and deleting one's filters of a staff list (the services are
`workflows.saved_filters`); both answer by going back to the list."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from workflows import saved_filters


@login_required
@require_POST
def save_filter(request: HttpRequest) -> HttpResponse:
    path = request.POST.get("path", "")
    query = request.POST.get("query", "")
    entry = saved_filters.list_at(path)
    if entry is None:
        messages.error(request, _("Filters cannot be saved on this page."))
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))
    try:
        saved = saved_filters.save_filter(
            request.user, path=path, query=query, name=request.POST.get("name", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        # Back to the list as it was (the path is a registered list's, so it stays on the site).
        return redirect(path)
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": saved.name})
    return redirect(saved.url)


@login_required
@require_POST
def delete_filter(request: HttpRequest, pk: int) -> HttpResponse:
    deleted = saved_filters.delete_filter(request.user, pk)
    if deleted is None:
        raise Http404
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": deleted.name})
    return redirect(deleted.path)

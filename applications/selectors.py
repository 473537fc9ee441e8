"""Reads on the applicant side that depend on permissions or cross relations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from applications.models import Application, Organisation
from workflows.models import TransitionLog


def applications_visible_to(user: Any) -> QuerySet[Application]:
    """The applications `user` may see, with what a list shows, newest first."""
    return (
        Application.objects.visible_to(user)
        .select_related("organisation", "programme", "grant")
        .order_by("-updated_at", "-id")
    )


def application_for(user: Any, pk: int) -> Application | None:
    """One application if `user` may see it, else None (the caller answers 404, never 403)."""
    return applications_visible_to(user).filter(pk=pk).first()


def timeline_of(application: Application) -> QuerySet[TransitionLog]:
    """The application's status history from the audit log, oldest first."""
    return TransitionLog.objects.for_object(application).select_related("actor").order_by("id")


# --- the applicant's organisations --------------------------------------------------------------

CURRENT_ORGANISATION_KEY = "microgrants_organisation"


def organisations_of(user: Any) -> QuerySet[Organisation]:
    """The organisations `user` is an active member of, by name."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user, memberships__is_active=True
    ).order_by("name", "pk")


def current_organisation(request: HttpRequest) -> Organisation | None:
    """The organisation the user works for right now: the one chosen in the session, else the
    first of theirs. Cached on the request."""
    cached = getattr(request, "_microgrants_organisation", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    mine = list(organisations_of(request.user))
    chosen = request.session.get(CURRENT_ORGANISATION_KEY) if hasattr(request, "session") else None
    organisation = next((o for o in mine if o.pk == chosen), mine[0] if mine else None)
    request._microgrants_organisation = organisation  # type: ignore[attr-defined]
    request._microgrants_organisations = mine  # type: ignore[attr-defined]
    return organisation


def my_organisations(request: HttpRequest) -> list[Organisation]:
    current_organisation(request)
    return request._microgrants_organisations  # type: ignore[attr-defined, no-any-return]

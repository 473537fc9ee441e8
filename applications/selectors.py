"""Reads on the applicant side that depend on permissions or cross relations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from applications.models import Application
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

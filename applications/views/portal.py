"""Thin views: a personal start page and a read-only application page with its timeline."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from applications import selectors
from workflows.engine import available_transitions
from workflows.roles import role_names

PAGE_SIZE = 50


@login_required
def home(request: HttpRequest) -> HttpResponse:
    applications = selectors.applications_visible_to(request.user)[:PAGE_SIZE]
    return render(
        request,
        "applications/home.html",
        {"applications": applications, "roles": sorted(role_names(request.user))},
    )


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    if application is None:
        raise Http404
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "timeline": selectors.timeline_of(application),
            "actions": available_transitions(application, request.user),
        },
    )

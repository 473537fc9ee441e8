"""The final report: edited by the grantee while it is due, read-only for everyone otherwise.

Thin views over `applications.reporting`. Nobody learns that another organisation's report
exists (404); staff may read a report but never post one (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications import reporting, selectors
from applications.forms.reports import ReportEditForms
from applications.models import Application
from grants.models import Grant
from workflows.errors import TransitionForbidden, WorkflowError
from workflows.storage import StorageUnavailable

# Where each kind of submission problem is fixed on the edit page.
PROBLEM_ANCHORS = {
    "narrative": "id_narrative",
    "lines": "report-lines",
    "receipts": "report-receipts",
}


def _grant_of(user: Any, pk: int) -> tuple[Application, Grant]:
    """The application and its grant, if `user` may read its final report (else 404)."""
    application = selectors.application_opened_to(user, pk)
    if application is None:
        raise Http404
    try:
        grant = application.grant
    except Grant.DoesNotExist:
        raise Http404 from None
    grant.application = application
    prefetch_related_objects([application], "budget_lines")  # the plan, read once per page
    return application, grant


def _refusal(request: HttpRequest, grant: Grant, pk: int) -> HttpResponse | None:
    """None if the user may change the report now; else the answer (403 for staff)."""
    try:
        reporting.check_editable(grant, request.user)
    except TransitionForbidden:
        raise PermissionDenied from None
    except WorkflowError as error:
        if request.headers.get("HX-Request"):
            return HttpResponse(str(error.message), status=409, content_type="text/plain")
        messages.error(request, str(error.message))
        return redirect("applications:report", pk)
    return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest, pk: int) -> HttpResponse:
    application, grant = _grant_of(request.user, pk)
    if request.method != "POST":
        if not reporting.can_edit_report(grant, request.user):
            return _read_only_page(request, application, grant)
        draft = reporting.report_for(grant, by=request.user)
        return _edit_page(request, application, draft, ReportEditForms(draft))
    refused = _refusal(request, grant, pk)
    if refused is not None:
        return refused
    draft = reporting.report_for(grant, by=request.user)
    forms = ReportEditForms(draft, data=request.POST, files=request.FILES)
    status = 200
    if forms.is_valid():
        try:
            reporting.save_report(draft, by=request.user, **forms.service_input())
        except ValidationError as error:
            forms.add_service_errors(error)
        except StorageUnavailable as error:
            # Nothing was saved, but what was typed stays on the page to be sent again.
            forms.general_errors.append(str(error.message))
            status = error.http_status
        except WorkflowError as error:  # e.g. submitted from another tab meanwhile
            messages.error(request, str(error.message))
            return redirect("applications:report", pk)
        else:
            if request.POST.get("action") == "review":
                return redirect("applications:report_submit", pk)
            messages.success(request, _("The draft of your report has been saved."))
            return redirect("applications:report", pk)
    if request.FILES:
        forms.general_errors.append(
            _("The files you chose were not saved. Please choose them again.")
        )
    return _edit_page(request, application, draft, forms, status=status)


@login_required
def report_totals(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the figures of what is typed right now; saves nothing."""
    _application, grant = _grant_of(request.user, pk)  # 404 before 405: nothing to learn
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    refused = _refusal(request, grant, pk)
    if refused is not None:
        return refused
    draft = reporting.report_for(grant, by=request.user)
    forms = ReportEditForms(draft, data=request.POST)
    numbers = reporting.figures(draft, **forms.typed_figures())
    return render(request, "applications/report/_figures.html", {"figures": numbers})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Review the final entitlement and balance (GET), then submit for good (POST)."""
    application, grant = _grant_of(request.user, pk)
    refused = _refusal(request, grant, pk)
    if refused is not None:
        return refused
    draft = reporting.report_for(grant, by=request.user)
    numbers = reporting.figures(draft)
    problems = reporting.submission_problems(draft, numbers)
    if request.method == "POST" and not problems:
        try:
            reporting.submit_report(draft, by=request.user)
        except ValidationError as error:
            problems = error.message_dict
        except WorkflowError as error:
            messages.error(request, str(error.message))
            return redirect("applications:report", pk)
        else:
            messages.success(
                request, _("Thank you! Your final report has been submitted and will be checked.")
            )
            return redirect("applications:report", pk)
    edit_url = reverse("applications:report", args=[pk])
    listed = [
        {"message": str(message), "url": f"{edit_url}#{PROBLEM_ANCHORS.get(part, 'content')}"}
        for part, found in problems.items()
        for message in found
    ]
    return render(
        request,
        "applications/report/submit.html",
        {
            "application": application,
            "grant": grant,
            "report": draft,
            "figures": numbers,
            "problems": listed,
        },
    )


def _edit_page(
    request: HttpRequest,
    application: Application,
    draft: Any,
    forms: ReportEditForms,
    *,
    status: int = 200,
) -> HttpResponse:
    bound = forms.form.is_bound
    numbers = (
        reporting.figures(draft, **forms.typed_figures()) if bound else reporting.figures(draft)
    )
    return render(
        request,
        "applications/report/edit.html",
        {
            "application": application,
            "grant": draft.grant,
            "report": draft,
            "forms": forms,
            "form": forms.form,
            "extra_errors": forms.extra_errors(),
            "figures": numbers,
            "totals_url": reverse("applications:report_totals", args=[application.pk]),
        },
        status=status,
    )


def _read_only_page(request: HttpRequest, application: Application, grant: Grant) -> HttpResponse:
    existing = reporting.existing_report(grant)
    return render(
        request,
        "applications/report/detail.html",
        {
            "application": application,
            "grant": grant,
            "report": existing,
            "figures": reporting.figures(existing) if existing is not None else None,
            "participants": [
                (code, count)
                for code, count in reporting.participants_rows(existing)
                if count is not None
            ]
            if existing is not None
            else [],
            "is_grantee": application.organisation.has_member(request.user),
        },
    )

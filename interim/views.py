"""The grantee's interim report page: written and sent by the grantee while the project runs,
read by everyone who may read the grant's final report. Thin views over `interim.services`.

Nobody learns that another organisation's report exists (404); staff may read a report that was
sent but never post one (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from applications import selectors as application_selectors
from applications.attachments import attachments_of, may_change_attachments
from applications.models import Application, AttachmentPurpose
from grants.models import Grant
from interim import rules, selectors, services
from interim.forms import InterimEditForms
from interim.models import InterimReport
from workflows.errors import TransitionForbidden, WorkflowError

SUBMIT = "submit"


def _grant_of(user: Any, pk: int) -> tuple[Application, Grant]:
    """The application and its grant, if `user` may read its reports and the grant has an
    interim report to speak of (else 404)."""
    application = application_selectors.application_opened_to(user, pk)
    if application is None:
        raise Http404
    try:
        grant = application.grant
    except Grant.DoesNotExist:
        raise Http404 from None
    grant.application = application
    if grant.interim_report_due_on is None:
        raise Http404  # none is owed: no policy, or a project too short (a report sent keeps it)
    prefetch_related_objects([application], "budget_lines")  # the plan, read once per page
    return application, grant


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest, pk: int) -> HttpResponse:
    application, grant = _grant_of(request.user, pk)
    if request.method != "POST":
        if not services.may_edit(grant, request.user):
            return _read_only_page(request, application, grant)
        draft = services.interim_report_for(grant, by=request.user)
        return _edit_page(request, application, draft, InterimEditForms(draft))
    try:
        services.check_editable(grant, request.user)
    except TransitionForbidden:
        raise PermissionDenied from None
    except WorkflowError as error:
        messages.error(request, str(error.message))
        return redirect("interim:report", pk)
    draft = services.interim_report_for(grant, by=request.user)
    forms = InterimEditForms(draft, data=request.POST)
    if not forms.is_valid():
        return _edit_page(request, application, draft, forms, status=400)
    sending = request.POST.get("action") == SUBMIT
    try:
        services.save_interim_report(draft, by=request.user, **forms.service_input())
        if sending:
            services.submit_interim_report(draft, by=request.user)
    except ValidationError as error:
        forms.add_service_errors(error)
        if sending and not forms.form.errors and not forms.general_errors:
            messages.info(request, _("Your changes have been saved, but the report was not sent."))
        return _edit_page(request, application, draft, forms, status=400)
    except WorkflowError as error:  # e.g. the project ended meanwhile
        messages.error(request, str(error.message))
        return redirect("interim:report", pk)
    if sending:
        messages.success(
            request, _("Thank you! Your interim report has been sent and will be checked.")
        )
    else:
        messages.success(request, _("The draft of your interim report has been saved."))
    return redirect("interim:report", pk)


def _documents(request: HttpRequest, application: Application) -> dict[str, Any]:
    """What the documents' part (`applications/_attachments.html`) needs."""
    purpose = AttachmentPurpose.INTERIM_REPORT
    return {
        "attachments": list(attachments_of(application, purpose)),
        "can_edit_attachments": may_change_attachments(application, request.user, purpose),
        "purpose": purpose,
        "next_url": request.path,
    }


def _edit_page(
    request: HttpRequest,
    application: Application,
    draft: InterimReport,
    forms: InterimEditForms,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "interim/edit.html",
        {
            "application": application,
            "grant": draft.grant,
            "report": draft,
            "forms": forms,
            "form": forms.form,
            "extra_errors": forms.extra_errors(),
            **_documents(request, application),
        },
        status=status,
    )


def _read_only_page(request: HttpRequest, application: Application, grant: Grant) -> HttpResponse:
    report = services.existing_report(grant)
    if report is not None and not rules.sees_draft(report, request.user):
        report = None  # a draft is its organisation's alone
    panel = selectors.panel_for(grant, request.user)
    return render(
        request,
        "interim/detail.html",
        {
            "application": application,
            "grant": grant,
            "report": report,
            "panel": panel,
            "rows": services.spending_rows(report, grant) if report is not None else [],
            "spent": services.spent_so_far(report) if report is not None else None,
            "is_grantee": rules.may_write(grant, request.user),
            **_documents(request, application),
            # A draft's documents are its organisation's alone, as its text.
            **({"attachments": []} if report is None else {}),
        },
    )

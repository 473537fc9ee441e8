"""Upload, download and delete of attached files; with and without JavaScript (htmx).

Without JavaScript each action redirects back (to a checked `next`) with one message per file;
with htmx (`HX-Request`) it answers with the re-rendered list. Nobody learns that a file of
another organisation exists: such requests get 404, never 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from applications import rules, selectors
from applications.attachments import (
    add_attachment,
    attachment_for,
    attachments_of,
    check_may_change_attachments,
    delete_attachment,
    display_name,
    may_change_attachments,
)
from applications.models import Application, Attachment, AttachmentPurpose
from workflows.errors import WorkflowError
from workflows.storage import StorageUnavailable

PARTIAL = "applications/_attachments.html"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for(request.user, pk)
    if application is None:
        raise Http404
    if not rules.is_applicant(application, request.user):
        raise PermissionDenied  # staff read files; only the organisation's members add them
    purpose = request.POST.get("purpose") or AttachmentPurpose.APPLICATION
    uploads = request.FILES.getlist("file")
    outcomes: list[Outcome] = []
    if purpose not in AttachmentPurpose.values:
        outcomes.append(Outcome(False, _("This kind of document is not known.")))
    elif not uploads:
        outcomes.append(Outcome(False, _("Please choose a file to upload.")))
    for upload in uploads if not outcomes else []:
        try:
            attachment = add_attachment(
                application, by=request.user, upload=upload, purpose=purpose
            )
        except ValidationError as error:
            outcomes.append(_not_added(upload.name, " ".join(error.messages)))
        except StorageUnavailable as error:  # a full disk: nothing of this file was kept
            outcomes.append(_not_added(upload.name, str(error.message)))
        except WorkflowError as error:
            # Not allowed (any more): the same answer holds for every other file of the post.
            outcomes.append(Outcome(False, str(error.message)))
            break
        else:
            outcomes.append(
                Outcome(True, _("“%(name)s” was added.") % {"name": attachment.original_name})
            )
    return _answer(request, application, purpose, outcomes)


@login_required
@require_safe
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = attachment_for(request.user, pk)
    if attachment is None:
        raise Http404
    if not attachment.file.name:
        raise Http404
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except OSError as missing:  # the row exists but its file went missing: nothing to serve
        raise Http404 from missing
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Should a browser still render it, it runs with no scripts, no forms, no same origin.
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET (or a POST without `confirmed`) asks first; a confirmed POST deletes."""
    attachment = attachment_for(request.user, pk)
    if attachment is None:
        raise Http404
    application = attachment.application
    if not rules.is_applicant(application, request.user):
        raise PermissionDenied  # staff read files; only the organisation's members change them
    if request.method == "POST" and request.POST.get("confirmed"):
        try:
            delete_attachment(attachment, by=request.user)
        except WorkflowError as error:
            outcome = Outcome(False, str(error.message))
        else:
            outcome = Outcome(
                True, _("“%(name)s” was deleted.") % {"name": attachment.original_name}
            )
        return _answer(request, application, attachment.purpose, [outcome])
    try:
        check_may_change_attachments(application, request.user, attachment.purpose)
    except WorkflowError as error:
        return _answer(
            request, application, attachment.purpose, [Outcome(False, str(error.message))]
        )
    return render(
        request,
        "applications/attachment_confirm_delete.html",
        {
            "attachment": attachment,
            "application": application,
            "next_url": _next_url(request),
            "back_url": _next_url(request) or _default_url(application),
        },
    )


def _not_added(name: str | None, reason: str) -> Outcome:
    return Outcome(
        False,
        _("“%(name)s” was not added: %(reason)s") % {"name": display_name(name), "reason": reason},
    )


# --- answering ---------------------------------------------------------------------------------


def _answer(
    request: HttpRequest, application: Application, purpose: str, outcomes: list[Outcome]
) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(request, PARTIAL, partial_context(request, application, purpose, outcomes))
    for outcome in outcomes:
        (messages.success if outcome.ok else messages.error)(request, outcome.text)
    return redirect(_next_url(request) or _default_url(application))


def partial_context(
    request: HttpRequest,
    application: Application,
    purpose: str = AttachmentPurpose.APPLICATION,
    outcomes: list[Outcome] | None = None,
) -> dict[str, Any]:
    """What `_attachments.html` needs; also usable by a page that includes it."""
    attachments: list[Attachment] = (
        list(attachments_of(application, purpose)) if purpose in AttachmentPurpose.values else []
    )
    return {
        "application": application,
        "attachments": attachments,
        "can_edit_attachments": may_change_attachments(application, request.user, purpose),
        "purpose": purpose,
        "next_url": _next_url(request) or _htmx_page(request) or _default_url(application),
        "attachment_errors": [o.text for o in outcomes or [] if not o.ok],
        "attachment_notices": [o.text for o in outcomes or [] if o.ok],
    }


def _next_url(request: HttpRequest) -> str:
    """The page to return to, if it is one of ours (never another site)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _htmx_page(request: HttpRequest) -> str:
    """The page htmx says the browser shows, if it is one of ours (path and query only)."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if not current.path.startswith("/") or current.netloc not in ("", request.get_host()):
        return ""
    candidate = current.path + (f"?{current.query}" if current.query else "")
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return ""


def _default_url(application: Application) -> str:
    return reverse("applications:detail", args=[application.pk])

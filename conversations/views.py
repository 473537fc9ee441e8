"""The conversation's pages: the conversation of an application (read and write), a message
turned into a request for changes, the files, the list of one's conversations and the staff's
e-mail settings. A conversation someone may not read does not exist for them (404)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from applications.views.common import safe_next, visible_application_or_404
from conversations import rules, selectors, services
from conversations.forms import ChangeRequestForm, MailSettingsForm, MessageForm
from conversations.sections import panel_context
from workflows.errors import InvalidInput, WorkflowError
from workflows.roles import STAFF_ROLES, has_role


@login_required
@require_http_methods(["GET", "POST"])
def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    """The whole conversation with the form; a POST writes a message. A refused message shows
    this page again with the reason and the text as typed (nothing is stored)."""
    application = visible_application_or_404(request, pk)
    found = selectors.conversation_page(application, request.user)
    if not found.access.reads:
        raise Http404  # a draft, or staff who may not read behind the application (funders)
    form = MessageForm(notes=found.access.staff)
    status = 200
    if request.method == "POST":
        form = MessageForm(request.POST, request.FILES, notes=found.access.staff)
        if form.is_valid():
            try:
                message = services.write_message(
                    application,
                    by=request.user,
                    body=form.cleaned_data["body"],
                    internal=form.cleaned_data.get("internal", False),
                    uploads=form.cleaned_data["attachments"],
                )
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))  # fmt: skip
            except WorkflowError as error:  # not allowed (any more), the storage failed
                if error.http_status == 403:
                    raise PermissionDenied from error
                form.add_error(None, str(error.message))
            else:
                messages.success(
                    request,
                    _("Your note has been saved.")
                    if message.internal
                    else _("Your message has been sent."),
                )
                back = safe_next(request, reverse("applications:detail", args=[application.pk]))
                return redirect(f"{back.partition('#')[0]}#message-{message.pk}")
        status = 400
        found = selectors.conversation_page(application, request.user)
    elif found.newest_id > found.last_read_id and found.conversation_id is not None:
        services.mark_read(
            found.conversation_id, by=request.user, up_to=found.newest_id, known=found.has_marker
        )
    back = safe_next(request, reverse("applications:detail", args=[application.pk]))
    return render(
        request,
        "conversations/conversation.html",
        {
            "application": application,
            "section": panel_context(request, found, form=form, in_history=False, back=back),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn a message into the formal request for changes, with a reply date (staff who may
    check the application formally, while it waits for that check)."""
    message = selectors.message_for(request.user, pk)
    if message is None:
        raise Http404
    application = message.conversation.application
    if not rules.reads_as_staff(application, request.user):
        raise PermissionDenied
    detail = reverse("applications:detail", args=[application.pk])
    if not (message.from_fund and rules.may_request_changes(application, request.user)):
        messages.error(request, _("A request for changes is made from one of the fund's messages or notes, while the application waits for its formal check, by the reviewer who checks it."))  # fmt: skip
        return redirect(f"{detail}#message-{message.pk}")
    form = ChangeRequestForm(request.POST or None, initial={"message": message.body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.request_changes_from(
                    message,
                    by=request.user,
                    text=form.cleaned_data["message"],
                    reply_by=form.cleaned_data["reply_by"],
                )
            except InvalidInput as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))  # fmt: skip
            except WorkflowError as error:
                if error.http_status == 403:
                    raise PermissionDenied from error
                form.add_error(None, str(error.message))
            else:
                messages.success(request, _("The applicant has been asked for the changes."))
                return redirect(detail)
        status = 400
    return render(
        request,
        "conversations/request_changes.html",
        {"message": message, "application": application, "form": form},
        status=status,
    )


@login_required
@require_safe
def file_download(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.file_for(request.user, pk)
    if found is None or not found.file.name:
        raise Http404
    try:
        handle = found.file.storage.open(found.file.name, "rb")
    except OSError as missing:  # the row exists but its file went missing
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=True, filename=found.original_name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_safe
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "conversations/inbox.html",
        {"rows": selectors.inbox(request.user), "staff": has_role(request.user, *STAFF_ROLES)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request: HttpRequest) -> HttpResponse:
    """Staff choose an e-mail per applicant's message or an hourly digest, and the language."""
    if not has_role(request.user, *STAFF_ROLES):
        raise PermissionDenied  # applicants are written to in their application's language
    current = services.mail_settings_of(request.user)
    initial: dict[str, Any] = {"delivery": current.delivery, "language": current.language}
    if current.pk is None:
        initial["language"] = request.LANGUAGE_CODE[:2]
    form = MailSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_mail_settings(request.user, **form.cleaned_data)
        except InvalidInput as error:
            form.add_error(error.field or None, str(error.message))
        else:
            messages.success(request, _("Your settings have been saved."))
            return redirect("conversations:settings")
    status = 400 if form.is_bound else 200
    return render(request, "conversations/settings.html", {"form": form}, status=status)

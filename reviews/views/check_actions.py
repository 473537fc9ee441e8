"""The POST of a report check page (final or interim report): accept, or send back for changes.

Both pages take the same two forms' shapes and answer alike: a refusal of the service becomes a
message on the page, success leads back to the queue. Only the forms, the services and the
words differ, which `CheckActions` names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from reviews.models import ReviewTask
from workflows.errors import WorkflowError
from workflows.roles import Role, has_role


@dataclass(frozen=True)
class CheckActions:
    page: str  # the check page's URL name
    queue: str  # the TaskKind of its queue
    accept_form: type[forms.Form]  # with a "note"
    changes_form: type[forms.Form]  # with a "message" and a "reply_by"
    accept: Callable[..., object]  # (task, by=, note=)
    request_changes: Callable[..., object]  # (task, by=, message=, reply_by=)
    accepted: Any  # the message after an acceptance
    sent_back: Any  # the message after a request for changes
    no_choice: Any  # the message when the POST chose neither

    def pair(self, data: Any = None, action: str = "") -> tuple[forms.Form, forms.Form]:
        """The two forms, the chosen one bound to `data`."""
        accept = self.accept_form(data if action == "accept" else None, prefix="accept")
        changes = self.changes_form(data if action == "request_changes" else None, prefix="changes")  # fmt: skip
        return accept, changes

    def handle(self, request: HttpRequest, task: ReviewTask) -> HttpResponse | tuple[forms.Form, forms.Form]:  # fmt: skip
        """A redirect when the POST was done (or chose nothing); else the forms to show again,
        the chosen one with its errors."""
        if not has_role(request.user, Role.REVIEWER):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action not in ("accept", "request_changes"):
            messages.error(request, str(self.no_choice))
            return redirect(self.page, pk=task.pk)
        accept, changes = self.pair(request.POST, action)
        if action == "accept" and accept.is_valid():
            return self._act(request, task, lambda: self.accept(task, by=request.user, note=accept.cleaned_data["note"]), self.accepted)  # fmt: skip
        if action == "request_changes" and changes.is_valid():
            data = changes.cleaned_data
            return self._act(request, task, lambda: self.request_changes(task, by=request.user, message=data["message"], reply_by=data["reply_by"]), self.sent_back)  # fmt: skip
        return accept, changes

    def _act(self, request: HttpRequest, task: ReviewTask, work: Callable[[], object], done: Any) -> HttpResponse:  # fmt: skip
        """Run the service; its refusal becomes a message on the page, success the queue."""
        try:
            work()
        except WorkflowError as error:
            messages.error(request, str(error.message))
            return redirect(self.page, pk=task.pk)
        messages.success(request, str(done))
        return redirect("reviews:queue", kind=self.queue)

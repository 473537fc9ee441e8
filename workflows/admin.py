"""Admin building blocks shared by the apps, and the read-only admin of the audit log.

Permissions come from the staff roles (Django groups), not from Django's model permissions, so
the admin asks the same question as views and transitions: `has_role(user, ...)`. State changes
are offered as buttons (one small form per transition) and bulk actions; both call the app's
transition service, which goes through `perform()`. The admin never writes a status field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from workflows import admin_jobs, clock, effects
from workflows.api import idempotency  # (also registers the deadline job that prunes the keys)
from workflows.engine import available_transitions, state_field
from workflows.errors import WorkflowError
from workflows.models import (
    IdempotentRequest,
    OutboxMessage,
    OutboxStatus,
    SavedFilter,
    SideEffect,
    TransitionLog,
)
from workflows.roles import STAFF_ROLES, Role, has_role
from workflows.transitions import NoteForm, TransitionSpec, run_transition

admin.site.site_header = _("microgrants administration")
admin.site.site_title = _("microgrants")

# Every refusal a transition can raise; anything else is a bug and may surface as a 500.
REFUSALS = (WorkflowError, ValidationError)

# The attribute under which get_object() leaves the requesting user on the (per-request) object,
# because read-only field callables receive the object but not the request.
_VIEWER = "_admin_viewer"


def readable_error(exc: Exception) -> str:
    """The text a person can act on: every broken rule, never a traceback."""
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    if isinstance(exc, WorkflowError):
        texts = [str(v.message) for v in getattr(exc, "violations", [])]
        headline = str(exc.message)
        if headline not in texts:
            texts.insert(0, headline)
        return " ".join(texts)
    return str(exc)


# --- permissions by role --------------------------------------------------------------------


class RolePermissions:
    """Who may view, add/change and delete, by staff role; superusers count as administrators;
    which rows, by the model's rule set (`Model.objects.visible_to(user)`).

    Mixed into ModelAdmin and InlineModelAdmin; `obj` is the object (or, for an inline, its parent).
    """

    view_roles: tuple[Role, ...] = STAFF_ROLES
    edit_roles: tuple[Role, ...] = (Role.ADMINISTRATOR,)
    delete_roles: tuple[Role, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Only the rows the user may see: the model's rule (`visible_to`), where it has one.
        Changelists, change pages, inlines, actions and transition buttons all start here."""
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        visible_to = getattr(queryset, "visible_to", None)
        return visible_to(request.user) if visible_to is not None else queryset

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *self.view_roles) or self._may_edit(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return has_role(request.user, *self.delete_roles)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        return has_role(request.user, *self.edit_roles)


class RoleAdmin(RolePermissions, admin.ModelAdmin):
    """A ModelAdmin whose permissions follow the staff roles."""


class ReadOnlyAdmin(RoleAdmin):
    """Shown, never written through the admin: services write these rows.

    Without change permission Django renders every field read-only, so nothing else is needed.
    """

    edit_roles = ()
    actions = None


class ReadOnlyTabularInline(RolePermissions, admin.TabularInline):
    """Rows listed under their parent; nothing to add, change or delete."""

    edit_roles = ()
    extra = 0
    can_delete = False


# --- transitions as buttons and actions -----------------------------------------------------


def state_label(obj: models.Model) -> str:
    state_holder = state_field(type(obj))
    state = state_holder.get_state(obj)
    return str(dict(state_holder.flatchoices).get(state, state))


def transition_action(name: str, label: Any) -> Callable[..., None]:
    """A bulk admin action that runs transition `name` on each selected object, one by one."""

    def action(modeladmin: TransitionAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        modeladmin.run_bulk(request, queryset, name)

    action.__name__ = f"transition_{name}"
    return admin.action(description=label, permissions=["transition"])(action)


class TransitionAdmin(RoleAdmin):
    """Change page with one button per transition the user may perform now, plus its form page.

    Subclasses set `transitions`, the machine's table (workflows.transitions): the services run,
    the labels and forms shown.
    """

    transitions: Mapping[str, TransitionSpec] = {}
    transition_template = "admin/transition_form.html"

    def run_transition(self, obj: Any, name: str, *, by: Any, **data: Any) -> Any:
        return run_transition(self.transitions, obj, name, by=by, **data)

    # The role check of each transition belongs to the service; this only gates the actions menu.
    def has_transition_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, *STAFF_ROLES)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.__dict__[_VIEWER] = request.user
        return obj

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/transition/<str:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=self._url_name("transition"),
            )
        ]
        return own + super().get_urls()

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def transition_url(self, obj: Any, name: str) -> str:
        return reverse(
            f"admin:{self._url_name('transition')}",
            args=[quote(obj.pk), name],
            current_app=self.admin_site.name,
        )

    def change_url(self, obj: Any) -> str:
        return reverse(
            f"admin:{self._url_name('change')}",
            args=[quote(obj.pk)],
            current_app=self.admin_site.name,
        )

    def transition_initial(self, obj: Any, name: str) -> dict[str, Any]:
        """Values the form of transition `name` starts with (e.g. the requested amount)."""
        return {}

    def transition_form_class(self, name: str) -> type[forms.Form]:
        spec = self.transitions[name]
        if spec.takes_note:
            return type(f"{spec.form.__name__}WithNote", (spec.form, NoteForm), {})
        return spec.form

    # --- read-only fields of the change page ---

    @admin.display(description=_("Actions"))
    def transition_buttons(self, obj: Any) -> str:
        user = obj.__dict__.get(_VIEWER)
        if obj.pk is None or user is None:
            return "–"
        names = [n for n in available_transitions(obj, user) if n in self.transitions]
        if not names:
            return str(_("No action is open to you in this status."))
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            ((self.transition_url(obj, n), self.transitions[n].label) for n in names),
        )

    @admin.display(description=_("History"))
    def transition_history(self, obj: Any) -> str:
        if obj.pk is None:
            return "–"
        rows = TransitionLog.objects.for_object(obj).order_by("id")
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(localtime(row.created_at), "SHORT_DATETIME_FORMAT"),
                    row.transition,
                    row.source,
                    row.target,
                    row.actor_label,
                    row.note,
                )
                for row in rows
            ),
        )
        if not body:
            return str(_("No status change yet."))
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("when"),
            _("action"),
            _("status"),
            _("by"),
            _("note"),
            body,
        )

    # --- the form page of one transition ---

    def transition_view(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or name not in self.transitions:
            raise Http404
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        spec = self.transitions[name]
        form_class = self.transition_form_class(name)
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                data = dict(form.cleaned_data)
                if not data.get("note"):
                    data.pop("note", None)
                done = self._run_and_report(request, obj, name, data)
                if done is not None:
                    return HttpResponseRedirect(self.change_url(done))
        elif name not in available_transitions(obj, request.user):
            messages.error(
                request,
                _("“%(action)s” is not open to you while the status is “%(state)s”.")
                % {"action": spec.label, "state": state_label(obj)},
            )
            return HttpResponseRedirect(self.change_url(obj))
        else:
            form = form_class(initial=self.transition_initial(obj, name))
        context = {
            **self.admin_site.each_context(request),
            "title": _("%(action)s: %(object)s") % {"action": spec.label, "object": obj},
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": obj,
            "state": state_label(obj),
            "spec": spec,
            "form": form,
            "media": self.media + form.media,
            "change_url": self.change_url(obj),
            "has_view_permission": True,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_template, context)

    def _run_and_report(
        self, request: HttpRequest, obj: Any, name: str, data: dict[str, Any]
    ) -> Any | None:
        """Run one transition; the outcome becomes a message. Returns the object, None if refused."""
        label = self.transitions[name].label
        try:
            done = self.run_transition(obj, name, by=request.user, **data)
        except REFUSALS as exc:
            messages.error(
                request,
                _("%(object)s: “%(action)s” was refused: %(reason)s")
                % {"object": obj, "action": label, "reason": readable_error(exc)},
            )
            return None
        messages.success(
            request,
            _("%(object)s: “%(action)s” done; the status is now “%(state)s”.")
            % {"object": done, "action": label, "state": state_label(done)},
        )
        return done

    def run_bulk(self, request: HttpRequest, queryset: QuerySet, name: str) -> None:
        for obj in queryset:
            self._run_and_report(request, obj, name, {})


def transition_actions(specs: Mapping[str, TransitionSpec], names: Iterable[str]) -> list[Any]:
    """Bulk actions for the named transitions (only those that need no data make sense here)."""
    return [transition_action(name, specs[name].label) for name in names]


# --- the audit log ----------------------------------------------------------------------------


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdmin):
    """Append-only: nobody adds, changes or deletes a row here, not even a superuser."""

    view_roles = (Role.ADMINISTRATOR, Role.MANAGER)
    list_display = (
        "created_at",
        "content_type",
        "object_id",
        "transition",
        "source",
        "target",
        "actor_label",
    )
    list_filter = (
        ("content_type", admin.RelatedOnlyFieldListFilter),
        "transition",
        ("actor", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("content_type",)
    search_fields = ("=object_id",)
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- the e-mail outbox ------------------------------------------------------------------------


def last_error_line(errors: str) -> str:
    """The latest of a row's error lines, cut for a list column ("–" without one)."""
    lines = errors.splitlines()
    if not lines:
        return "–"
    return lines[-1] if len(lines[-1]) <= 160 else lines[-1][:159] + "…"


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    """The e-mails on their way out: what is waiting, retrying or failed, and why.

    Administrators only (the messages hold applicants' addresses and texts). Nothing is edited
    here; "send now" tries the selected retrying or failed messages at once.
    """

    view_roles = (Role.ADMINISTRATOR,)
    actions = ["send_now"]  # type: ignore[assignment]  # ReadOnlyAdmin has none
    list_display = (
        "created_at",
        "subject",
        "recipients",
        "status",
        "attempts",
        "latest_error",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "language")
    search_fields = ("=key", "subject")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False
    fields = (
        "key",
        "status",
        "to",
        "language",
        "subject",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "created_at",
        "log",
        "body_text",
        "body_html",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_send_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.ADMINISTRATOR)

    @admin.display(description=_("recipients"))
    def recipients(self, obj: OutboxMessage) -> str:
        return ", ".join(obj.to)

    @admin.display(description=_("last error"))
    def latest_error(self, obj: OutboxMessage) -> str:
        return last_error_line(obj.last_error)

    @admin.action(description=_("Send now"), permissions=["send"])
    def send_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        from workflows.outbox import send_outbox_message

        waiting = queryset.filter(status__in=[OutboxStatus.RETRYING, OutboxStatus.FAILED])
        ids = list(waiting.order_by("pk").values_list("pk", flat=True))
        outcomes = Counter(send_outbox_message.call(pk, True) for pk in ids)
        sent, skipped = outcomes.pop("sent", 0), queryset.count() - len(ids)
        if sent:
            messages.success(request, _("%(count)d e-mail(s) sent.") % {"count": sent})
        if outcomes:
            messages.warning(
                request,
                _("%(count)d e-mail(s) could not be sent; see the last error of each.")
                % {"count": sum(outcomes.values())},
            )
        if skipped:
            messages.info(
                request,
                _("%(count)d selected e-mail(s) skipped: only retrying or failed ones are sent.")
                % {"count": skipped},
            )


# --- side effects ---------------------------------------------------------------------------------


@admin.register(SideEffect)
class SideEffectAdmin(ReadOnlyAdmin):
    """The side effects of the changes (e-mails to queue, documents, review tasks): what is
    waiting, retrying, stuck or failed, and why. Administrators only. "Run again now" runs the
    selected ones at once, failed ones included (as `manage.py retry_side_effects`)."""

    view_roles = (Role.ADMINISTRATOR,)
    actions = ["run_now"]  # type: ignore[assignment]  # ReadOnlyAdmin has none
    list_display = (
        "created_at",
        "handler",
        "cause",
        "status",
        "attempts",
        "next_attempt_at",
        "waits_for",
        "latest_error",
    )
    list_filter = ("status", "handler")
    search_fields = ("handler", "=log__id", "event")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False
    list_select_related = ("log__content_type",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_run_permission(self, request: HttpRequest) -> bool:
        return has_role(request.user, Role.ADMINISTRATOR)

    @admin.display(description=_("cause"))
    def cause(self, obj: SideEffect) -> str:
        if obj.log is not None:
            return f"{obj.log.content_type.model} {obj.log.object_id}: {obj.log.transition}"
        return obj.event

    @admin.display(description=_("last error"))
    def latest_error(self, obj: SideEffect) -> str:
        return last_error_line(obj.last_error)

    @admin.action(description=_("Run again now"), permissions=["run"])
    def run_now(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        outcomes = effects.retry_failed(ids=ids)
        done = outcomes.pop("done", 0)
        if done:
            messages.success(request, _("%(count)d side effect(s) done.") % {"count": done})
        failed = outcomes.pop("retrying", 0) + outcomes.pop("failed", 0)
        if failed:
            messages.warning(
                request,
                _("%(count)d side effect(s) failed again; see the last error of each.")
                % {"count": failed},
            )
        postponed = outcomes.pop("postponed", 0)
        if postponed:
            messages.warning(
                request,
                _(
                    "%(count)d side effect(s) still wait for what their last error names; they "
                    "run as soon as it is there."
                )
                % {"count": postponed},
            )
        if outcomes:
            messages.info(
                request,
                _("%(count)d selected side effect(s) skipped: done already, or running now.")
                % {"count": sum(outcomes.values())},
            )


# --- idempotency keys of the API ------------------------------------------------------------------


@admin.register(IdempotentRequest)
class IdempotentRequestAdmin(ReadOnlyAdmin):
    """The API's remembered answers (to replay a retried write): for looking into an
    integration's retries. Administrators only: the answers hold what their callers read."""

    view_roles = (Role.ADMINISTRATOR,)
    list_display = ("created_at", "user", "method", "path", "key", "status_code", "expired")
    list_filter = ("status_code", "method")
    list_select_related = ("user",)
    search_fields = ("=key", "path", "user__username")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    show_full_result_count = False

    @admin.display(description=_("expired"), boolean=True)
    def expired(self, obj: IdempotentRequest) -> bool:
        return obj.created_at <= clock.now() - idempotency.KEY_LIFETIME


@admin.register(SavedFilter)
class SavedFilterAdmin(ReadOnlyAdmin):
    """People's saved filters of the staff lists (their owners save and delete them on the
    lists): administrators look, and may delete one."""

    view_roles = (Role.ADMINISTRATOR,)
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("name", "user", "view_name", "query", "created_at")
    list_filter = ("view_name",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username")
    ordering = ("-id",)


# --- the background job pages (django-rq, django-tasks-db): administrators only ----------------

admin_jobs.register()

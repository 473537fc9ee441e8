"""Administrators create webhook subscriptions for funders (the secret shown once), change,
disable, enable and renew them, and read every delivery log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webhooks import addresses, services
from webhooks.models import Attempt, Delivery, EventType, Subscription
from workflows.admin import ReadOnlyAdmin, ReadOnlyTabularInline, RoleAdmin
from workflows.roles import Role

API_ROLES = [Role.FUNDER, Role.REVIEWER, Role.MANAGER, Role.FINANCE, Role.ADMINISTRATOR]


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(
        label=_("receiver URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https address reachable on the internet."),
    )
    events = forms.MultipleChoiceField(
        label=_("events"), choices=EventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Subscription
        fields = ["owner", "name", "url", "events", "all_programmes", "programmes", "language"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "owner" in self.fields:
            # Accounts that read the API: funders and staff, never applicants.
            self.fields["owner"].queryset = (  # type: ignore[attr-defined]
                get_user_model()
                .objects.filter(is_active=True)
                .filter(Q(groups__name__in=[r.value for r in API_ROLES]) | Q(is_superuser=True))
                .distinct()
                .order_by("username")
            )

    def clean_url(self) -> str:
        url = str(self.cleaned_data.get("url") or "")
        try:
            addresses.validate_receiver_url(url)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None
        return url

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        everything, chosen = data.get("all_programmes"), data.get("programmes")
        if everything and chosen:
            raise forms.ValidationError(
                _("Choose programmes or mark the subscription for all programmes, not both.")
            )
        if not everything and not chosen:
            raise forms.ValidationError(
                _("Choose the programmes the subscription hears, or all programmes.")
            )
        return data


class AttemptInline(ReadOnlyTabularInline):
    model = Attempt
    view_roles = (Role.ADMINISTRATOR,)
    fields = ("number", "started_at", "duration_ms", "status_code", "ok", "error")
    readonly_fields = fields


@admin.register(Subscription)
class SubscriptionAdmin(RoleAdmin):
    view_roles = (Role.ADMINISTRATOR,)
    edit_roles = (Role.ADMINISTRATOR,)
    form = SubscriptionForm
    list_display = ("name", "owner", "url", "active", "consecutive_failures", "created_at")
    list_filter = ("active", "all_programmes")
    list_select_related = ("owner",)
    search_fields = ("name", "url", "owner__username")
    filter_horizontal = ("programmes",)
    actions = ["disable_selected", "enable_selected", "renew_secret"]
    readonly_on_change = (
        "owner",
        "active",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "created_by",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        editable = ("name", "url", "events", "all_programmes", "programmes", "language")
        if obj is None:
            return ("owner", *editable)
        return (*self.readonly_on_change, *editable)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.readonly_on_change if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Subscription, form: Any, change: bool) -> None:
        data = form.cleaned_data
        programmes = list(data.get("programmes") or ())
        everything = bool(data.get("all_programmes"))
        if change:
            services.change_subscription(
                obj,
                by=request.user,
                url=data["url"],
                events=data["events"],
                programmes=programmes,
                all_programmes=everything,
            )
            Subscription.objects.filter(pk=obj.pk).update(
                name=data["name"], language=data["language"]
            )
            return
        subscription, secret = services.subscribe(
            data["owner"],
            by=request.user,
            name=data["name"],
            url=data["url"],
            events=data["events"],
            programmes=programmes,
            all_programmes=everything,
            language=data["language"],
        )
        # The admin goes on with `obj` (history entry, redirect): make it the saved row.
        obj.pk, obj.secret = subscription.pk, subscription.secret
        obj._state.adding = False
        request._microgrants_webhook_secret = secret  # type: ignore[attr-defined]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The services set the programmes."""

    def response_add(
        self, request: HttpRequest, obj: Subscription, post_url_continue: str | None = None
    ) -> HttpResponse:
        secret = getattr(request, "_microgrants_webhook_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        return self._secret_page(request, obj, secret)

    def _secret_page(self, request: HttpRequest, obj: Subscription, secret: str) -> HttpResponse:
        """The one page that shows a secret: rendered here, never stored, not cached."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "subscription": obj,
            "secret": secret,
            "title": _("Webhook secret"),
        }
        response = TemplateResponse(request, "admin/webhooks/subscription/secret.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description=_("Disable the selected subscriptions"))
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        count = sum(
            services.disable(s, by=request.user, reason=str(_("Disabled by an administrator.")))
            for s in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d subscription disabled.", "%(count)d subscriptions disabled.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Enable the selected subscriptions"))
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[Subscription]) -> None:
        for subscription in queryset:
            services.enable(subscription, by=request.user)
        self.message_user(request, _("Enabled; new events are sent again."), messages.SUCCESS)

    @admin.action(description=_("Renew the secret (one subscription)"))
    def renew_secret(
        self, request: HttpRequest, queryset: QuerySet[Subscription]
    ) -> HttpResponse | None:
        chosen = list(queryset[:2])
        if len(chosen) != 1:
            self.message_user(
                request, _("Choose exactly one subscription to renew its secret."), messages.ERROR
            )
            return None
        secret = services.renew_secret(chosen[0], by=request.user)
        return self._secret_page(request, chosen[0], secret)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    view_roles = (Role.ADMINISTRATOR,)
    list_display = ("event", "subscription", "status", "attempts", "last_status_code", "created_at")
    list_filter = ("status", "event__type")
    list_select_related = ("event", "subscription")
    search_fields = ("uid", "subscription__name")
    inlines = [AttemptInline]
    fields = (
        "uid",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "finished_at",
        "last_status_code",
        "last_error",
        "body",
    )

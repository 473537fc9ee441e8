"""Moderation of the partner exchange, for the fund's administrators: posts, messages and the
reports about them. Nothing is edited here; the actions call the services (hide, show again,
dismiss), which settle the reports with them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from partners import services
from partners.models import AbuseReport, PartnerMessage, PartnerPost
from workflows.admin import RoleAdmin, readable_error
from workflows.errors import WorkflowError
from workflows.roles import Role


def _each(
    service: Callable[..., Any], done: Any
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet], None]:  # type: ignore[type-arg]
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:  # type: ignore[type-arg]
        count = 0
        for obj in queryset:
            try:
                service(obj, by=request.user)
            except WorkflowError as error:
                modeladmin.message_user(request, readable_error(error), messages.ERROR)
            else:
                count += 1
        modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)

    return action


class ModerationAdmin(RoleAdmin):
    """Read-only pages (no role edits here) with the moderation actions."""

    view_roles = (Role.ADMINISTRATOR,)
    edit_roles = ()
    delete_roles = (Role.ADMINISTRATOR,)

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(PartnerPost)
class PartnerPostAdmin(ModerationAdmin):
    list_display = ("title", "organisation", "country", "created_at", "expires_on", "closed_at", "hidden_at")  # fmt: skip
    list_filter = ("country", "language")
    list_select_related = ("organisation",)
    search_fields = ("title", "text", "organisation__name")
    exclude = ("regions", "themes", "formats", "target_groups", "languages")
    actions = ["hide", "show"]

    @admin.action(description=_("Hide the selected posts"), permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[PartnerPost]) -> None:
        _each(services.hide_post, _("%(count)d post(s) hidden."))(self, request, queryset)

    @admin.action(description=_("Show the selected posts again"), permissions=["moderate"])
    def show(self, request: HttpRequest, queryset: QuerySet[PartnerPost]) -> None:
        _each(services.show_post, _("%(count)d post(s) shown again."))(self, request, queryset)


@admin.register(PartnerMessage)
class PartnerMessageAdmin(ModerationAdmin):
    list_display = ("pk", "post", "created_at", "replied_at", "hidden_at")
    list_select_related = ("post",)
    actions = ["hide"]

    @admin.action(description=_("Hide the selected messages"), permissions=["moderate"])
    def hide(self, request: HttpRequest, queryset: QuerySet[PartnerMessage]) -> None:
        _each(services.hide_message, _("%(count)d message(s) hidden."))(self, request, queryset)


@admin.register(AbuseReport)
class AbuseReportAdmin(ModerationAdmin):
    list_display = ("reason", "post", "message", "created_at", "resolution", "resolved_at")
    list_filter = ("resolution", "reason")
    list_select_related = ("post", "message")
    actions = ["hide_reported", "dismiss"]

    @admin.action(description=_("Hide what was reported"), permissions=["moderate"])
    def hide_reported(self, request: HttpRequest, queryset: QuerySet[AbuseReport]) -> None:
        _each(services.hide_reported, _("%(count)d report(s) handled."))(self, request, queryset)

    @admin.action(description=_("Dismiss the selected reports"), permissions=["moderate"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[AbuseReport]) -> None:
        _each(services.dismiss_report, _("%(count)d report(s) dismissed."))(self, request, queryset)

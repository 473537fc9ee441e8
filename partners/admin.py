"""Moderation of the partner exchange, for the fund's administrators: posts, messages and the
reports about them. Nothing is edited here; each step is a transition of the record's machine (a
button with its form on the record's page, and a bulk action where it needs no data), run by the
services through `perform()`, with its audit row (shown as the record's history)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from partners.models import AbuseReport, PartnerMessage, PartnerPost
from partners.transitions import MESSAGE_TRANSITIONS, POST_TRANSITIONS, REPORT_TRANSITIONS
from workflows.admin import TransitionAdmin, transition_actions
from workflows.roles import Role


class ModerationAdmin(TransitionAdmin):
    """Read-only pages (no role edits here) with the moderation steps."""

    view_roles = (Role.ADMINISTRATOR,)
    edit_roles = ()
    delete_roles = (Role.ADMINISTRATOR,)

    def has_transition_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)


@admin.register(PartnerPost)
class PartnerPostAdmin(ModerationAdmin):
    transitions = POST_TRANSITIONS
    actions = transition_actions(POST_TRANSITIONS, ["show"])
    list_display = ("title", "organisation", "country", "status", "created_at", "expires_on")
    list_filter = ("status", "country", "language")
    list_select_related = ("organisation",)
    search_fields = ("title", "text", "organisation__name")
    readonly_fields = (
        "transition_buttons",
        "status",
        "title",
        "organisation",
        "created_by",
        "country",
        "text",
        "language",
        "period_from",
        "period_to",
        "created_at",
        "updated_at",
        "expires_on",
        "closed_at",
        "hidden_at",
        "hidden_reason",
        "transition_history",
    )
    fields = readonly_fields


@admin.register(PartnerMessage)
class PartnerMessageAdmin(ModerationAdmin):
    transitions = MESSAGE_TRANSITIONS
    actions = transition_actions(MESSAGE_TRANSITIONS, ["hide", "show"])
    list_display = ("pk", "post", "status", "created_at", "replied_at")
    list_filter = ("status",)
    list_select_related = ("post",)
    readonly_fields = (
        "transition_buttons",
        "status",
        "post",
        "sender",
        "sender_organisation",
        "body",
        "language",
        "created_at",
        "reply",
        "replied_at",
        "replied_by",
        "hidden_at",
        "transition_history",
    )
    fields = readonly_fields


@admin.register(AbuseReport)
class AbuseReportAdmin(ModerationAdmin):
    """The queue: filter by status "open"."""

    transitions = REPORT_TRANSITIONS
    actions = transition_actions(REPORT_TRANSITIONS, ["act", "dismiss"])
    list_display = ("reason", "post", "message", "status", "created_at", "resolved_at")
    list_filter = ("status", "reason")
    list_select_related = ("post", "message")
    readonly_fields = (
        "transition_buttons",
        "status",
        "reason",
        "details",
        "post",
        "message",
        "reporter",
        "created_at",
        "resolved_at",
        "transition_history",
    )
    fields = readonly_fields

    def transition_initial(self, obj: Any, name: str) -> dict[str, Any]:
        if name == "act" and obj.post_id is not None:
            return {"reason": str(obj.get_reason_display())}
        return {}

"""Requested changes in the admin, for programme managers and administrators: read-only pages
with the decision steps of the machine (approve, reject) as buttons, each through the service
and `perform()`, with its audit row (shown as the request's history)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from amendments.models import Amendment
from amendments.transitions import AMENDMENT_TRANSITIONS
from workflows.admin import TransitionAdmin
from workflows.roles import Role


@admin.register(Amendment)
class AmendmentAdmin(TransitionAdmin):
    view_roles = (Role.MANAGER, Role.ADMINISTRATOR)
    edit_roles = ()
    transitions = AMENDMENT_TRANSITIONS
    list_display = ("__str__", "status", "submitted_at", "decided_at", "amount")
    list_filter = ("status", "grant__programme")
    list_select_related = ("grant__application",)
    search_fields = ("grant__application__reference", "grant__application__title")
    readonly_fields = (
        "transition_buttons",
        "status",
        "grant",
        "number",
        "reason",
        "start_date",
        "end_date",
        "amount",
        "budget_lines",
        "partners",
        "previous",
        "created_by",
        "created_at",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "decision_note",
        "commitment_change",
        "repayment_claim",
        "transition_history",
    )
    fields = readonly_fields

    def has_transition_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

"""Interim reports in the admin: shown to the staff who may read them (never a draft), with
their lines and their history; written on the grantee's page and checked in the review
workspace (its queue and task page), never changed here."""

from __future__ import annotations

from django.contrib import admin

from interim.models import InterimReport, InterimSpending
from workflows.admin import ReadOnlyTabularInline, TransitionAdmin


class SpendingInline(ReadOnlyTabularInline):
    model = InterimSpending
    fields = ("category", "amount", "comment")


@admin.register(InterimReport)
class InterimReportAdmin(TransitionAdmin):
    # TransitionAdmin for the history of the steps; the steps themselves are the reviewer's.
    edit_roles = ()
    actions = None
    list_display = ("__str__", "status", "submitted_at", "accepted_at")
    list_filter = ("status", "grant__programme")
    list_select_related = ("grant__application",)
    search_fields = ("grant__application__reference", "grant__application__title")
    inlines = (SpendingInline,)
    readonly_fields = (
        "grant",
        "status",
        "progress",
        "created_at",
        "submitted_by",
        "submitted_at",
        "change_message",
        "reply_by",
        "accepted_by",
        "accepted_at",
        "transition_history",
    )
    fields = readonly_fields

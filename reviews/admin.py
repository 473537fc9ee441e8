"""Review work in the admin: reviewer profiles are edited here; tasks, reviews and conflicts are
written by the workspace's services and only shown (a manager reassigns in the workspace)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from reviews.models import Conflict, Review, ReviewerProfile, ReviewTask
from workflows.admin import ReadOnlyAdmin, RoleAdmin
from workflows.roles import Role


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(RoleAdmin):
    view_roles = (Role.ADMINISTRATOR, Role.MANAGER)
    edit_roles = (Role.ADMINISTRATOR, Role.MANAGER)
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("user", "languages", "max_open_tasks")
    search_fields = ("user__username", "user__email", "user__last_name")
    raw_id_fields = ("user",)
    filter_horizontal = ("programmes",)


@admin.register(ReviewTask)
class ReviewTaskAdmin(ReadOnlyAdmin):
    list_display = ("application", "kind", "round", "slot", "status", "assignee", "project_start", "due_on")  # fmt: skip
    list_filter = ("kind", "status", "programme")
    list_select_related = ("application", "assignee")
    search_fields = ("application__reference", "application__title")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewTask]:
        return super().get_queryset(request).select_related("application", "assignee", "programme")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("application", "reviewer", "weighted_score", "recommendation", "submitted_at")
    list_select_related = ("application", "reviewer")
    search_fields = ("application__reference", "reviewer__username")


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ("reviewer", "application", "reason", "created_at")
    list_select_related = ("reviewer", "application")
    list_filter = ("reason",)

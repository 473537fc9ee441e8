"""Organisations with their members; invitations (written by the portal's services, shown here)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from organisations.models import Invitation, Membership, Organisation
from workflows.admin import ReadOnlyAdmin, RoleAdmin, RolePermissions
from workflows.roles import Role


class MembershipInline(RolePermissions, admin.TabularInline):
    model = Membership
    delete_roles = (Role.ADMINISTRATOR,)
    extra = 0
    fields = ("user", "role", "is_active", "joined_at")
    raw_id_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")


@admin.register(Organisation)
class OrganisationAdmin(RoleAdmin):
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("name", "legal_form", "country", "city", "email", "created_at")
    list_filter = ("legal_form", "country", "region")
    search_fields = ("name", "city", "registration_id", "email")
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("name", "legal_form", "registration_id", "group_members")}),
        (
            _("Address"),
            {"fields": ("street", "postcode", "city", "country", "region", "email")},
        ),
        (_("Bank account"), {"fields": ("bank_account_holder", "iban", "bic")}),
        (_("Record"), {"fields": ("created_at",)}),
    )
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(RoleAdmin):
    view_roles = (Role.ADMINISTRATOR,)
    delete_roles = (Role.ADMINISTRATOR,)
    list_display = ("user", "organisation", "role", "is_active", "joined_at")
    list_filter = ("role", "is_active")
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__email", "organisation__name")
    raw_id_fields = ("user", "organisation")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    view_roles = (Role.ADMINISTRATOR,)
    list_display = ("email", "organisation", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")  # fmt: skip
    list_select_related = ("organisation", "invited_by")
    search_fields = ("email", "organisation__name")
    exclude = ("token_hash",)

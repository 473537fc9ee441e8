"""Applicant-side admin: applications with their transitions, final reports, documents.

An application's content is never edited here (its organisation's members edit their drafts in
the portal); it changes only through its transitions, run through its table (`applications.transitions`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from applications.models import (
    Application,
    ApplicationTheme,
    Attachment,
    BudgetLine,
    Document,
    Partner,
    Receipt,
    Report,
    ReportLine,
)
from applications.services import DRAFT_FIELDS
from applications.transitions import APPLICATION_TRANSITIONS
from grants.models import Grant
from workflows.admin import (
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    TransitionAdmin,
    transition_actions,
)

# --- applications -----------------------------------------------------------------------------


class BudgetLineInline(ReadOnlyTabularInline):
    model = BudgetLine
    fields = (
        "side",
        "category",
        "purpose",
        "quantity",
        "unit_cost",
        "line_amount",
        "eligible",
        "position",
    )
    readonly_fields = ("line_amount",)

    @admin.display(description=_("amount"))
    def line_amount(self, line: BudgetLine) -> Any:
        # The empty template row for new lines has no quantity or unit cost yet.
        if line.quantity is None or line.unit_cost is None:
            return "–"
        return line.amount


class PartnerInline(ReadOnlyTabularInline):
    model = Partner
    fields = ("name", "country", "city", "contact_email")


class AttachmentInline(ReadOnlyTabularInline):
    """Listed only: files are uploaded by applicants and served by the portal's access checks."""

    model = Attachment
    fields = ("original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attachment]:
        return super().get_queryset(request).select_related("uploaded_by")


# What the applicant wrote (edited in the portal by the organisation's members only).
DRAFT_CONTENT = DRAFT_FIELDS


class ThemeRowInline(ReadOnlyTabularInline):
    """The themes as the filters and statistics see them (kept by Application.save())."""

    model = ApplicationTheme
    fields = ("theme",)
    verbose_name_plural = _("themes (as indexed for filters and statistics)")


@admin.register(Application)
class ApplicationAdmin(TransitionAdmin):
    """Staff see what the rule set lets them see (drafts stay private to their organisation).
    The content is the applicant's: only the organisation's members edit it, in the portal;
    here it changes only through the transitions."""

    edit_roles = ()
    transitions = APPLICATION_TRANSITIONS
    # Only steps that need no data: a formal check needs its checklist, one application at a time.
    actions = transition_actions(APPLICATION_TRANSITIONS, ["reopen"])
    list_display = (
        "reference",
        "title",
        "organisation",
        "programme",
        "status",
        "requested_amount",
        "awarded_amount",
        "submitted_at",
    )
    list_display_links = ("reference", "title")
    list_filter = ("status", "programme", "language", "fund")
    list_select_related = ("organisation", "programme")
    search_fields = ("reference", "title", "organisation__name")
    readonly_fields = (
        "transition_buttons",
        "transition_history",
        "grant_link",
        "status",
        "reference",
        "fund",
        "organisation",
        "programme",
        "submitted_at",
        "change_request_message",
        "reply_deadline",
        "score",
        "awarded_amount",
        "decision_note",
        "decided_at",
        "decided_by",
        "created_by",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "transition_buttons",
                    "status",
                    "reference",
                    "fund",
                    "organisation",
                    "programme",
                )
            },
        ),
        (_("Project"), {"fields": DRAFT_CONTENT}),
        (
            _("Review and decision"),
            {
                "fields": (
                    "submitted_at",
                    "change_request_message",
                    "reply_deadline",
                    "score",
                    "awarded_amount",
                    "decision_note",
                    "decided_at",
                    "decided_by",
                    "grant_link",
                )
            },
        ),
        (
            _("History"),
            {"fields": ("transition_history", "created_by", "created_at", "updated_at")},
        ),
    )
    inlines = (BudgetLineInline, PartnerInline, AttachmentInline, ThemeRowInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Application]:
        return super().get_queryset(request).select_related("organisation", "fund", "programme")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # applications start in the portal, by a member of the organisation

    def transition_initial(self, obj: Application, name: str) -> dict[str, Any]:
        if name == "approve":
            return {"amount": obj.requested_amount}
        return {}

    @admin.display(description=_("grant"))
    def grant_link(self, obj: Application) -> str:
        grant = Grant.objects.filter(application_id=obj.pk).first() if obj.pk else None
        if grant is None:
            return "–"
        url = reverse("admin:grants_grant_change", args=[grant.pk])
        return format_html(
            '<a href="{}">{} EUR – {}</a>', url, grant.amount_awarded, grant.get_status_display()
        )


# --- final reports: written by the portal's services, shown here -------------


class ReportLineInline(ReadOnlyTabularInline):
    model = ReportLine
    fields = ("side", "category", "actual", "eligible", "comment")


class ReceiptInline(ReadOnlyTabularInline):
    model = Receipt
    fields = ("paid_on", "category", "payee", "purpose", "amount", "attachment")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Receipt]:
        return super().get_queryset(request).select_related("attachment")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("grant", "submitted_at", "updated_at")
    list_select_related = ("grant__application",)
    search_fields = ("grant__application__reference", "grant__application__title")
    inlines = (ReportLineInline, ReceiptInline)


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    """Issued documents: rendered by the background tasks, never edited here."""

    list_display = ("application", "document_title", "language", "size", "created_at")
    list_filter = ("kind", "language")
    list_select_related = ("application__fund",)
    search_fields = ("application__reference", "application__title")
    exclude = ("file",)

    @admin.display(description=_("document"), ordering="kind")
    def document_title(self, document: Document) -> str:
        """Named as the fund's letters name it (agreement or administrative notice)."""
        return str(capfirst(document.title))

"""Staff edit the public texts in the admin, one tab of fields per language, and moderate the
showcase: publish a project page, ask for changes or hide it (with a reason), approve or hide
photos. Every moderation step is a transition (a button and its form), with its audit row."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from public.models import Page, ProjectShowcase, ShowcasePhoto, ShowcasePolicy
from public.rules import MODERATORS
from public.transitions import PHOTO_TRANSITIONS, SHOWCASE_TRANSITIONS
from workflows.admin import ReadOnlyTabularInline, RoleAdmin, TransitionAdmin, transition_actions


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    list_display = ("kind", "title", "is_published", "updated_at")
    list_filter = ("is_published",)
    readonly_fields = ("updated_at",)
    fields = ("kind", "title", "body", "is_published", "updated_at")


def _photo_preview(photo: ShowcasePhoto) -> str:
    url = reverse("public:project_photo", kwargs={"slug": photo.showcase.slug, "photo": photo.pk})
    return format_html('<img src="{}" alt="{}" width="240">', url, photo.alt_text)


class PhotoInline(ReadOnlyTabularInline):
    view_roles = MODERATORS
    model = ShowcasePhoto
    fields = ("preview", "alt_text", "caption", "status", "hidden_reason", "uploaded_at")
    readonly_fields = fields
    verbose_name_plural = _("photos (approve or hide each on its own page)")

    @admin.display(description=_("photo"))
    def preview(self, photo: ShowcasePhoto) -> str:
        return _photo_preview(photo)


@admin.register(ProjectShowcase)
class ProjectShowcaseAdmin(TransitionAdmin):
    """The moderation queue: filter by status "waiting for moderation"."""

    view_roles = MODERATORS
    edit_roles = ()
    transitions = SHOWCASE_TRANSITIONS
    actions = transition_actions(SHOWCASE_TRANSITIONS, ["publish"])
    list_display = ("title", "organisation", "status", "updated_at", "published_at")
    list_filter = ("status",)
    list_select_related = ("grant__application__organisation",)
    search_fields = ("title", "grant__application__reference")
    ordering = ("-updated_at",)
    inlines = [PhotoInline]
    readonly_fields = (
        "transition_buttons",
        "status",
        "public_link",
        "grant",
        "title",
        "summary",
        "places",
        "project_format",
        "outcome",
        "moderation_message",
        "consented_at",
        "withdrawn_at",
        "first_published_at",
        "published_at",
        "transition_history",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProjectShowcase]:
        return super().get_queryset(request).select_related("grant__application__organisation")

    @admin.display(description=_("organisation"))
    def organisation(self, showcase: ProjectShowcase) -> str:
        return str(showcase.grant.application.organisation)

    @admin.display(description=_("public page"))
    def public_link(self, showcase: ProjectShowcase) -> str:
        url = reverse("public:project", kwargs={"slug": showcase.slug})
        return format_html('<a href="{}">{}</a>', url, url)


@admin.register(ShowcasePhoto)
class ShowcasePhotoAdmin(TransitionAdmin):
    view_roles = MODERATORS
    edit_roles = ()
    transitions = PHOTO_TRANSITIONS
    actions = transition_actions(PHOTO_TRANSITIONS, ["approve"])
    list_display = ("alt_text", "showcase", "status", "uploaded_at")
    list_filter = ("status",)
    list_select_related = ("showcase",)
    readonly_fields = (
        "transition_buttons",
        "status",
        "preview",
        "showcase",
        "alt_text",
        "caption",
        "width",
        "height",
        "rights_confirmed_at",
        "hidden_reason",
        "uploaded_at",
        "transition_history",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ShowcasePhoto]:
        return super().get_queryset(request).select_related("showcase")

    @admin.display(description=_("photo"))
    def preview(self, photo: ShowcasePhoto) -> str:
        return _photo_preview(photo)


@admin.register(ShowcasePolicy)
class ShowcasePolicyAdmin(RoleAdmin):
    """Whether a programme's project pages show the amount awarded (administrators edit)."""

    list_display = ("programme", "publishes_amount")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

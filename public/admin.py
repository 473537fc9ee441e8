"""Staff edit the public texts in the admin, one tab of fields per language."""

from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from public.models import Page


@admin.register(Page)
class PageAdmin(TranslationAdmin):
    list_display = ("kind", "title", "is_published", "updated_at")
    list_filter = ("is_published",)
    readonly_fields = ("updated_at",)
    fields = ("kind", "title", "body", "is_published", "updated_at")

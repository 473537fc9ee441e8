"""The per-language fields of the public texts (django-modeltranslation reads this module)."""

from modeltranslation.translator import TranslationOptions, register

from public.models import Page


@register(Page)
class PageTranslation(TranslationOptions):
    fields = ("title", "body")
    # Every page needs its title and text in the default language (German); the others may
    # be empty and fall back.
    required_languages = ("de",)

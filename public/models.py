"""Texts of the fund that staff write in the admin, in each language: guidelines, FAQ, contact,
imprint, privacy and accessibility statements. Their per-language fields (title_de, body_fr ...)
come from django-modeltranslation (public/translation.py); a text missing in the reader's
language falls back to German, then French, then English."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from workflows import clock
from workflows.fields import CleanCharField, CleanTextField


class PageKind(models.TextChoices):
    GUIDELINES = "guidelines", _("Guidelines")
    FAQ = "faq", _("Frequently asked questions")
    CONTACT = "contact", _("Contact")
    IMPRINT = "imprint", _("Imprint")
    PRIVACY = "privacy", _("Privacy")
    ACCESSIBILITY = "accessibility", _("Accessibility")


class Page(models.Model):
    """One of the fund's public texts; its address is its kind (/pages/imprint/)."""

    kind = models.CharField(_("page"), max_length=16, choices=PageKind, unique=True)
    title = CleanCharField(_("title"), max_length=200)
    # Plain text: paragraphs are separated by an empty line; no markup to get wrong or abuse.
    body = CleanTextField(_("text"), help_text=_("Separate paragraphs with an empty line."))
    is_published = models.BooleanField(_("published"), default=False)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    # django-modeltranslation swaps in its multilingual manager when the app registry is ready.
    objects = models.Manager()  # type: ignore[django-manager-missing]  # (the patched class)

    class Meta:
        verbose_name = _("public page")
        verbose_name_plural = _("public pages")
        ordering = ["kind"]

    def __str__(self) -> str:
        return self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse("public:page", kwargs={"kind": self.kind})

    def save(self, *args: object, **kwargs: object) -> None:
        self.updated_at = clock.now()
        super().save(*args, **kwargs)  # type: ignore[arg-type]

from django.apps import AppConfig
from django.db import models
from django.db.models.signals import post_delete, post_save


class PublicConfig(AppConfig):
    """Pages for visitors who are not signed in, and the texts staff write for them."""

    name = "public"
    verbose_name = "Public pages"

    def ready(self) -> None:
        from public.cache import invalidate_public_pages

        # Whatever the cached public pages show: a change to any of these forgets them all.
        for model in self.public_sources():
            uid = f"public-pages:{model._meta.label}"
            post_save.connect(invalidate_public_pages, sender=model, dispatch_uid=uid + ":save")
            post_delete.connect(invalidate_public_pages, sender=model, dispatch_uid=uid + ":del")

    def public_sources(self) -> list[type[models.Model]]:
        from grants.models import Call, Fund, Programme
        from public.models import Page

        return [Page, Fund, Programme, Call]

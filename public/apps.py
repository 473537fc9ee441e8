from typing import Any

from django.apps import AppConfig
from django.db import models
from django.db.models.signals import post_delete, post_save


class PublicConfig(AppConfig):
    """Pages for visitors who are not signed in, and the texts staff write for them."""

    name = "public"
    verbose_name = "Public pages"

    def ready(self) -> None:
        from organisations.models import Organisation
        from workflows.visitor_cache import invalidate_public_pages

        def refresh_copies(sender: type, instance: Organisation, **kwargs: Any) -> None:
            from public.services import refresh_copies_for_organisation

            # Not while loading fixtures, nor for a new organisation: it has no project pages.
            if not kwargs.get("raw") and not kwargs.get("created"):
                refresh_copies_for_organisation(instance)

        # The project pages carry copies of their organisation's name, town and region (for
        # the list's filters and search): refreshed first, then the cached pages forgotten.
        post_save.connect(
            refresh_copies,
            sender=Organisation,
            dispatch_uid="public-copies:organisation",
            weak=False,
        )
        # Whatever the cached public pages show: a change to any of these forgets them all.
        for model in self.public_sources():
            self.connect(model, invalidate_public_pages)
        # The open figures count approved applications and paid grants; a draft being saved
        # (every few seconds while someone writes) changes nothing public.
        from applications.models import Application, ApplicationStatus

        def unless_a_draft(sender: type, instance: Application, **kwargs: Any) -> None:
            if instance.status != ApplicationStatus.DRAFT:
                invalidate_public_pages()

        self.connect(Application, unless_a_draft)

    @staticmethod
    def connect(model: type[models.Model], receiver: Any) -> None:
        uid = f"public-pages:{model._meta.label}"
        post_save.connect(receiver, sender=model, dispatch_uid=f"{uid}:save", weak=False)
        post_delete.connect(receiver, sender=model, dispatch_uid=f"{uid}:delete", weak=False)

    def public_sources(self) -> list[type[models.Model]]:
        from applications.models import Partner
        from grants.models import Call, Fund, Grant, Payment, Programme, RepaymentClaim
        from organisations.models import Organisation
        from partners.models import PartnerPost
        from public.models import Page, ProjectShowcase, ShowcasePhoto, ShowcasePolicy

        return [
            # the fund's texts and policy
            Page, Fund, Programme, Call, ShowcasePolicy,
            # the showcase, its photos and what its pages show of the grant and the partners
            ProjectShowcase, ShowcasePhoto, Grant, Partner,
            # the open figures' paid amounts
            Payment, RepaymentClaim,
            # the public face (name, town, region) on projects and partner posts
            Organisation, PartnerPost,
        ]  # fmt: skip

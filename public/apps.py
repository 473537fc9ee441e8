from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Pages for visitors who are not signed in, and the texts staff write for them."""

    name = "public"
    verbose_name = "Public pages"

from django.apps import AppConfig


class PublicConfig(AppConfig):
    """Pages for visitors who are not signed in; no models yet."""

    name = "public"
    verbose_name = "Public pages"

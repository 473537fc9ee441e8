from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data and `seed_demo`; no models."""

    name = "demo"
    verbose_name = "Demo data"

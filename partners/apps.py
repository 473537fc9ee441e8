from django.apps import AppConfig


class PartnersConfig(AppConfig):
    """Partner posts, the messages relayed between organisations, and reports of abuse."""

    name = "partners"
    verbose_name = "Partner exchange"

    def ready(self) -> None:
        import partners.deadlines  # noqa: F401  (registers the reminder before a post expires)

from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        import applications.deadlines  # (registers the deadline jobs)
        import applications.emails_effects  # noqa: F401  (registers the e-mails of the transitions)

        # Registers the documents as side effects of the transitions that cause them.
        from applications import effects  # noqa: F401

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        import webhooks.deadlines
        import webhooks.events  # noqa: F401  (registers the fan-out of the transitions' events)

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        # Registers the deadline job that deletes expired Idempotency-Key rows, and the checks.
        import workflows.api.idempotency
        import workflows.checks  # noqa: F401

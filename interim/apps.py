from django.apps import AppConfig


class InterimConfig(AppConfig):
    """Interim reports: what a grantee reports while the project runs, and the tranche an
    accepted report releases."""

    name = "interim"
    verbose_name = "Interim reports"

    def ready(self) -> None:
        from applications import attachments as application_attachments
        from applications import selectors as application_selectors
        from applications.models import AttachmentPurpose
        from interim import (
            deadlines,  # noqa: F401  (registers the reminders)
            effects,  # noqa: F401  (registers the e-mails and the closing)
            selectors,
            services,
        )

        application_selectors.add_timeline_source(selectors.timeline_rows)
        application_attachments.add_purpose_rule(
            AttachmentPurpose.INTERIM_REPORT, services.check_documents_may_change
        )

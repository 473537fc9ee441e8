from django.apps import AppConfig


class AmendmentsConfig(AppConfig):
    """Changes after the award: the grantee's requests and the fund's decisions."""

    name = "amendments"
    verbose_name = "Amendments"

    def ready(self) -> None:
        from amendments import (
            documents,
            effects,  # noqa: F401  (registers the letter and the e-mail)
            selectors,
        )
        from applications import documents as application_documents
        from applications import selectors as application_selectors

        application_documents.add_context_builder(
            "amendment", documents.amendment_context, causes=documents.letter_causes
        )
        application_selectors.add_timeline_source(selectors.timeline_rows)

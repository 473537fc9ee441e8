from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        import conversations.deadlines  # (registers the hourly digest)
        import conversations.effects  # noqa: F401  (registers the e-mails of a message)
        from applications import sections
        from conversations import sections as conversation_sections

        # The conversation on the application's and the grant's pages.
        sections.register(conversation_sections.conversation_section)

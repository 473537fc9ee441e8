from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Grants"

    def ready(self) -> None:
        from grants.identity import mail_sender
        from workflows import senders

        senders.register(mail_sender)  # the fund signs every e-mail

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Applicant accounts: sign-up with e-mail confirmation, sign-in by address, the lockout page.
    Below every domain app: it knows users and mails, not organisations or applications."""

    name = "accounts"
    verbose_name = "Accounts"

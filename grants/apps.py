from django.apps import AppConfig


class GrantsConfig(AppConfig):
    name = "grants"
    verbose_name = "Grants"

    def ready(self) -> None:
        from grants.identity import mail_sender
        from workflows import senders

        senders.register(mail_sender)  # the fund signs every e-mail
        _register_saved_filters()


def _register_saved_filters() -> None:
    """The finance lists take saved filters of their own form's fields."""
    from grants.finance.selectors import PaymentFilter
    from grants.rules import is_finance
    from grants.views.reports import ApprovalFilterForm, LedgerForm
    from workflows.saved_filters import register_list

    def finance(user: object) -> bool:
        return is_finance(None, user)

    register_list("finance:payments", fields=PaymentFilter.base_filters, may_use=finance)
    register_list("finance:exports", fields=ApprovalFilterForm.base_fields, may_use=finance)
    register_list("finance:ledger", fields=LedgerForm.base_fields, may_use=finance)

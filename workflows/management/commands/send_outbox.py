from typing import Any

from django.core.management.base import BaseCommand

from workflows.models import OutboxMessage, OutboxStatus
from workflows.outbox import send_due_messages


class Command(BaseCommand):
    help = (
        "Send the outbox e-mails that are due: first attempts whose task did not run, and "
        "retries whose time has come. Safe to run from cron while workers send too."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = send_due_messages()
        waiting = OutboxMessage.objects.filter(status=OutboxStatus.RETRYING).count()
        failed = OutboxMessage.objects.filter(status=OutboxStatus.FAILED).count()
        self.stdout.write(f"Sent {sent} e-mail(s); {waiting} waiting to retry, {failed} failed.")

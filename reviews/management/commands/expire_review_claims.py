"""`manage.py expire_review_claims`: claims held longer than MICROGRANTS_CLAIM_HOURS go back to
their queue. Idempotent; run it every few minutes from cron or a timer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reviews import services


class Command(BaseCommand):
    help = "Give expired claims of review tasks back to their queues."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Released {services.expire_claims()} expired claims.")

"""`manage.py retry_side_effects [--id N ...] [--list]`: run the failed side effects again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workflows import effects
from workflows.models import SideEffect, SideEffectStatus


class Command(BaseCommand):
    help = (
        "Runs the side effects that failed after their last attempt (or the ones named with "
        "--id) again, now. Each handler is idempotent: what was done already is not done twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, action="append", dest="ids", default=[])
        parser.add_argument("--list", action="store_true", help="list them and run nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        ids: list[int] = options["ids"]
        if options["list"]:
            rows = SideEffect.objects.filter(status=SideEffectStatus.FAILED).order_by("pk")
            if ids:
                rows = SideEffect.objects.filter(pk__in=ids).order_by("pk")
            for row in rows:
                error = (row.last_error.splitlines() or ["-"])[-1]
                self.stdout.write(f"{row.pk}\t{row.status}\t{row.handler}\t{error}")
            return
        outcomes = effects.retry_failed(ids=ids or None)
        if not outcomes:
            self.stdout.write("No failed side effect.")
            return
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        self.stdout.write(f"Side effects run again: {summary}.")
        if outcomes.get("failed") or outcomes.get("retrying"):
            self.stderr.write("Some failed again; `--list` shows their last error.")

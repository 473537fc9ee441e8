"""`manage.py remove_orphaned_attachments [--hours H]`: delete stored files no attachment names.

Such files are left when a process dies between writing a file and committing its row, or when
a caller's transaction around `add_attachment` rolls back. Run it daily (cron or timer).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from applications.attachments import ORPHAN_GRACE, remove_orphaned_files


class Command(BaseCommand):
    help = "Delete stored attachment files that no attachment row names."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=ORPHAN_GRACE.total_seconds() / 3600,
            help="only files older than this (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = remove_orphaned_files(older_than=timedelta(hours=options["hours"]))
        for name in removed:
            self.stdout.write(f"removed {name}")
        self.stdout.write(f"{len(removed)} orphaned file(s) removed")

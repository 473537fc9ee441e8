"""`manage.py remove_orphaned_files [--hours H] [--dry-run]`: sweep the stored files.

Such files are left when a process dies between writing a file and committing its row, when a
caller's transaction rolls back after a file was written, or (empty ones) when a write failed
half-way in an older version. Run it daily (cron or timer); `remove_orphaned_attachments` is its
old name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workflows.storage import ORPHAN_GRACE, describe, remove_orphaned_files, stored_folders


class Command(BaseCommand):
    help = (
        "Delete stored files that no row names any more, and empty (0-byte) files, in every "
        "folder a FileField of the project writes into (found from their upload_to: "
        "attachments, documents, payment batch exports...). Only files older than --hours are "
        "touched, so uploads and renders under way are left alone. One line per file, then "
        "the count."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours",
            type=float,
            default=ORPHAN_GRACE.total_seconds() / 3600,
            help="only files last changed longer ago than this (default: %(default)s)",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="list what would be removed, removing nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        if options["verbosity"] > 1:
            for place in stored_folders():
                self.stdout.write(f"{place.folder}/: {', '.join(place.fields)}")
        removed = remove_orphaned_files(
            older_than=timedelta(hours=options["hours"]), dry_run=dry_run
        )
        verb = "would remove" if dry_run else "removed"
        for leftover in removed:
            self.stdout.write(f"{verb} {describe(leftover)}")
        if dry_run:
            self.stdout.write(f"{len(removed)} file(s) would be removed (dry run: none was)")
        else:
            self.stdout.write(f"{len(removed)} file(s) removed")

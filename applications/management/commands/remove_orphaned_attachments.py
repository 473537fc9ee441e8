"""`manage.py remove_orphaned_attachments`: the old name of `remove_orphaned_files`, which now
sweeps every folder the project stores files in (attachments among them). Kept for the cron
entries and timers that still call it."""

from __future__ import annotations

from workflows.management.commands.remove_orphaned_files import Command as RemoveOrphanedFiles


class Command(RemoveOrphanedFiles):
    help = f"Old name of remove_orphaned_files. {RemoveOrphanedFiles.help}"

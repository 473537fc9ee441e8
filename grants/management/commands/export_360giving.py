"""`manage.py export_360giving [--programme CODE ...] [--format json|csv] [--output PATH]`.

Writes the 360Giving open-data export, the same as `/api/v1/open-data/360giving.json`: the
accepted grants whose applicants consented to publication (see grants.open_data), as the JSON
package (default) or the flattened CSV, to standard output or a file, streamed. The same rules
as the API's: an informal group is "informal group in <region>" unless it consented to show its
name (the records are written in English, whatever the shell's language).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from grants.models import Programme
from grants.open_data import NO_PUBLISHED_GRANT, csv_chunks, package_chunks, publishable_grants

WRITERS = {"json": package_chunks, "csv": csv_chunks}


class Command(BaseCommand):
    help = "Write the 360Giving export of the published grants (JSON package or flattened CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--programme",
            action="append",
            metavar="CODE",
            help="only grants of this programme (repeat for more; default: every programme)",
        )
        parser.add_argument("--format", choices=sorted(WRITERS), default="json")
        parser.add_argument("--output", metavar="PATH", help="file to write (default: stdout)")

    def handle(self, *args: Any, **options: Any) -> None:
        programme_ids = None
        if options["programme"]:
            codes = set(options["programme"])
            found = list(Programme.objects.filter(code__in=codes).values_list("code", "pk"))
            unknown = codes - {code for code, _pk in found}
            if unknown:
                raise CommandError(f"Unknown programme code: {', '.join(sorted(unknown))}")
            programme_ids = [pk for _code, pk in found]
        grants = publishable_grants(programme_ids)
        if options["format"] == "json" and not grants.exists():
            with translation.override("en"):  # as the command's other messages
                raise CommandError(f"{NO_PUBLISHED_GRANT} Nothing was written.")
        chunks: Iterator[str] = WRITERS[options["format"]](grants)
        path = options["output"]
        if not path or path == "-":
            for chunk in chunks:
                self.stdout.write(chunk, ending="")
            self.stdout.flush()
            return
        # newline="": the CSV writer's CRLF line ends go to the file unchanged.
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
        self.stderr.write(f"Wrote {path}.")

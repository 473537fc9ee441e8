from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows import deadlines


class Command(BaseCommand):
    help = (
        "Run the deadline jobs (expiries, lapses, end of projects, reminders, claim expiry, "
        "outbox); one line per job with how many objects it changed or reminded. Exits "
        "non-zero if a job failed. Meant for cron or a systemd timer, every 5 minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="list what the jobs would do, changing and sending nothing",
        )
        parser.add_argument(
            "--job",
            action="append",
            dest="jobs",
            metavar="NAME",
            help="run only this job (repeatable); see --list",
        )
        parser.add_argument("--list", action="store_true", help="list the jobs and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for job in deadlines.jobs():
                self.stdout.write(job.name)
            return
        dry_run = options["dry_run"]
        try:
            result = deadlines.run_all(names=options["jobs"], dry_run=dry_run)
        except deadlines.UnknownJob as exc:
            raise CommandError(str(exc)) from exc
        names = [
            job.name
            for job in deadlines.jobs()
            if not options["jobs"] or job.name in options["jobs"]
        ]
        for name in names:
            self._report(name, result, dry_run=dry_run)
        if not result.ok:
            raise CommandError(
                f"{len(result.failed)} deadline job(s) failed: {', '.join(result.failed)}"
            )

    def _report(self, name: str, result: deadlines.RunResult, *, dry_run: bool) -> None:
        if name in result.skipped:
            self.stdout.write(f"{name}: skipped, {result.skipped[name]}")
            return
        if name not in result:
            self.stdout.write(self.style.ERROR(f"{name}: failed, {result.failed[name]}"))
            return
        line = f"{name}: {result[name]}" + (" (dry run, nothing changed)" if dry_run else "")
        if name in result.failed:
            self.stdout.write(self.style.ERROR(f"{line}; failed, {result.failed[name]}"))
        else:
            self.stdout.write(line)
        for step in result.planned.get(name, []):
            self.stdout.write(f"  would {step}")

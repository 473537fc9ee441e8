from typing import Any

from django.core.management.base import BaseCommand, CommandError

from workflows.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the transition log; exits non-zero at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(self.style.SUCCESS(f"Audit log intact: {report.checked} rows."))
            return
        assert report.broken is not None
        raise CommandError(
            f"Audit log broken at row {report.broken.log_id}: {report.broken.reason} "
            f"({report.checked} rows before it verified)."
        )

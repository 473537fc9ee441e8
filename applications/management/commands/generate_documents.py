"""`manage.py generate_documents --kind KIND [...]`: issue the fund's documents in bulk.

For every cause of a document of KIND (the audit rows of submissions for summaries, of approvals,
rejections and accepted reports, of approved amendments; the payments recorded as paid for payment
advices) it issues
the document the side effect would have issued. Use it after a failed task, for histories that
were copied or loaded without side effects (the demo copier), or after a template changed.

Letters (every kind but the summary) come only from a fund whose identity is complete: the
command refuses, naming what is missing, while any selected application's fund lacks something.

Idempotent: a cause that has its document keeps it, untouched. `--missing-only` leaves those
causes out before counting (a shorter progress bar, no look-up per cause). `--replace` renders the
document of every selected cause again *into the same row*: one row per cause is what the
model's constraints keep, links and ids stay valid, and the row's SHA-256 and date describe the
file it now names; the old file is deleted. Keep it for real corrections (a wrong text), since the
grantee may hold the old version.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone, translation
from tqdm import tqdm

from applications.documents import LETTER_KINDS, cause_finder, existing_document, issue_for_ids
from applications.models import Application, ApplicationStatus, DocumentKind
from grants.models import Fund, Grant, Payment, PaymentStatus
from workflows.models import TransitionLog

# The transitions whose audit rows cause each kind (payment advices follow payments instead).
CAUSES = {
    DocumentKind.SUMMARY: (Application, ("submit", "resubmit")),
    DocumentKind.APPROVAL: (Application, ("approve",)),
    DocumentKind.REJECTION: (Application, ("reject",)),
    DocumentKind.SETTLEMENT: (Grant, ("accept_report",)),
}


@dataclass(frozen=True)
class Cause:
    application_id: int
    log_id: int | None = None
    grant_id: int | None = None
    payment_id: int | None = None


class Command(BaseCommand):
    help = "Issue the fund's documents of one kind for every cause that lacks one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", required=True, choices=DocumentKind.values)
        parser.add_argument("--programme", help="only applications of this programme (its code)")
        parser.add_argument(
            "--status", choices=ApplicationStatus.values, help="only applications in this status"
        )
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="only causes on or after this day (YYYY-MM-DD)",
        )
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="select only causes without a document (without it they are skipped one by one)",
        )
        parser.add_argument("--limit", type=int, help="at most this many causes")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="render the selected causes' documents again, into the same rows",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        kind = options["kind"]
        if options["replace"] and options["missing_only"]:
            raise CommandError("--replace and --missing-only exclude each other.")
        applications = Application.objects.all()
        if options["programme"]:
            applications = applications.filter(programme__code=options["programme"])
        if options["status"]:
            applications = applications.filter(status=options["status"])
        if kind in LETTER_KINDS:
            funds = Fund.objects.filter(pk__in=applications.values("fund")).order_by("pk")
            with translation.override("en"):  # the command speaks English throughout
                unready = [(fund, fund.letter_gaps()) for fund in funds]
            unready = [(fund, gaps) for fund, gaps in unready if gaps]
            if unready:
                raise CommandError(
                    " ".join(
                        f"{fund.name} cannot issue letters yet; missing: {'; '.join(gaps)}."
                        for fund, gaps in unready
                    )
                    + " Complete the fund's identity in the admin first."
                )
        since = (
            timezone.make_aware(datetime.combine(options["since"], time.min))
            if options["since"]
            else None
        )
        causes = causes_of(kind, applications, since=since, missing_only=options["missing_only"])
        if options["limit"] is not None:
            causes = causes[: options["limit"]]
        counts = {"created": 0, "existing": 0, "replaced": 0, "failed": 0}
        bar = tqdm(
            causes,
            desc=kind,
            unit="doc",
            file=sys.stderr,
            disable=options["verbosity"] == 0,
        )
        for cause in bar:
            outcome = self.issue(kind, cause, replace=options["replace"])
            counts[outcome] += 1
        self.stdout.write(
            f"{kind}: {counts['created']} created, {counts['existing']} existing, "
            f"{counts['replaced']} replaced, {counts['failed']} failed"
        )
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} document(s) could not be issued.")

    def issue(self, kind: str, cause: Cause, *, replace: bool) -> str:
        existed = (
            existing_document(
                Application(pk=cause.application_id),
                kind=kind,
                log=TransitionLog(pk=cause.log_id) if cause.log_id else None,
                payment=Payment(pk=cause.payment_id) if cause.payment_id else None,
            )
            is not None
        )
        if existed and not replace:
            return "existing"
        try:
            issue_for_ids(
                cause.application_id,
                kind,
                cause.log_id,
                cause.grant_id,
                cause.payment_id,
                replace=replace,
            )
        except Exception as error:  # one broken cause must not stop the others
            self.stderr.write(f"application {cause.application_id}, {cause}: {error!r}")
            return "failed"
        return "replaced" if existed else "created"


def causes_of(
    kind: str,
    applications: models.QuerySet[Application],
    *,
    since: datetime | None,
    missing_only: bool,
) -> list[Cause]:
    """The causes of documents of `kind` among `applications`, oldest first."""
    if kind == DocumentKind.PAYMENT_ADVICE:
        payments = Payment.objects.filter(
            status=PaymentStatus.PAID, grant__application__in=applications
        )
        if since is not None:
            payments = payments.filter(created_at__gte=since)
        if missing_only:
            payments = payments.exclude(documents__kind=kind)
        return [
            Cause(application_id=app_id, grant_id=grant_id, payment_id=pk)
            for pk, grant_id, app_id in payments.order_by("id").values_list(
                "pk", "grant_id", "grant__application_id"
            )
        ]
    finder = cause_finder(kind)
    if finder is not None:  # a kind a higher app issues (the amendment letter)
        return [
            Cause(application_id=app_id, log_id=log_id, grant_id=grant_id)
            for app_id, log_id, grant_id in finder(
                applications, since=since, missing_only=missing_only
            )
        ]
    model, transitions = CAUSES[DocumentKind(kind)]
    owners: models.QuerySet[Any] = (
        applications if model is Application else Grant.objects.filter(application__in=applications)
    )
    logs = TransitionLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        transition__in=transitions,
        object_id__in=owners.annotate(text_id=Cast("pk", models.CharField())).values("text_id"),
    )
    if since is not None:
        logs = logs.filter(created_at__gte=since)
    if missing_only:
        logs = logs.exclude(documents__kind=kind)
    rows = list(logs.order_by("id").values_list("pk", "object_id"))
    if model is Grant:
        grant_app = dict(
            Grant.objects.filter(pk__in=[int(o) for _pk, o in rows]).values_list(
                "pk", "application_id"
            )
        )
        return [
            Cause(application_id=grant_app[int(o)], log_id=pk, grant_id=int(o)) for pk, o in rows
        ]
    app_grant: dict[int, int] = {}
    if kind == DocumentKind.APPROVAL:
        app_grant = dict(
            Grant.objects.filter(application_id__in=[int(o) for _pk, o in rows]).values_list(
                "application_id", "pk"
            )
        )
    return [
        Cause(application_id=int(o), log_id=pk, grant_id=app_grant.get(int(o))) for pk, o in rows
    ]

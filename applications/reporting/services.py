"""Writes of the final report: created on first use, saved as a draft, submitted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from applications import attachments
from applications.models import Attachment, AttachmentPurpose, Receipt, Report, ReportLine
from applications.reporting.totals import (
    CATEGORY_ORDER,
    Errors,
    can_read_report,
    check_editable,
    existing_report,
    figures,
    planned_eligibility,
    submission_problems,
)
from applications.reporting.validation import clean_input
from grants import services as grant_services
from grants.models import Grant
from workflows import clock
from workflows.errors import TransitionForbidden
from workflows.storage import FileWrites, all_or_no_files

# --- writes ------------------------------------------------------------------------------------


def report_for(grant: Grant, *, by: Any) -> Report:
    """The grant's report; the grantee's first use creates it with a line per planned category."""
    report = existing_report(grant)
    if report is not None:
        if not can_read_report(grant, by):
            raise TransitionForbidden()
        return report
    check_editable(grant, by)
    eligible = planned_eligibility(grant.application)
    with transaction.atomic():
        try:
            with transaction.atomic():
                report = Report.objects.create(grant=grant)
        except IntegrityError:  # a second tab or request created it a moment ago
            report = existing_report(grant)
            assert report is not None
            return report
        ReportLine.objects.bulk_create(
            ReportLine(report=report, side=side, category=category, eligible=flag)
            for (side, category), flag in sorted(
                eligible.items(), key=lambda item: CATEGORY_ORDER.get(item[0], 99)
            )
        )
    return existing_report(grant) or report


@transaction.atomic
def save_report(
    report: Report,
    *,
    by: Any,
    narrative: str,
    results: str,
    participants: Mapping[str, Any] | Sequence[tuple[str, Any]],
    lines: Sequence[Mapping[str, Any]],
    receipts: Sequence[Mapping[str, Any]],
) -> Report:
    """Save the draft (text, participants, lines, receipts, receipt files); all or nothing.

    Everything is validated before anything is written. Lines replace the saved ones (the
    plan's categories stay, added ones left empty go). A receipt row is {id?, category,
    paid_on, payee, purpose, amount, upload?, remove_file?}: one with the id of a saved receipt
    updates it; saved receipts not listed are removed. An upload becomes an Attachment linked
    to its receipt; a replaced or removed file is deleted. StorageUnavailable if a file cannot
    be stored (nothing of the save is kept).
    Raises ValidationError {"narrative": [...], "receipts.2.amount": [...], ...}.
    """
    locked = _lock(report)
    check_editable(locked.grant, by)
    saved_receipts = {r.pk: r for r in locked.receipts.select_related("attachment")}
    clean = clean_input(
        locked,
        saved_receipts,
        narrative=narrative,
        results=results,
        participants=participants,
        lines=lines,
        receipts=receipts,
    )
    locked.narrative, locked.results = clean.narrative, clean.results
    locked.participants = clean.participants
    locked.save(update_fields=["narrative", "results", "participants", "updated_at"])
    _write_lines(locked, clean.lines)
    _write_receipts(locked, saved_receipts, clean.receipts, by=by)
    return locked


@transaction.atomic
def submit_report(report: Report, *, by: Any) -> Grant:
    """Check completeness, stamp the report, submit its totals (audited grant transition)."""
    locked = _lock(report)
    check_editable(locked.grant, by)
    numbers = figures(locked)
    problems = submission_problems(locked, numbers)
    if problems:
        raise ValidationError(problems)
    locked.submitted_at = clock.now()
    locked.save(update_fields=["submitted_at", "updated_at"])
    return grant_services.submit_report_figures(
        locked.grant,
        by=by,
        actual_expenses=numbers.actual_expenses,
        actual_eligible_expenses=numbers.actual_eligible_expenses,
        actual_other_income=numbers.actual_other_income,
    )


def _lock(report: Report) -> Report:
    """The report's row, locked, with a fresh grant (its status decides what is allowed)."""
    return (
        Report.objects.select_related("grant__application__organisation", "grant__programme")
        .select_for_update(of=("self",))
        .get(pk=report.pk)
    )


def _write_lines(report: Report, rows: list[dict[str, Any]]) -> None:
    existing = {(line.side, line.category): line for line in report.lines.all()}
    planned = set(planned_eligibility(report.grant.application))
    changed, new = [], []
    for row in rows:
        key = (row["side"], row["category"])
        if key not in planned and not row["actual"] and not row["comment"]:
            continue  # an added category left empty is removed again
        line = existing.pop(key, None)
        if line is None:
            new.append(
                ReportLine(
                    report=report,
                    side=row["side"],
                    category=row["category"],
                    actual=row["actual"],
                    comment=row["comment"],
                    eligible=row.get("eligible", True),
                )
            )
            continue
        line.actual, line.comment = row["actual"], row["comment"]
        if "eligible" in row:
            line.eligible = row["eligible"]
        changed.append(line)
    if changed:
        ReportLine.objects.bulk_update(changed, ["actual", "comment", "eligible"])
    ReportLine.objects.bulk_create(new)
    dropped = [line.pk for key, line in existing.items() if key not in planned]
    if dropped:
        ReportLine.objects.filter(pk__in=dropped).delete()


def _write_receipts(
    report: Report, saved: dict[int, Receipt], rows: list[dict[str, Any]], *, by: Any
) -> None:
    # The caller's transaction undoes the rows when anything fails; the files of this save's
    # uploads go with them (a full disk on the third file removes the first two).
    with all_or_no_files() as uploaded:
        _write_receipt_rows(report, saved, rows, by=by, uploaded=uploaded)


def _write_receipt_rows(
    report: Report,
    saved: dict[int, Receipt],
    rows: list[dict[str, Any]],
    *,
    by: Any,
    uploaded: FileWrites,
) -> None:
    application = report.grant.application
    orphans: list[Attachment] = []
    upload_errors: Errors = {}
    kept: list[Receipt] = []
    new: list[Receipt] = []
    fields = ["category", "paid_on", "payee", "purpose", "amount", "position", "attachment"]
    for position, row in enumerate(rows):
        receipt = saved.pop(row["id"]) if row["id"] is not None else Receipt(report=report)
        for name in fields[:-2]:
            setattr(receipt, name, row[name])
        receipt.position = position
        previous = receipt.attachment if receipt.attachment_id else None
        if row["upload"] is not None:
            try:
                receipt.attachment = attachments.add_attachment(
                    application, by=by, upload=row["upload"], purpose=AttachmentPurpose.RECEIPT
                )
            except ValidationError as exc:
                upload_errors[f"receipts.{row['index']}.upload"] = exc.messages
                continue
            uploaded.keep_track(receipt.attachment.file)
        elif row["remove_file"]:
            receipt.attachment = None
        if previous is not None and receipt.attachment_id != previous.pk:
            orphans.append(previous)
        (new if receipt.pk is None else kept).append(receipt)
    if upload_errors:
        raise ValidationError(upload_errors)
    for receipt in saved.values():  # listed no more
        if receipt.attachment_id:
            orphans.append(receipt.attachment)  # type: ignore[arg-type]
    if saved:
        Receipt.objects.filter(pk__in=list(saved)).delete()
    if kept:
        Receipt.objects.bulk_update(kept, fields)
    Receipt.objects.bulk_create(new)
    still_used = set(
        Receipt.objects.filter(attachment__in=[a.pk for a in orphans]).values_list(
            "attachment_id", flat=True
        )
    )
    for attachment in orphans:
        if attachment.pk not in still_used:
            attachments.delete_attachment(attachment, by=by)

"""Finance services: approve payments, put them into batches, export a batch once, record the
bank's answer (paid, or one payment failed). Every change of a payment's or batch's status goes
through `perform()` (its audit row in the same transaction); refusals are `WorkflowError`s with a readable message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from grants import rules
from grants.finance.sepa import (
    NAME_LIMIT,
    build_csv,
    build_sepa_xml,
    build_xlsx,
    creditor_name,
    payment_label,
    sepa_line,
    sepa_text,
)
from grants.models import BatchStatus, Payment, PaymentBatch, PaymentStatus, PaymentTrigger
from grants.money import ZERO
from grants.services import record_payment_paid
from organisations.banking import is_valid_iban, normalise_iban
from workflows import clock, perform
from workflows.errors import RuleViolation, TransitionForbidden, TransitionNotAllowed, WorkflowError
from workflows.models import TransitionLog
from workflows.storage import all_or_no_files

# Bulk approvals and batches stay a size a person can check line by line.
BULK_LIMIT = 500

# --- refusals and the audit row ------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a payment cannot go on: a stable code, the payment's EndToEndId, a message."""

    code: str
    field: str
    message: object


def _refuse(problems: list[Problem]) -> RuleViolation:
    refusal = RuleViolation(problems, " ".join(str(p.message) for p in problems))
    refusal.code = problems[0].code
    return refusal


def _refusal(code: str, message: object, *, field: str = "") -> RuleViolation:
    return _refuse([Problem(code, field, message)])


PAST_DATE = _("The execution date cannot be in the past; please choose today or later.")
FOUR_EYES = _(
    "You accepted the final report of %(reference)s, so another finance officer must approve "
    "the payment it triggered (four-eyes principle)."
)
FOUR_EYES_INTERIM = _(
    "You accepted the interim report of %(reference)s, so another finance officer must approve "
    "the instalment it released (four-eyes principle)."
)
NO_IBAN = _(
    "%(payment)s: the organisation has no valid IBAN on file; it must correct its bank account "
    "first."
)
NO_NAME = _(
    "%(payment)s: the account holder's name cannot be written in Latin letters for the bank; "
    "it must be entered again."
)
NO_DEBTOR = _(
    "The fund's own account (MICROGRANTS_DEBTOR_NAME and MICROGRANTS_DEBTOR_IBAN) is not set "
    "up correctly; ask the administrator."
)


def _require_finance(by: Any) -> None:
    if not rules.is_finance(None, by):
        raise TransitionForbidden()


def _payments_for_update() -> QuerySet[Payment]:
    """Payments locked for a change, with the grantee's bank details. Their batch is read after
    the lock (a joined row could be older than the locked one on PostgreSQL)."""
    return Payment.objects.select_for_update(of=("self",)).select_related(
        "grant__application__organisation"
    )


def _check_execution_date(day: date) -> None:
    if not isinstance(day, date) or day < clock.today():
        raise _refusal("execution_date_past", PAST_DATE, field="execution_date")


# --- approval ------------------------------------------------------------------------------------


@transaction.atomic
def approve_payment(payment: Payment, *, by: Any) -> Payment:
    """Scheduled -> approved by a finance officer, never by whoever accepted the report that
    triggered it (four-eyes); writes an audit row."""
    _require_finance(by)
    locked = _payments_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.SCHEDULED:
        raise TransitionNotAllowed(
            _("%(payment)s cannot be approved: it is %(status)s.")
            % {"payment": locked.end_to_end_id, "status": locked.get_status_display()},
            code="not_scheduled",
        )
    if locked.triggered_by_report_of(by):
        words = (
            FOUR_EYES_INTERIM
            if locked.trigger == PaymentTrigger.INTERIM_REPORT_ACCEPTED
            else FOUR_EYES
        )
        message = words % {"reference": payment_label(locked)}
        raise _refusal("four_eyes", message, field=locked.end_to_end_id)
    return perform(locked, "approve", by=by)


@dataclass(frozen=True)
class Outcome:
    """What happened to one payment of a bulk approval: approved, or refused and why."""

    payment: Payment
    ok: bool
    message: str = ""


def approve_payments(payments: Iterable[Payment], *, by: Any) -> list[Outcome]:
    """`approve_payment` for each, each in its own savepoint: a refusal leaves the others
    approved, and the outcome says why."""
    outcomes = []
    for payment in payments:
        try:
            with transaction.atomic():
                approved = approve_payment(payment, by=by)
        except WorkflowError as error:
            outcomes.append(Outcome(payment, ok=False, message=str(error.message)))
        else:
            outcomes.append(Outcome(approved, ok=True))
    return outcomes


# --- batches ---------------------------------------------------------------------------------------


def _creditor_problems(payment: Payment) -> list[Problem]:
    """What keeps the grantee's bank details out of a SEPA file (checked again at export)."""
    organisation = payment.grant.application.organisation
    label = f"{payment_label(payment)} ({organisation.name})"
    problems = []
    if not is_valid_iban(organisation.iban):
        problems.append(Problem("creditor_iban", payment.end_to_end_id, NO_IBAN % {"payment": label}))  # fmt: skip
    if not creditor_name(payment):
        problems.append(Problem("creditor_name", payment.end_to_end_id, NO_NAME % {"payment": label}))  # fmt: skip
    return problems


def _debtor_problems() -> list[Problem]:
    if is_valid_iban(settings.MICROGRANTS_DEBTOR_IBAN) and sepa_text(
        settings.MICROGRANTS_DEBTOR_NAME, limit=NAME_LIMIT
    ):
        return []
    return [Problem("debtor_account", "", NO_DEBTOR)]


def _new_message_id(skip: int = 0) -> str:
    """`MG-<date>-<n>`, the next number of the day (<= 35 characters)."""
    prefix = f"MG-{clock.today():%Y%m%d}-"
    taken = PaymentBatch.objects.filter(message_id__startswith=prefix).count()
    return f"{prefix}{taken + 1 + skip}"


@transaction.atomic
def create_batch(payments: Iterable[Payment], *, by: Any, execution_date: date) -> PaymentBatch:
    """Put approved payments into a new draft batch (the fund's account from settings, a unique
    MsgId); refused for any other payment, a past date or a creditor without a valid IBAN;
    writes an audit row."""
    _require_finance(by)
    pks = sorted({payment.pk for payment in payments})
    if not pks:
        raise _refusal("no_payments", _("Please choose the approved payments."))
    if len(pks) > BULK_LIMIT:
        message = _("A batch holds at most %(n)s payments.") % {"n": BULK_LIMIT}
        raise _refusal("too_many", message)
    _check_execution_date(execution_date)
    locked = list(_payments_for_update().filter(pk__in=pks).order_by("pk"))
    problems = _debtor_problems()
    if len(locked) != len(pks):
        problems.append(Problem("missing", "", _("Some of the chosen payments do not exist.")))
    drafts = dict(
        PaymentBatch.objects.filter(
            pk__in={p.batch_id for p in locked if p.batch_id}, status=BatchStatus.DRAFT
        ).values_list("pk", "message_id")
    )
    for payment in locked:
        if payment.status != PaymentStatus.APPROVED:
            problems.append(
                Problem(
                    "not_approved",
                    payment.end_to_end_id,
                    _("%(payment)s is not approved (it is %(status)s).")
                    % {"payment": payment.end_to_end_id, "status": payment.get_status_display()},
                )
            )
        elif payment.batch_id in drafts:
            problems.append(
                Problem(
                    "in_draft_batch",
                    payment.end_to_end_id,
                    _("%(payment)s is already in the batch %(batch)s, which is not exported yet.")
                    % {"payment": payment.end_to_end_id, "batch": drafts[payment.batch_id]},
                )
            )
        else:
            problems += _creditor_problems(payment)
    if problems:
        raise _refuse(problems)
    batch = _insert_batch(by=by, execution_date=execution_date)
    Payment.objects.filter(pk__in=pks).update(batch=batch)
    batch.count = len(locked)
    batch.control_sum = sum((payment.amount for payment in locked), ZERO)
    batch.save(update_fields=["count", "control_sum"])
    payload = {"payments": [payment.end_to_end_id for payment in locked]}
    # Not a change of state: the batch's first audit row, who put it together and with what.
    TransitionLog.append(obj=batch, transition="create", source="", target=batch.status, actor=by, note="", payload=payload)  # fmt: skip
    return batch


def _insert_batch(*, by: Any, execution_date: date) -> PaymentBatch:
    """A new draft with the next free MsgId; a race for the same number takes the next one."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return PaymentBatch.objects.create(
                    message_id=_new_message_id(attempt),
                    execution_date=execution_date,
                    debtor_name=settings.MICROGRANTS_DEBTOR_NAME[:70],
                    debtor_iban=normalise_iban(settings.MICROGRANTS_DEBTOR_IBAN),
                    debtor_bic=normalise_iban(settings.MICROGRANTS_DEBTOR_BIC),
                    created_by=by,
                )
        except IntegrityError:
            continue
    raise WorkflowError(_("Please try again: another batch was created at the same moment."))


@transaction.atomic
def export_batch(
    batch: PaymentBatch, *, by: Any, execution_date: date | None = None
) -> PaymentBatch:
    """Draft -> exported, once: builds the SEPA XML (validated against the schema), CSV and XLSX of
    the same lines, stores them with their SHA-256, stamps the payments exported and the batch's
    totals; writes audit rows. Payments no longer approved (cancelled at settlement, recorded
    paid by hand) leave the draft and are not exported. `execution_date` re-dates a draft.
    StorageUnavailable if a file cannot be stored: the batch stays a draft, no file is kept."""
    _require_finance(by)
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status != BatchStatus.DRAFT:
        raise TransitionNotAllowed(
            _("The batch %(batch)s is already exported; download its files instead.")
            % {"batch": locked.message_id},
            code="already_exported",
        )
    day = execution_date or locked.execution_date
    _check_execution_date(day)
    members = list(_payments_for_update().filter(batch=locked).order_by("pk"))
    chosen = [payment for payment in members if payment.status == PaymentStatus.APPROVED]
    left_out = [payment for payment in members if payment.status != PaymentStatus.APPROVED]
    if not chosen:
        raise _refusal("empty_batch", _("This batch has no approved payment."))
    problems = _debtor_problems()
    for payment in chosen:
        problems += _creditor_problems(payment)
    if problems:
        raise _refuse(problems)
    locked.execution_date = day
    locked.exported_at = clock.now()
    lines = [sepa_line(payment) for payment in chosen]
    files = {
        "sepa": build_sepa_xml(locked, lines),
        "csv": build_csv(locked, lines),
        "xlsx": build_xlsx(locked, lines),
    }
    if left_out:
        Payment.objects.filter(pk__in=[payment.pk for payment in left_out]).update(batch=None)
    # The transaction undoes the rows if anything below fails; the files go with them.
    with all_or_no_files() as written:
        for kind, content in files.items():
            extension = "xml" if kind == "sepa" else kind
            written.save(
                getattr(locked, f"{kind}_file"),
                f"{locked.message_id}.{extension}",
                ContentFile(content),
            )
            setattr(locked, f"{kind}_sha256", hashlib.sha256(content).hexdigest())
        locked.save()
        for payment in chosen:
            perform(payment, "export", by=by, batch=locked.message_id)
        exported = perform(
            locked,
            "export",
            by=by,
            count=len(lines),
            control_sum=sum((line.amount for line in lines), ZERO),
            sha256={kind: getattr(locked, f"{kind}_sha256") for kind in files},
            left_out=[payment.end_to_end_id for payment in left_out],
        )
    return exported


@transaction.atomic
def mark_batch_paid(batch: PaymentBatch, *, by: Any) -> PaymentBatch:
    """Exported -> paid: every payment of the batch still exported is recorded as paid through
    `record_payment_paid` (ledger entry; payment advice and e-mail after the commit); writes an
    audit row. Mark the payments the bank returned as failed first."""
    _require_finance(by)
    locked = PaymentBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status == BatchStatus.PAID:
        message = _("The batch %(batch)s is already recorded as paid.")
        raise TransitionNotAllowed(message % {"batch": locked.message_id}, code="already_paid")
    if locked.status != BatchStatus.EXPORTED:
        message = _("The batch %(batch)s must be exported before it can be marked as paid.")
        raise TransitionNotAllowed(message % {"batch": locked.message_id}, code="not_exported")
    exported = locked.payments.filter(status=PaymentStatus.EXPORTED).order_by("pk")
    paid = [record_payment_paid(payment, by=by) for payment in exported]
    return perform(locked, "pay", by=by, paid=[payment.end_to_end_id for payment in paid])


@transaction.atomic
def mark_payment_failed(payment: Payment, *, by: Any, reason: str) -> Payment:
    """Exported -> failed (the bank returned it) -> scheduled: back in the queue with the reason,
    its approval cleared (it must be approved again); `batch` still names the batch it failed in
    until a new batch takes it. Writes two audit rows; nothing is booked (only paid is)."""
    _require_finance(by)
    locked = _payments_for_update().get(pk=payment.pk)
    if locked.status != PaymentStatus.EXPORTED:
        raise TransitionNotAllowed(
            _("Only an exported payment can be marked as failed; %(payment)s is %(status)s.")
            % {"payment": locked.end_to_end_id, "status": locked.get_status_display()},
            code="not_exported",
        )
    batch_id = locked.batch.message_id if locked.batch else ""
    failed = perform(locked, "fail", by=by, reason=reason, batch=batch_id)
    return perform(failed, "requeue", by=by)

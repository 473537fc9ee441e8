"""Finance: payments from approval to the bank and back.

`Payment.status`: scheduled -> approved (finance, four-eyes with the report's acceptor) ->
exported (in a `PaymentBatch`, one SEPA pain.001.001.09 file) -> paid; or exported -> failed ->
scheduled, so that a payment the bank returned is approved again and goes out in a new batch with
the same EndToEndId (its idempotency key). A batch is exported once: its XML, CSV and XLSX are
built together, stored with their SHA-256 and served as stored ever after.

`services` writes (each change of a status through `perform()`, with its audit row), `sepa`
builds the files, `selectors` reads for the pages, `exports` serves accounting (approvals CSV/XLSX,
the budget ledger). Everything callers need is importable from `grants.finance`.
"""

from grants.finance.selectors import (
    PaymentFilter,
    batch_payments,
    batches,
    open_repayment_claims,
    payments_due,
)
from grants.finance.sepa import (
    FILE_KINDS,
    NAME_LIMIT,
    REMITTANCE_LIMIT,
    SEPA_CHARACTERS,
    BatchFileError,
    SepaLine,
    batch_file,
    build_csv,
    build_sepa_xml,
    build_xlsx,
    sepa_line,
    sepa_text,
)
from grants.finance.services import (
    BULK_LIMIT,
    Outcome,
    Problem,
    approve_payment,
    approve_payments,
    create_batch,
    export_batch,
    mark_batch_paid,
    mark_payment_failed,
)
from grants.services import record_repayment_received

__all__ = [
    "BULK_LIMIT",
    "FILE_KINDS",
    "NAME_LIMIT",
    "REMITTANCE_LIMIT",
    "SEPA_CHARACTERS",
    "BatchFileError",
    "Outcome",
    "PaymentFilter",
    "Problem",
    "SepaLine",
    "approve_payment",
    "approve_payments",
    "batch_file",
    "batch_payments",
    "batches",
    "build_csv",
    "build_sepa_xml",
    "build_xlsx",
    "create_batch",
    "export_batch",
    "mark_batch_paid",
    "mark_payment_failed",
    "open_repayment_claims",
    "payments_due",
    "record_repayment_received",
    "sepa_line",
    "sepa_text",
]

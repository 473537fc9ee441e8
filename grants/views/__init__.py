"""Pages of the funder side (finance: payments, SEPA batches, repayments)."""
